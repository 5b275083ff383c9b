// A test hook, off the package's API: provokes a Rust panic through the package's own
// module lifecycle (pkg/module.js, passed in: the page and Node reach it by different
// paths), so tests can check the module recovers. Not exported by index.js.
export async function provokePanic({ using, translate }) {
  return using((m) => {
    try {
      m.__provokePanicForTests();
    } catch (e) {
      throw translate(e);
    }
  });
}

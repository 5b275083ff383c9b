// @ts-check
// In-memory sources: a Uint8Array, ArrayBuffer or any typed-array view.

export function bytesSource(x, name) {
  const u8 = x instanceof Uint8Array ? x
    : x instanceof ArrayBuffer ? new Uint8Array(x)
    : new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  const src = {
    name,
    size: u8.length,
    async read(o, n) { return u8.subarray(o, o + n); },
    async close() {},
  };
  return src;
}

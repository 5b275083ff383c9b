// @ts-check
// The wasm module's lifecycle: loaded once, shared by concurrent calls, replaced after a
// trap (a Rust panic), and dropped when idle and large (linear memory never shrinks).

import * as firstGlue from './wasm/bigwig_npy.js';
import { BigwigNpyError, fail, printable } from './errors.js';
import { IS_NODE, nodeImport } from './node.js';

/** Linear memory never shrinks: past this size, the instance is dropped (and its memory
 * freed) once nothing has used it for RELEASE_IDLE_MS; the next call makes a new one. */
const RELEASE_BYTES = 64 << 20;
const RELEASE_IDLE_MS = 500;

// Two builds of one crate (scripts/build-pkg.mjs): wasm/ for exports and everything else,
// and wasm-dataset/ (with Arrow, twice the size) that only datasets load, so a page that
// exports never fetches it. Objects of one instance (a DatasetPlan, the Session its tracks
// export through) never meet the other's, so a dataset does all its wasm work in its own.
const exportsModule = loader('wasm', firstGlue);
const datasetModule = loader('wasm-dataset', null);

/** Run `fn(module)` counted as a user of the export module. */
export const using = exportsModule.using;
/** Run `fn(module)` counted as a user of the dataset module (a superset of the export one). */
export const usingDataset = datasetModule.using;
/** Node: the export module, compiled once, for worker threads (workers.js). */
export const compiledModule = exportsModule.compiledModule;
/** In a worker thread: use the export module its parent compiled. */
export const adoptCompiled = exportsModule.adopt;

// One module's glue and instance. After a trap (a Rust panic) the instance may hold broken
// state while other calls still use it, so the next call imports a fresh copy of the glue
// (a new URL is a new module); the broken one is dropped when nothing runs.
// build-pkg.mjs adds `__bigwigNpyDrop()` to the glue: it forgets the instance, so its
// memory can be freed and the next init makes a new one. `first`: the glue imported
// statically (bundlers see it), or null to import it on first use.
function loader(dir, first) {
  let glue = first;
  let glueGeneration = first ? 0 : -1;
  let generation = 0;
  let mod = null;
  let ready = null;
  let compiled = null;
  /** Calls using the module right now; retired glues and big memory go only at zero. */
  let active = 0;
  const retired = [];
  let idleTimer = null;

  async function load() {
    if (!ready) {
      ready = (async () => {
        if (glueGeneration !== generation) {
          glue = await import(/* webpackIgnore: true */ /* @vite-ignore */ `./${dir}/bigwig_npy.js?instance=${generation}`);
          glueGeneration = generation;
        }
        const url = new URL(`./${dir}/bigwig_npy_bg.wasm`, import.meta.url);
        if (IS_NODE && url.protocol === 'file:') {
          await glue.default({ module_or_path: await compiledModule() });
        } else {
          await glue.default({ module_or_path: url });
        }
        mod = glue;
      })();
      ready.catch(() => { ready = null; });
    }
    await ready;
    return mod;
  }

  /** Node: the module compiled once (a dropped instance is remade without compiling
   * again), and handed to worker threads (workers.js), which share its code instead of
   * each compiling and optimising it again. */
  async function compiledModule() {
    if (!compiled) {
      const fs = await nodeImport('node:fs/promises');
      compiled = await WebAssembly.compile(await fs.readFile(new URL(`./${dir}/bigwig_npy_bg.wasm`, import.meta.url)));
    }
    return compiled;
  }

  async function using(fn) {
    active += 1;
    clearTimeout(idleTimer);
    try {
      return await fn(await load());
    } finally {
      active -= 1;
      if (active === 0) idle();
    }
  }

  function idle() {
    for (const g of retired.splice(0)) g.__bigwigNpyDrop?.();
    if (mod?.__bigwigNpyDrop && mod.wasmMemoryBytes() > RELEASE_BYTES) {
      idleTimer = setTimeout(() => {
        if (active > 0 || !mod) return;
        mod.__bigwigNpyDrop();
        mod = null;
        ready = null;
      }, RELEASE_IDLE_MS);
      idleTimer.unref?.(); // never what keeps a Node process alive
    }
  }

  /** After a trap: the next call gets a fresh instance, the broken one goes when idle. */
  function reset() {
    if (!mod && !ready) return;
    if (mod) retired.push(mod);
    ready = null;
    mod = null;
    generation += 1;
  }

  return {
    using,
    reset,
    compiledModule,
    /** In a worker thread: use the module its parent compiled. */
    adopt: (module) => { compiled ??= module; },
    memoryBytes: () => (mod ? mod.wasmMemoryBytes() : 0),
  };
}

/** The current size of the wasm modules' linear memory, in bytes (0 before first use, and
 * after an idle instance was dropped to free its memory). */
/** @type {typeof import('./index.js').wasmMemoryBytes} */
export function wasmMemoryBytes() {
  return exportsModule.memoryBytes() + datasetModule.memoryBytes();
}

/** Turn wasm errors into JS errors; a trap means Rust panicked: the next call loads a
 * fresh copy of the module (the broken one is dropped once nothing uses it).
 * @param {unknown} e
 */
export function translate(e) {
  if (e instanceof WebAssembly.RuntimeError) {
    // Which instance trapped is not told: both are renewed (an idle one is not loaded).
    exportsModule.reset();
    datasetModule.reset();
    return fail(`bigwig-npy internal error (${printable(e.message)}); the module was reset and can be used again`, 'InternalError');
  }
  // The core's errors: a JS Error with the `kind` of its BigwigNpyError.
  const core = /** @type {Error & { kind?: unknown }} */ (e);
  if (e instanceof Error && typeof core.kind === 'string' && !(e instanceof BigwigNpyError)) return fail(e.message, core.kind);
  return e;
}

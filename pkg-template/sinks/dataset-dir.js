// @ts-check
// The directory target of `exportDatasetToDir` (Node), written as the CLI's `dataset`
// writes one, by the same protocol (sinks/atomic.js, decided by the Rust core): everything
// goes into a hidden staging directory next to `outDir`, moved into place at the end, so
// the dataset appears whole or not at all. What is at the target is replaced only with
// `overwrite`, only if it is a dataset (or empty) when it is replaced, and only once the new
// one is complete. Errors name the target (`x.gvl/...`), never the staging directory.

import { BigwigNpyError, fail, printable } from '../errors.js';
import { nodeImport, fsReason } from '../node.js';
import { directorySink, makeDirs } from './directory.js';
import { checkTarget, createStaging, commit, discard } from './atomic.js';

const outputError = (e, p) => (e instanceof BigwigNpyError ? e : fail(`${printable(p)}: cannot write output: ${fsReason(e)}`, 'OutputError'));

/** The dataset written into `opts.outDir` (a path) through a staging directory; `m` is
 * the wasm module. */
export async function datasetDirTarget(m, opts) {
  const fs = await nodeImport('node:fs/promises');
  const path = await nodeImport('node:path');
  const out = path.resolve(opts.outDir);
  const parent = path.dirname(out);
  if (out === parent) throw fail(`${printable(out)}: the output needs a directory name`, 'OutputError');
  const overwrite = !!opts.overwrite;
  await checkTarget(m, out, overwrite);
  const created = [];
  const attempt = async (p, op) => {
    try { return await op(); } catch (e) { throw outputError(e, p); }
  };
  // Directories made for it go again, innermost first, as long as they are empty.
  const dropCreated = async () => {
    for (const d of created.splice(0).reverse()) {
      if (await fs.rmdir(d).then(() => false, () => true)) break;
    }
  };
  await attempt(parent, () => makeDirs(fs, path, parent, created));
  let stage;
  try {
    stage = await createStaging(m, out);
  } catch (e) {
    await dropCreated();
    throw e;
  }
  const written = [];
  let sinks = [];
  return {
    async put(rel, bytes) {
      await attempt(path.join(out, rel), () => fs.writeFile(path.join(stage.dir, rel), bytes));
      written.push(rel);
    },
    /** A track's sink; `dir` is its directory in the dataset (the plan's, `/`-separated). */
    async track(dir) {
      const parts = dir.split('/');
      const sink = await directorySink({ outDir: path.join(stage.dir, ...parts), shownDir: path.join(out, ...parts) });
      sinks.push(sink);
      return {
        ...sink,
        async finish(headers) {
          const files = await sink.finish(headers);
          for (const f of Object.keys(files)) written.push(`${dir}/${f}`);
          return files;
        },
      };
    },
    async finish() {
      await commit(stage, overwrite);
      sinks = [];
      created.length = 0;
      const ordered = ['metadata.json', ...written.filter((f) => f !== 'metadata.json')];
      return Object.fromEntries(ordered.map((f) => [f, path.join(out, ...f.split('/'))]));
    },
    async abort() {
      for (const s of sinks) await s.abort?.().catch(() => {});
      await discard(stage);
      await dropCreated();
    },
  };
}

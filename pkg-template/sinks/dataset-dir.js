// The directory target of `exportDatasetToDir` (Node), as the CLI's `dataset` writes one:
// everything goes into a hidden staging directory next to `outDir` (`.NAME.partial-PID-TAG`)
// renamed into place at the end, so the dataset appears whole or not at all. An existing
// target is replaced only with `overwrite`, only if it is a dataset (or empty), and only
// once the new one is complete.

import { BigwigNpyError, fail, printable } from '../errors.js';
import { nodeImport, fsReason } from '../node.js';
import { directorySink, makeDirs } from './directory.js';

const outputError = (e, p) => (e instanceof BigwigNpyError ? e : fail(`${printable(p)}: cannot write output: ${fsReason(e)}`, 'OutputError'));

/** Before any work: refuse what must not be replaced (the CLI's rules). */
async function checkTarget(fs, path, out, overwrite) {
  const st = await fs.lstat(out).catch(() => null);
  if (!st) return;
  const refuse = (why) => { throw fail(`${printable(out)}: ${why}`, 'OutputError'); };
  if (!overwrite) refuse('already exists; pass overwrite: true to replace it');
  if (!st.isDirectory()) refuse('exists and is not a directory; not replacing it');
  const empty = (await fs.readdir(out)).length === 0;
  const isDataset = (await fs.stat(path.join(out, 'metadata.json')).catch(() => null))?.isFile();
  if (!empty && !isDataset) refuse('is not a GenVarLoader dataset (no metadata.json); not replacing it');
}

/** Staging and set-aside directories of `name` left in `parent` by processes now gone
 * (killed mid-write); the CLI names its own the same way, so either cleans up after both. */
async function removeStale(fs, path, parent, name) {
  let entries;
  try { entries = await fs.readdir(parent); } catch { return; }
  const prefixes = [`.${name}.partial-`, `.${name}.old-`];
  const alive = (pid) => {
    try { process.kill(pid, 0); return true; } catch (e) { return e.code !== 'ESRCH'; }
  };
  for (const e of entries) {
    const prefix = prefixes.find((p) => e.startsWith(p));
    const pid = prefix && /^(\d+)(-|$)/.exec(e.slice(prefix.length))?.[1];
    if (pid && Number(pid) !== process.pid && !alive(Number(pid))) {
      await fs.rm(path.join(parent, e), { recursive: true, force: true }).catch(() => {});
    }
  }
}

/** The dataset written into `opts.outDir` through a staging directory. */
export async function datasetDirTarget(opts) {
  const fs = await nodeImport('node:fs/promises');
  const path = await nodeImport('node:path');
  const out = path.resolve(String(opts.outDir));
  const parent = path.dirname(out);
  const name = path.basename(out);
  await checkTarget(fs, path, out, !!opts.overwrite);
  const tag = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const stage = path.join(parent, `.${name}.partial-${tag}`);
  const created = [];
  const written = [];
  let sinks = [];
  const attempt = async (p, op) => {
    try { return await op(); } catch (e) { throw outputError(e, p); }
  };
  await attempt(parent, () => makeDirs(fs, path, parent, created));
  await removeStale(fs, path, parent, name);
  await attempt(stage, () => fs.mkdir(stage));
  return {
    async put(rel, bytes) {
      await attempt(path.join(out, rel), () => fs.writeFile(path.join(stage, rel), bytes));
      written.push(rel);
    },
    /** A track's sink; `dir` is its directory in the dataset (the plan's, `/`-separated). */
    async track(dir) {
      const sink = await directorySink({ outDir: path.join(stage, ...dir.split('/')) });
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
      let aside = null;
      if (await fs.lstat(out).catch(() => null)) {
        // Someone wrote it while this dataset was being written.
        if (!opts.overwrite) throw fail(`${printable(out)}: already exists; pass overwrite: true to replace it`, 'OutputError');
        aside = path.join(parent, `.${name}.old-${tag}`);
        await attempt(out, () => fs.rename(out, aside));
      }
      try {
        await fs.rename(stage, out);
      } catch (e) {
        // Put the old dataset back: the target stays as it was.
        if (aside) await fs.rename(aside, out).catch(() => {});
        throw fail(`${printable(out)}: cannot move the dataset into place: ${fsReason(e)}`, 'OutputError');
      }
      if (aside) await fs.rm(aside, { recursive: true, force: true }).catch(() => {});
      sinks = [];
      const ordered = ['metadata.json', ...written.filter((f) => f !== 'metadata.json')];
      return Object.fromEntries(ordered.map((f) => [f, path.join(out, ...f.split('/'))]));
    },
    async abort() {
      for (const s of sinks) await s.abort?.().catch(() => {});
      await fs.rm(stage, { recursive: true, force: true }).catch(() => {});
      // Directories made for it go too, innermost first, as long as they are empty.
      for (const d of created.splice(0).reverse()) {
        if (await fs.rmdir(d).then(() => false, () => true)) break;
      }
    },
  };
}

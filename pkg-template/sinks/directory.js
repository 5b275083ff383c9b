// @ts-check
// The directory sink of `exportTrackToDir` (Node): writes run in the background at their
// positions, buffers are reused, a scratch file takes the genome-order spill, and nothing
// is left behind when the export fails.

import { BigwigNpyError, fail, printable } from '../errors.js';
import { nodeImport, fsReason } from '../node.js';
import { using } from '../module.js';

/** Output bytes handed to the file system and not yet written. */
const WRITES_AHEAD = 16 << 20;

/** `mkdir -p` recording in `made` the directories it made, outermost first. Each level is
 * made on its own: Node's recursive mkdir never settles for some paths (seen: under /proc). */
export async function makeDirs(fs, path, dir, made) {
  const missing = [];
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    try {
      if (!(await fs.stat(d)).isDirectory()) throw Object.assign(new Error('Not a directory'), { code: 'ENOTDIR' });
      break;
    } catch (e) {
      if (e.code !== 'ENOENT' || path.dirname(d) === d) throw e;
      missing.push(d);
    }
  }
  for (const d of missing.reverse()) {
    try {
      await fs.mkdir(d);
      made.push(d);
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
    }
  }
}

/** Remove the temporary files of exports whose process is gone (killed mid-export), the
 * CLI's and this package's alike: which entries those are is the core's
 * (`exportLeftoverPid`); a live process's, this one's included, are left alone. */
async function removeStale(fs, path, dir) {
  let names;
  try { names = await fs.readdir(dir); } catch { return; }
  const alive = (pid) => {
    try { process.kill(pid, 0); return true; } catch (e) { return e.code !== 'ESRCH'; }
  };
  const pids = await using((m) => names.map((n) => m.exportLeftoverPid(n)));
  for (let i = 0; i < names.length; i++) {
    const pid = pids[i] ?? 0;
    if (pid > 0 && pid !== process.pid && !alive(pid)) await fs.unlink(path.join(dir, names[i])).catch(() => {});
  }
}

/** A run's tag in its temporary names: the process (whose leftovers they are), then a
 * random part. */
export const runTag = () => `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

/** Output streamed to files in `opts.outDir` (a path) under temporary names, renamed into
 * place when the whole export succeeded (Node). Messages name paths under `opts.shownDir`
 * instead when given (a dataset's track, written in its staging directory). A worker
 * thread's shard (workers.js) gives the run's `tag` (so the main thread knows the names
 * to remove if it stops the worker) and `keep`: its files stay under their temporary
 * names, for the main thread to merge (finish gives their paths). */
export async function directorySink(opts) {
  const fs = await nodeImport('node:fs/promises');
  const path = await nodeImport('node:path');
  const outDir = opts.outDir;
  const shown = (p) => (opts.shownDir ? path.join(opts.shownDir, path.relative(outDir, p)) : p);
  let files = [];
  let spillFh = null;
  const created = [];
  const tag = opts.tag ?? runTag();
  const pending = new Set();
  let pendingBytes = 0;
  let writeError = null;
  // Whatever Node throws becomes one line naming the path.
  const outputError = (e, p) => (e instanceof BigwigNpyError ? e : fail(`${printable(shown(p))}: cannot write output: ${fsReason(e)}`, 'OutputError'));
  const attempt = async (p, op) => {
    try {
      return await op();
    } catch (e) {
      throw outputError(e, p);
    }
  };
  const flush = async () => {
    await Promise.all(pending);
    if (writeError) throw outputError(writeError.e, writeError.p);
  };
  // Writes run on Node's thread pool while the core decodes on; each goes to its own
  // position, so their order does not matter. At most WRITES_AHEAD bytes are pending.
  const track = (write, len, p) => {
    const done = write.then(
      () => { pendingBytes -= len; },
      (e) => { pendingBytes -= len; writeError ??= { e, p }; },
    );
    pending.add(done);
    done.finally(() => pending.delete(done));
    pendingBytes += len;
    return done;
  };
  // A write may take part of the bytes (a disk filling up): the rest is written after
  // them, which fails with the reason (ENOSPC) or goes on.
  const writeAll = async (fh, bytes, at) => {
    for (let done = 0; done < bytes.length;) {
      const { bytesWritten } = await fh.write(bytes, done, bytes.length - done, at + done);
      if (bytesWritten === 0) throw Object.assign(new Error('no bytes written'), { code: 'ENOSPC' });
      done += bytesWritten;
    }
  };
  const writevAll = async (fh, parts, at) => {
    const len = parts.reduce((n, q) => n + q.length, 0);
    const { bytesWritten } = await fh.writev(parts, at);
    if (bytesWritten === len) return;
    // The rest, from where the vectored write stopped.
    for (let k = 0, o = 0; k < parts.length; o += parts[k].length, k++) {
      const skip = Math.max(0, bytesWritten - o);
      if (skip < parts[k].length) await writeAll(fh, parts[k].subarray(skip), at + o + skip);
    }
  };
  const startWrite = (fh, bytes, at, p) => track(writeAll(fh, bytes, at), bytes.length, p);
  const backlog = async () => {
    while (pendingBytes > WRITES_AHEAD && !writeError) await Promise.race(pending);
    if (writeError) throw outputError(writeError.e, writeError.p);
  };
  // Output buffers go back to the pool once written: no fresh memory (and no garbage)
  // per step.
  const pool = [];
  let minBuffer = 0;
  const sink = {
    /** The directory written to, and as messages name it. */
    dir: outDir,
    shownDir: opts.shownDir,
    /** `stepBytes`: output the driver moves per step (buffers hold two). */
    async begin(names, headerLengths, stepBytes) {
      minBuffer = 2 * stepBytes;
      await attempt(outDir, () => makeDirs(fs, path, outDir, created));
      await removeStale(fs, path, outDir);
      const temps = await using((m) => names.map((n) => m.exportTempName(n, tag)));
      for (let i = 0; i < names.length; i++) {
        const temp = path.join(outDir, temps[i]);
        const final = path.join(outDir, names[i]);
        const fh = await attempt(final, () => fs.open(temp, 'w'));
        // The header is written last, in place; the records start after its length.
        files.push({ name: names[i], temp, final, fh, at: headerLengths[i] });
      }
    },
    async take(session) {
      const need = session.outputBytes;
      if (need === 0) return;
      let buf = pool.pop();
      if (!buf || buf.length < need) buf = new Uint8Array(Math.max(need, minBuffer));
      const parts = session.takeOutputInto(buf);
      const writes = [];
      for (let k = 0, at = 0; k < parts.length; at += parts[k + 1], k += 2) {
        const f = files[parts[k]];
        writes.push(startWrite(f.fh, buf.subarray(at, at + parts[k + 1]), f.at, f.final));
        f.at += parts[k + 1];
      }
      Promise.all(writes).then(() => pool.push(buf));
      await backlog();
    },
    /** Append `bytes` (not reused by the caller) to file `i`. */
    async write(i, bytes) {
      const f = files[i];
      startWrite(f.fh, bytes, f.at, f.final);
      f.at += bytes.length;
      await backlog();
    },
    async spill() {
      // Unlinked at once: it never outlives the export.
      const p = path.join(outDir, await using((m) => m.exportSpillName(tag)));
      spillFh = await attempt(outDir, () => fs.open(p, 'w+'));
      await attempt(outDir, () => fs.unlink(p));
      let end = 0;
      // Its own writes: a read waits for them, not for the output's writes in flight.
      const appends = new Set();
      return {
        /** Append `parts` in one vectored write: where they went, and when they are
         * written (the caller keeps them until then). */
        async append(parts) {
          const at = end;
          const len = parts.reduce((n, p) => n + p.length, 0);
          end += len;
          const written = track(writevAll(spillFh, parts, at), len, outDir);
          appends.add(written);
          written.finally(() => appends.delete(written));
          await backlog();
          return { at, written };
        },
        /** Fill `into` from offset `off`. */
        async read(off, into) {
          // Reads start once all is staged: the spill is complete then.
          await Promise.all(appends);
          if (writeError) throw outputError(writeError.e, writeError.p);
          const { bytesRead } = await attempt(outDir, () => spillFh.read(into, 0, into.length, off));
          if (bytesRead !== into.length) throw fail(`${printable(shown(outDir))}: scratch file read short`, 'OutputError');
        },
      };
    },
    async finish(headers) {
      await flush();
      for (let i = 0; i < files.length; i++) {
        const f = files[i];
        if (headers[i].length) await attempt(f.final, () => writeAll(f.fh, headers[i], 0));
        await attempt(f.final, () => f.fh.close());
        f.fh = null;
      }
      await attempt(outDir, async () => spillFh?.close());
      spillFh = null;
      if (opts.keep) {
        const kept = Object.fromEntries(files.map((f) => [f.name, f.temp]));
        files = [];
        created.length = 0;
        return kept;
      }
      // Checked before any rename: failing halfway would leave new files next to old ones.
      for (const f of files) {
        if ((await fs.lstat(f.final).catch(() => null))?.isDirectory()) throw outputError({ code: 'EISDIR' }, f.final);
      }
      for (const f of files) await attempt(f.final, () => fs.rename(f.temp, f.final));
      const out = Object.fromEntries(files.map((f) => [f.name, f.final]));
      files = [];
      created.length = 0;
      return out;
    },
    async abort() {
      await Promise.all(pending);
      await spillFh?.close().catch(() => {});
      spillFh = null;
      for (const f of files) {
        await f.fh?.close().catch(() => {});
        await fs.unlink(f.temp).catch(() => {});
      }
      files = [];
      // Directories this export made go too, innermost first, as long as they are empty.
      for (const d of created.splice(0).reverse()) {
        if (await fs.rmdir(d).then(() => false, () => true)) break;
      }
    },
  };
  return sink;
}

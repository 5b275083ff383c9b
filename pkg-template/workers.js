// @ts-check
// Node: an export on `workers` threads. Regions the core decodes in genome order (a
// shuffled BED) from sources each thread reads itself: decoding pooled by genome slice
// (slices.js). Otherwise (sorted regions, URLs, a dataset's tracks): one contiguous shard
// of the regions each (the split and the merge are shards.js's, as on the page). This
// thread exports the first shard straight into the caller's sink; each worker thread runs
// the same driver on another over its own wasm instance, one region at a time, into memory
// (its chunks are transferred back) or into scratch files in the output directory,
// appended here in order. A failing shard fails the export with its own error (the first
// shard's in region order when several fail, as one thread meets them), the other workers
// are stopped and their files removed; nothing is half-written.
import { BigwigNpyError, fail, abortError, describe } from './errors.js';
import { IS_NODE, nodeImport } from './node.js';
import { isBytes, isInspected, isRemote } from './sources/index.js';
import { requestHeaders } from './sources/http.js';
import { beginMerge, mergeInto } from './shards.js';
import { runTag } from './sinks/directory.js';
import { using, compiledModule } from './module.js';
import { setRegions } from './regions.js';
import { Pacer } from './reads.js';
import { checkOptions, run } from './driver.js';
import { poolSlices } from './slices.js';

/** Pieces a scratch file is read back in to be merged. */
const MERGE_READ = 4 << 20;

/** The worker threads an export may use: `opts.workers` (checked), by default the
 * machine's parallelism in Node, but 1 when `sources` has a URL (each thread would read
 * every header and index again, and a remote export waits on the network, not the CPU);
 * 1 in browsers (the page runs its own Web Workers). */
export async function workerCount(opts, sources = opts?.sources) {
  const w = opts?.workers;
  if (w !== undefined && (typeof w !== 'number' || !Number.isSafeInteger(w) || w < 1)) {
    throw fail(`workers: expected a positive integer, got ${typeof w === 'number' ? w : describe(w)}`);
  }
  if (!IS_NODE) return 1;
  if (w !== undefined) return w;
  if (Array.isArray(sources) && sources.some(isRemote)) return 1;
  const os = await nodeImport('node:os');
  return os.availableParallelism?.() ?? os.cpus().length;
}

/** Shared copies of the caller's bytes, made once (a dataset's tracks each send theirs). */
const sharedCopies = new WeakMap();

/** Bytes every worker reads without a copy each: shared memory as given, or one copy
 * into it. */
function sharedBytes(x) {
  const u8 = x instanceof ArrayBuffer ? new Uint8Array(x) : new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  if (u8.buffer instanceof SharedArrayBuffer) return u8;
  if (!sharedCopies.has(x)) {
    const shared = new Uint8Array(new SharedArrayBuffer(u8.byteLength));
    shared.set(u8);
    sharedCopies.set(x, shared);
  }
  return sharedCopies.get(x);
}

/** Source `x` as a worker can be sent it (what it is named by stays the same), or
 * undefined: then the export runs in this thread, as given. */
function portable(x) {
  if (typeof x === 'string') return x;
  if (x instanceof URL) return x.href;
  if (isBytes(x)) return sharedBytes(x);
  // A File arrives as a Blob: its name goes along (the worker makes it a File again).
  if (typeof Blob !== 'undefined' && x instanceof Blob) {
    const name = /** @type {Blob & { name?: string }} */ (x).name;
    return name ? { blob: x, name } : x;
  }
  if (isInspected(x)) {
    const source = portable(x.source);
    return source === undefined ? undefined : { name: x.name, contigs: x.contigs, head: x.head, source };
  }
  return undefined;
}

/** In the worker: the source `portable` made. */
export function unportable(x) {
  if (x && typeof x === 'object' && x.blob instanceof Blob && typeof x.name === 'string') return new File([x.blob], x.name);
  if (isInspected(x)) return { ...x, source: unportable(x.source) };
  return x;
}

/** The options a worker's export takes (all but functions and the signal, which stay
 * here), sources made portable; undefined when one cannot cross (a `fetch` function, a
 * source of another kind: it runs here then). */
export async function portableOptions(opts, sources) {
  if (opts.fetch != null) return undefined;
  const out = sources.map(portable);
  if (out.includes(undefined)) return undefined;
  return {
    sources: out,
    layout: opts.layout,
    maxMem: opts.maxMem,
    blockCacheBytes: opts.blockCacheBytes,
    wholeFileLimit: opts.wholeFileLimit,
    timeoutMs: opts.timeoutMs,
    headers: await requestHeaders(opts.headers),
  };
}

/** Worker threads alive in this process, over all calls. */
let threadsInUse = 0;

/** Worker threads for an export on `n` threads, this one included (it exports the first
 * shard itself), one job each at a time, stopped by `close`. */
export class Pool {
  constructor(workers, signal) {
    this.workers = workers;
    this.signal = signal;
    this.closed = false;
  }

  /** Up to `n - 1` workers, or null when none is free: concurrent calls share the
   * machine's parallelism (or the `workers` one asked for, if more), so threads and their
   * wasm instances stay bounded however many calls run; the others run in their own
   * thread. */
  static async start(n, signal) {
    const cap = Math.max(n, await workerCount({})) - 1;
    const k = Math.min(n - 1, cap - threadsInUse);
    if (k < 1) return null;
    threadsInUse += k;
    const { Worker } = await nodeImport('node:worker_threads');
    // No inherited Node flags: the threads run only this package (and `--input-type` or
    // `--eval` of the caller's process would stop them).
    const url = new URL('./worker.js', import.meta.url);
    const workerData = { module: await compiledModule() };
    return new Pool(Array.from({ length: k }, () => new Worker(url, { execArgv: [], workerData })), signal);
  }

  get size() { return this.workers.length; }

  /** Start `jobs` on the workers, each taking the next job in order when it is free;
   * the iterator returned yields the results in order as they are there. A failed job
   * throws once the jobs before it are yielded (as one thread meets failures: in order),
   * and no further job starts. `onEncoded(worker, message)`: a slice's encoded regions
   * (slices.js), as they come. */
  run(jobs, onProgress, onEncoded) {
    const settled = new Array(jobs.length);
    let next = 0;
    let failed = false;
    let wake = null;
    const notify = () => { const w = wake; wake = null; w?.(); };
    const off = [];
    const dispatch = (w) => {
      w.job = failed || next >= jobs.length ? -1 : next++;
      if (w.job >= 0) w.postMessage(jobs[w.job]);
    };
    const settle = (w, out) => {
      if (w.job < 0 || settled[w.job]) return;
      settled[w.job] = out;
      if (out.error) failed = true;
      else dispatch(w);
      notify();
    };
    const internal = (what) => ({ error: fail(`bigwig-npy internal error (${what})`, 'InternalError') });
    for (const w of this.workers) {
      const onMessage = (msg) => {
        if (msg.type === 'progress') onProgress?.(w.job, msg.progress);
        else if (msg.type === 'encoded') onEncoded?.(w, msg);
        else if (msg.type === 'done') settle(w, { result: msg.result });
        else if (msg.type === 'error') {
          const ours = msg.name === 'BigwigNpyError';
          settle(w, ours ? { error: fail(msg.message, msg.kind) } : internal(`worker thread: ${msg.message}`));
        }
      };
      const onError = (e) => settle(w, internal(`worker thread: ${e?.message ?? e}`));
      const onExit = (code) => settle(w, internal(`a worker thread exited with code ${code}`));
      w.on('message', onMessage);
      w.on('error', onError);
      w.on('exit', onExit);
      off.push(() => { w.off('message', onMessage); w.off('error', onError); w.off('exit', onExit); });
    }
    this.signal?.addEventListener('abort', notify);
    off.push(() => this.signal?.removeEventListener('abort', notify));
    for (const w of this.workers) dispatch(w);
    const { signal } = this;
    return (async function* results() {
      try {
        for (let k = 0; k < jobs.length; k++) {
          while (!settled[k]) {
            if (signal?.aborted) throw abortError(signal);
            await new Promise((resolve) => { wake = resolve; });
          }
          if (signal?.aborted) throw abortError(signal);
          if (settled[k].error) throw settled[k].error;
          const { result } = settled[k];
          settled[k] = { merged: true }; // its bytes may go once merged
          yield result;
        }
      } finally {
        for (const o of off) o();
      }
    })();
  }

  /** Stop every worker (whatever they were doing) and wait until they are gone. */
  async close() {
    if (this.closed) return;
    this.closed = true;
    threadsInUse -= this.workers.length;
    await Promise.all(this.workers.map((w) => w.terminate().catch(() => {})));
  }
}

/** The pieces of scratch file `p`, read in order (fresh buffers: writes keep them); the
 * file goes once read, so the disk holds the merged output and what is left to merge. */
async function* filePieces(fs, p) {
  const fh = await fs.open(p, 'r');
  try {
    for (let at = 0; ;) {
      const buf = new Uint8Array(MERGE_READ);
      const { bytesRead } = await fh.read(buf, 0, buf.length, at);
      if (bytesRead === 0) {
        await fs.unlink(p);
        return;
      }
      at += bytesRead;
      yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

/** The caller's sink as the first shard's export in this thread writes into it: already
 * begun, finished and aborted by the merge. */
const firstShardSink = (sink) => ({ ...sink, begin() {}, finish() { return {}; }, abort() {} });

/**
 * One raw track export of `nRegions` regions in shards: the first in this thread, straight
 * into `sink` (begun by the caller with `names`), by `here(shard, sink, onProgress)` (the
 * driver's `run` with the caller's own options), the others on `pool`'s workers (`job`:
 * what every worker gets: `opts` from portableOptions, `regions`, or `dataset`: the plan's
 * inputs, for a dataset's track), merged after it in order, in `format`. `onProgress` gets
 * the sum over the shards. The workers' scratch files go in `sink.dir` when the sink is a
 * directory, and are removed whatever happens.
 */
export async function runShards(m, pool, { job, here, nRegions, names, format, sink, onProgress }) {
  // One shard per thread. More would balance shards of unequal cost, but each shard
  // inflates every block its regions touch, and in a shuffled BED (a training set's) the
  // regions of any shard touch most blocks: on the medium corpus, 8 shards on 2 threads
  // took 2.3 times the CPU of one thread.
  const count = Math.min(nRegions, pool.size + 1);
  const parts = Array.from({ length: count }, (_, index) => ({ index, count }));
  const fs = sink.dir ? await nodeImport('node:fs/promises') : null;
  const path = sink.dir ? await nodeImport('node:path') : null;
  const tags = parts.map(() => runTag());
  const progress = parts.map(() => ({ regionsDone: 0, intervals: 0, bytesFetched: 0 }));
  const report = onProgress && ((k, p) => {
    progress[k] = p;
    const sum = (key) => progress.reduce((t, x) => t + x[key], 0);
    onProgress({ regionsDone: sum('regionsDone'), regionsTotal: nRegions, intervals: sum('intervals'), bytesFetched: sum('bytesFetched') });
  });
  const jobs = parts.slice(1).map((shard, k) => ({
    ...job, shard, progress: !!onProgress,
    out: sink.dir ? { dir: sink.dir, shownDir: sink.shownDir, tag: tags[k + 1] } : null,
  }));
  try {
    const others = pool.run(jobs, report && ((k, p) => report(k + 1, p)));
    // Started after the workers' jobs: this thread works too, and its shard needs no copy.
    const first = here(parts[0], firstShardSink(sink), report && ((p) => report(0, p)));
    const shards = (async function* inOrder() {
      yield await first;
      yield* others;
    })();
    let genome = false;
    const pieces = (shard, k, name) => {
      // The merge acts on an abort too, as the export loop does.
      if (pool.signal?.aborted) throw abortError(pool.signal);
      genome ||= shard.decodeOrder === 'genome';
      if (k === 0) return [];
      return sink.dir ? filePieces(fs, shard.files[name]) : shard.files[name];
    };
    // Merged in order, each as soon as it and those before it are done.
    const merged = await mergeInto(m, sink, names, shards, format, pieces);
    return { ...merged, decodeOrder: genome ? 'genome' : 'input' };
  } catch (e) {
    // Workers still running are stopped before their files go.
    await pool.close();
    throw e;
  } finally {
    if (sink.dir) {
      const scratch = tags.slice(1).flatMap((t) => [...names.map((n) => m.exportTempName(n, t)), m.exportSpillName(t)]);
      await Promise.all(scratch.map((f) => fs.unlink(path.join(sink.dir, f)).catch(() => {})));
    }
  }
}

/** What a worker's error looks like here: a BigwigNpyError as the worker had it. */
export function errorMessage(e) {
  if (e instanceof BigwigNpyError) return { type: 'error', name: 'BigwigNpyError', message: e.message, kind: e.kind };
  return { type: 'error', name: e?.name ?? 'Error', message: e?.message ?? String(e) };
}

/** The files a raw or npy export in `format`/`layout` writes, by the core. */
export function fileNames(m, format, layout) {
  const s = new m.Session(['names'], format, layout, 0, 0);
  try { return s.fileNames(); } finally { s.free(); }
}

/**
 * `exportTrack` / `exportTrackToDir` on worker threads into the sink `makeSink()` makes;
 * undefined when the export runs in this thread instead: one worker (or browsers), a
 * single region, a `shard`, a `fetch` function or a source that cannot cross to a thread, or
 * options or regions this thread cannot take (the in-thread run then says what is wrong,
 * in its own order).
 */
export async function exportOnWorkers(opts, makeSink) {
  const wanted = await workerCount(opts);
  // A `shard` is the caller's own split (the page's workers): it runs here.
  if (wanted <= 1 || !opts || typeof opts !== 'object' || !Array.isArray(opts.sources) || opts.regions == null || opts.shard != null) return undefined;
  try { checkOptions(opts); } catch { return undefined; }
  const job = await portableOptions(opts, opts.sources).catch(() => undefined);
  if (!job) return undefined;
  if (opts.signal?.aborted) throw abortError(opts.signal);
  return using(async (m) => {
    let format, layout, nRegions, sorted;
    // Kept for a pooled export, whose session copies them (not read again); freed once
    // not needed (millions of regions take memory).
    const regions = new m.Session(['regions'], 'raw', 'aos', 0, 0);
    let freed = false;
    const drop = () => { if (!freed) regions.free(); freed = true; };
    try {
      try {
        ({ format, layout } = m.exportOptions(opts));
        nRegions = await setRegions(regions, opts.regions, new Pacer(opts.signal));
        sorted = regions.regionsInGenomeOrder;
      } catch {
        return undefined;
      }
      const n = Math.min(wanted, nRegions);
      if (n <= 1) return undefined;
      const names = fileNames(m, format, layout);
      const pool = await Pool.start(n, opts.signal);
      if (!pool) return undefined;
      // Shuffled regions, read by each thread from its own copy of the sources: decoding
      // pooled by genome slice (slices.js), one export written by this thread. A URL's
      // threads would each read its headers and index again; sorted regions are decoded
      // in input order, where contiguous shards touch distinct blocks anyway.
      if (!sorted && !opts.sources.some(isRemote)) {
        try {
          const sink = await makeSink();
          const copy = (s) => { s.copyRegionsFrom(regions); drop(); };
          return await run(opts, sink, { pooled: poolSlices(opts, pool, job), regions: copy });
        } finally {
          await pool.close();
        }
      }
      drop();
      let sink;
      try {
        sink = await makeSink();
        await beginMerge(m, sink, names, format);
        const here = (shard, into, onProgress) => run({ ...opts, format: 'raw', shard, onProgress }, into);
        return await runShards(m, pool, { job: { opts: job, regions: opts.regions }, here, nRegions, names, format, sink, onProgress: opts.onProgress });
      } catch (e) {
        await pool.close();
        await sink?.abort?.();
        throw e;
      } finally {
        await pool.close();
      }
    } finally {
      drop();
    }
  });
}

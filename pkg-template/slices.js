// @ts-check
// Node: a track export on worker threads whose regions the core decodes in genome order (a
// shuffled BED), decoding pooled by genome slice. Contiguous shards of the input order
// would each touch nearly every block, and every thread would inflate nearly all of them;
// instead the core cuts its genome order into one slice per thread (`genomeSlices`), each
// thread's session keeps its slice (`keepRegionList`) and hands out every region it decodes
// under its index in the whole export, and they all go into the one Reorder of this
// thread's session, which puts them back in input order for its writer and the sink as one
// thread would: the bytes are the same by construction.

import { run } from './driver.js';
import { abortError } from './errors.js';

/** Encoded bytes a worker may have sent and not yet seen taken in (`ack`): a worker
 * decoding faster than this thread takes its regions in waits, so memory stays bounded. */
export const IN_FLIGHT = 8 << 20;

/** What taking in a slice's regions (the Reorder's copies and spills, all in this thread)
 * costs next to decoding them: on the medium corpus with 2 threads, 0.2 left this thread
 * waiting about 150 ms for the worker, 0.05 the worker about 80 ms for this thread. */
const TAKE_IN = 0.09;

/** The share of work of this thread's slice, next to a worker's (1), when there are
 * `count`: this thread also takes in every slice's regions, so it finishes with the others
 * when `share + TAKE_IN * (share + count - 1) = 1`; at least a tenth. */
export function ownShare(count) {
  return Math.max(0.1, (1 - TAKE_IN * (count - 1)) / (1 + TAKE_IN));
}

/** A sink for a slice's session, which writes nothing. */
const nothing = { begin() {}, write() {}, finish() { return {}; }, abort() {} };

/** Decode the regions `regions` (global indices: a slice, or the promise of one) of the
 * export `opts`, in this thread, every step's encoded regions handed to `take(session)`;
 * returns the `bytesFetched` and `requests` it made. The same driver and loop as a whole
 * export. `whole`: the whole export's session in this thread, whose regions are copied
 * (not read again). */
export async function decodeSlice(opts, regions, take, whole) {
  const copy = whole && ((s) => { s.copyRegionsFrom(whole); });
  const r = await run({ ...opts, format: 'raw' }, nothing, { slice: { regions, take }, regions: copy });
  return { bytesFetched: r.bytesFetched, requests: r.requests };
}

/** Adds into one Reorder, one after the other (an add awaits its spills; two at once would
 * book a region into a bucket being spilled). The first failure stops the rest. */
class Intake {
  constructor(reorder) {
    this.reorder = reorder;
    /** @type {Promise<void>} */
    this.tail = Promise.resolve();
    /** @type {unknown} */
    this.error = null;
    /** No more adds (the export failed; its session may be gone). */
    this.closed = false;
  }

  /** Add `bytes` (copied) and `spans` after the adds before; resolves once added. */
  add(bytes, spans) {
    return this.#after(() => this.reorder.add(bytes, spans));
  }

  /** Take in what `session` (this thread's slice) decoded since its last take, after the
   * adds before; resolves once added. */
  take(session) {
    return this.#after(() => this.reorder.take(session));
  }

  #after(add) {
    const p = this.tail.then(() => {
      if (this.error) throw this.error;
      if (this.closed) throw new Error('the export ended');
      return add();
    });
    this.tail = p.catch((e) => { this.error ??= e; });
    return p;
  }

  /** Wait for every add; the first failure is thrown. */
  async settled() {
    await this.tail;
    if (this.error) throw this.error;
  }
}

/**
 * Decoding pooled by genome slice for the export `opts` on `pool`'s workers and this
 * thread: returns the `pooled` step of the driver's `run` (this thread's session, opened
 * and planned in genome order, and its Reorder). The workers start at once, each with `job`
 * (portableOptions) and the regions, and read the regions and open their sources while
 * this thread opens the export; then the core cuts one slice per thread, the first decoded
 * here, and each worker is sent its own. Their encoded regions arrive by message, buffers
 * transferred, and go back for reuse once taken in. A failing slice fails the export with
 * its error (the first slice's in genome order when several fail, as one thread decoding
 * in that order meets them).
 */
export function poolSlices(opts, pool, job) {
  /** @type {Intake | null} once the Reorder is there (no region comes before its slice) */
  let intake = null;
  /** @type {((k: number, p: any) => void) | null} */
  let report = null;
  const jobs = Array.from({ length: pool.size }, () => ({ kind: 'slice', opts: job, regions: opts.regions, progress: !!opts.onProgress }));
  // A worker's regions, taken in after those before them; the buffer goes back to it.
  const onEncoded = (w, { bytes, spans }) => {
    intake?.add(bytes, spans).then(() => {
      try { w.postMessage({ type: 'ack', length: bytes.length, buffer: bytes.buffer }, [bytes.buffer]); } catch { /* stopped */ }
    }, () => {});
  };
  const others = pool.run(jobs, (k, p) => report?.(k + 1, p), onEncoded);
  return async (session, reorder, { signal, fetched }) => {
    const slices = /** @type {Uint32Array[]} */ (session.genomeSlices(pool.size + 1, ownShare(pool.size + 1)));
    const total = session.nRegions;
    const taken = new Intake(reorder);
    intake = taken;
    const progress = slices.map(() => ({ regionsDone: 0, bytesFetched: 0 }));
    const sum = (key) => progress.reduce((t, x) => t + x[key], 0);
    if (opts.onProgress) {
      report = (k, p) => {
        progress[k] = p;
        opts.onProgress({ regionsDone: sum('regionsDone'), regionsTotal: total, intervals: session.nIntervals, bytesFetched: fetched() + sum('bytesFetched') });
      };
    }
    // Worker k's job is slice k + 1 (as many slices as threads: the core cuts one per
    // thread when there are at least as many regions).
    for (const w of pool.workers) w.postMessage({ type: 'slice', regions: slices[w.job + 1] });
    try {
      // This thread's slice: each step taken in (after the workers' before it) before the next.
      const own = { ...opts, onProgress: report && ((p) => report?.(0, p)) };
      const made = [await decodeSlice(own, slices[0], (s) => taken.take(s), session)];
      for await (const r of others) made.push(r);
      await taken.settled();
      if (signal.aborted) throw abortError(signal);
      return { bytesFetched: made.reduce((t, r) => t + r.bytesFetched, 0), requests: made.reduce((t, r) => t + r.requests, 0) };
    } finally {
      taken.closed = true;
    }
  };
}

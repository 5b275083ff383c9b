// @ts-check
// The driver: does what the core's step loop says (`session.openNext`, `session.next`:
// reads to start, output to move, when to wait for a read), plans the decode order in
// slices, and hands the output to a sink (memory or a directory). Every rule about
// bigWigs, regions, reads and the loop itself is the core's.

import { fail, abortError, describe, printable } from './errors.js';
import { using, translate } from './module.js';
import { makeSource, tally } from './sources/index.js';
import { Reads, Pacer } from './reads.js';
import { unlimitedListeners } from './node.js';
import { Reorder } from './reorder.js';
import { setRegions } from './regions.js';
import { keepShard } from './shards.js';

/** Output bytes buffered in wasm before they are moved out. */
export const STEP_BYTES = 1 << 20;
/** Regions of the decode order planned per call (the core sorts shuffled regions). */
const PLAN_WORK = 1 << 16;
/** What the core's step loop says to do next (`session.openNext`, `session.next`): the
 * codes of `next_js` in src/wasm/reads.rs; POLL is anything else. */
const DONE = 0;
const READ = 1;
const OUTPUT = 2;
const WAIT = 3;

/** One controller per export or inspection: a single listener on the caller's signal, and
 * every read chained to it, so that reads in flight can be aborted when the call fails. */
export function callSignal(signal) {
  if (signal != null && (typeof signal.aborted !== 'boolean' || typeof signal.addEventListener !== 'function')) {
    throw fail(`signal: expected an AbortSignal, got ${describe(signal)}`);
  }
  const ac = new AbortController();
  unlimitedListeners(ac.signal);
  const onAbort = () => ac.abort(abortError(signal));
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: ac.signal,
    end() {
      signal?.removeEventListener('abort', onAbort);
      if (!ac.signal.aborted) ac.abort(fail('the export ended'));
    },
  };
}

/** Tell the session what is known of source `i` before any read: its size and head. */
export function prime(session, i, src) {
  const size = src.head?.size ?? src.size;
  if (size != null) session.setSize(i, size);
  for (const [o, bytes] of src.head?.ranges ?? []) session.addRange(i, o, bytes);
}

/** The core's step loop over an opened session whose order is planned: the reads it asks
 * for, and `onOutput()` whenever output is to move (then a yield if the slice is used). */
export async function decode(session, sources, signal, pacer, onOutput) {
  const reads = new Reads(sources, session, signal);
  try {
    for (;;) {
      if (signal.aborted) throw abortError(signal);
      // Reads come first and start before anything awaits: a read landing meanwhile
      // would make them stale (held, no longer under way) and they would be read twice.
      const next = session.next(STEP_BYTES, ...reads.known());
      if (next[0] === DONE) break;
      if (next[0] === READ) reads.start(next);
      else if (next[0] === OUTPUT) {
        await onOutput();
        await pacer.tick();
      } else if (next[0] === WAIT) await reads.landed();
      else await reads.poll(); // POLL
    }
    await reads.settled();
  } finally {
    reads.close();
  }
}

/** Open the session's sources, fetching what their headers, chrom trees and indexes need. */
export async function openSources(session, sources, signal) {
  const reads = new Reads(sources, session, signal);
  try {
    for (;;) {
      if (signal?.aborted) throw abortError(signal);
      const next = session.openNext(...reads.known());
      if (next[0] === DONE) return;
      if (next[0] === READ) reads.start(next);
      else await reads.landed();
    }
  } finally {
    reads.close();
  }
}

/** A byte count or duration: a non-negative integer (`undefined` takes the default). */
export function wholeNumber(opts, key, fallback) {
  const v = opts[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw fail(`${key}: expected a non-negative integer, got ${typeof v === 'string' ? `'${printable(v)}'` : typeof v === 'number' ? v : describe(v)}`);
  }
  return v;
}

/** The options every call reading sources takes. */
export function checkSourceOptions(opts) {
  wholeNumber(opts, 'wholeFileLimit');
  wholeNumber(opts, 'timeoutMs');
  if (opts.fetch != null && typeof opts.fetch !== 'function') throw fail(`fetch: expected a function, got ${describe(opts.fetch)}`);
}

export function checkOptions(opts, internal = {}) {
  if (!opts || typeof opts !== 'object') throw fail('exportTrack: expected an options object');
  if (!Array.isArray(opts.sources) || opts.sources.length === 0) throw fail('no sources given: pass at least one bigWig in `sources`');
  if (opts.regions == null && !internal.regions) throw fail('no regions given: pass BED text or { contigs, starts, ends } in `regions`');
  if (opts.output != null && !['blob', 'chunks'].includes(opts.output)) throw fail(`output: expected 'blob' or 'chunks', got '${printable(opts.output)}'`);
  // format, layout, maxMem and blockCacheBytes are the core's: it checks them (`exportOptions`).
  checkSourceOptions(opts);
}

/** Export `opts` (the public options) into `sink`. `internal`, for the package's own
 * callers only: `regions(session)` gives the session its regions instead of
 * `opts.regions`, `sourceLabels[i]` names source i where it has no name of its own (a
 * dataset); decoding pooled by genome slice (slices.js): `pooled(session, reorder, { m,
 * signal, fetched })` decodes the whole export's regions into `reorder` instead of this
 * loop (and returns the `bytesFetched` and `requests` it made; `fetched()` is this
 * thread's so far), `slice: { regions, take(session) }` decodes only those regions
 * (global indices, or their promise, awaited once the regions are read),
 * each step's encoded regions taken by `take`, nothing written into `sink`. */
export async function run(opts, sink, internal = {}) {
  checkOptions(opts, internal);
  if (opts.signal?.aborted) throw abortError(opts.signal);
  const call = callSignal(opts.signal);
  const signal = call.signal;
  const sources = [];
  let session;
  try {
    // A dataset's tracks export in its own module (`internal.using`): the Session takes
    // the DatasetPlan's regions, and objects of two instances never meet.
    return await (internal.using ?? using)(async (m) => {
      try {
        const { format, layout, maxMem, blockCacheBytes } = m.exportOptions(opts);
        for (let i = 0; i < opts.sources.length; i++) sources.push(await makeSource(opts.sources[i], i, opts, internal.sourceLabels?.[i]));
        session = new m.Session(sources.map((s) => s.name), format, layout, maxMem, blockCacheBytes);
        const pacer = new Pacer(signal);
        if (internal.regions) await internal.regions(session);
        else await setRegions(session, opts.regions, pacer);
        if (opts.shard != null) keepShard(m, session, opts.shard);
        if (internal.slice) session.keepRegionList(await internal.slice.regions);
        // The order the slices are cut from: genome order even for a small export.
        if (internal.pooled) session.forceGenomeOrder();
        sources.forEach((s, i) => prime(session, i, s));
        await openSources(session, sources, signal);
        while (!session.planOrder(PLAN_WORK)) await pacer.tick();
        const names = session.fileNames();
        await sink.begin(names, names.map((_, i) => session.headerLength(i)), STEP_BYTES);
        const total = session.nRegions;
        const drain = async () => {
          if (sink.take) return sink.take(session);
          const out = session.takeOutput();
          for (let k = 0; k < out.length; k += 2) await sink.write(out[k], out[k + 1]);
        };
        const pooled = !!internal.pooled;
        const reorder = pooled || (session.genomeOrder && !internal.slice) ? new Reorder(session, await sink.spill?.()) : null;
        const more = { bytesFetched: 0, requests: 0 };
        const fetched = () => tally(sources, 'fetched') + more.bytesFetched;
        if (internal.pooled) Object.assign(more, await internal.pooled(session, reorder, { m, signal, fetched: () => tally(sources, 'fetched') }));
        else {
          const take = internal.slice ? () => internal.slice.take(session) : reorder ? () => reorder.take() : drain;
          await decode(session, sources, signal, pacer, async () => {
            await take();
            if (opts.onProgress) opts.onProgress({ ...session.progress(), bytesFetched: fetched() });
          });
        }
        if (reorder) {
          for await (const bytes of reorder.inOrder(STEP_BYTES)) {
            session.pushEncoded(bytes);
            await drain();
            // Pooled, this thread's decoding was the slices': what counts now is the writing.
            if (pooled && opts.onProgress) opts.onProgress({ regionsDone: total, regionsTotal: total, intervals: session.nIntervals, bytesFetched: fetched() });
            await pacer.tick();
          }
        }
        const result = {
          nRegions: total,
          nSamples: session.nSamples,
          nIntervals: session.nIntervals,
          bytesFetched: fetched(),
          requests: tally(sources, 'requests') + more.requests,
          decodeOrder: reorder ? 'genome' : 'input',
        };
        return { ...result, files: await sink.finish(session.headers()) };
      } catch (e) {
        // Reads still in flight (other sources, when one failed) are aborted first: their
        // connections close and nothing keeps running after the export settled.
        call.end();
        await sink.abort?.();
        throw translate(e);
      } finally {
        try { session?.free(); } catch { /* a trapped instance is discarded anyway */ }
      }
    });
  } finally {
    call.end();
    await Promise.all(sources.map((s) => s.close().catch(() => {})));
  }
}

// Reading what the core asks for: ranges coalesced into few requests, at most CONCURRENCY
// at once, landing in the session as they complete; and pacing, so that synchronous work
// never holds the event loop for long.

import { fail, abortError } from './errors.js';

/** Ranges closer than this are fetched in one request. */
const COALESCE_GAP = 4096;
/** Bytes a round may add to reads extended to a source's minimum read size. */
const READ_AHEAD_BUDGET = 4 << 20;
/** Concurrent reads per fetch round. */
const CONCURRENCY = 8;

/** Merge sorted [offset, length] pairs that overlap or lie within COALESCE_GAP. */
export function coalesce(list) {
  const out = [];
  for (const [o, n] of list) {
    const last = out[out.length - 1];
    if (last && o <= last[0] + last[1] + COALESCE_GAP) last[1] = Math.max(last[1], o + n - last[0]);
    else out.push([o, n]);
  }
  return out;
}

/** Group [source, offset, length, ...] into coalesced reads per source, extended forward
 * where the source has a minimum read size. */
export function planReads(flat, sources) {
  const bySource = new Map();
  for (let k = 0; k < flat.length; k += 3) {
    const s = flat[k];
    if (!bySource.has(s)) bySource.set(s, []);
    bySource.get(s).push([flat[k + 1], flat[k + 2]]);
  }
  let budget = READ_AHEAD_BUDGET;
  const reads = [];
  for (const [s, list] of bySource) {
    list.sort((a, b) => a[0] - b[0]);
    let merged = coalesce(list);
    const { minRead, size } = sources[s];
    if (minRead && size != null) {
      for (const r of merged) {
        const extra = Math.min(minRead, size - r[0]) - r[1];
        if (extra > 0 && extra <= budget) { r[1] += extra; budget -= extra; }
      }
      merged = coalesce(merged);
    }
    for (const [o, n] of merged) reads.push([s, o, n]);
  }
  return reads;
}

/** Let tasks run (finished reads land) without the 4 ms clamp of nested timeouts. */
export const yieldTask = typeof setImmediate === 'function'
  ? () => new Promise((resolve) => setImmediate(resolve))
  : (() => {
    const ch = new MessageChannel();
    const waiting = [];
    ch.port1.onmessage = () => waiting.shift()?.();
    return () => new Promise((resolve) => { waiting.push(resolve); ch.port2.postMessage(0); });
  })();

/**
 * Reads under way, at most CONCURRENCY at once. Each lands in the session as soon as it
 * completes, so the core decodes while later regions' bytes are still being fetched.
 */
export class Reads {
  constructor(sources, session, signal) {
    Object.assign(this, { sources, session, signal, inflight: [], queue: [], active: 0, error: null, closed: false });
  }

  /** Start reading `[source, offset, length, ...]`, skipping ranges already being read;
   * returns how many reads started. */
  start(flat) {
    const todo = [];
    let started = 0;
    for (let k = 0; k < flat.length; k += 3) {
      const [s, o, n] = [flat[k], flat[k + 1], flat[k + 2]];
      if (!this.inflight.some((r) => r.s === s && r.o <= o && o + n <= r.end)) todo.push(s, o, n);
    }
    for (const [s, o, n] of planReads(todo, this.sources)) {
      const src = this.sources[s];
      const len = src.size != null ? Math.min(n, src.size - o) : n;
      if (len <= 0) continue; // past the end: the core reports it when it reads there
      const entry = { s, o, end: o + len };
      entry.done = this.#limit(() => src.read(o, len, this.signal)).then(
        (buf) => {
          if (this.closed) return;
          if (src.size != null) this.session.setSize(s, src.size);
          this.session.addRange(s, o, buf);
        },
        (e) => { this.error ??= e; },
      ).finally(() => { this.inflight.splice(this.inflight.indexOf(entry), 1); });
      this.inflight.push(entry);
      started += 1;
    }
    return started;
  }

  #limit(read) {
    return new Promise((resolve, reject) => {
      const run = () => {
        if (this.closed || this.signal?.aborted) {
          reject(this.signal?.aborted ? abortError(this.signal) : fail('read cancelled'));
          return;
        }
        this.active += 1;
        read().then(resolve, reject).finally(() => {
          this.active -= 1;
          this.queue.shift()?.();
        });
      };
      if (this.active < CONCURRENCY) run();
      else this.queue.push(run);
    });
  }

  get busy() { return this.inflight.length > 0; }

  /** Wait for every read under way; the first failure is thrown. */
  async settled() {
    while (this.inflight.length && !this.error) await Promise.race(this.inflight.map((r) => r.done));
    if (this.error) throw this.error;
  }

  /** Let finished reads land; the first failure is thrown. */
  async poll() {
    if (this.inflight.length) await yieldTask();
    if (this.error) throw this.error;
  }

  /** No more reads start and none lands (the session may be freed). */
  close() {
    this.closed = true;
    const queued = this.queue.splice(0);
    queued.forEach((run) => run());
  }
}

/** Synchronous work (decoding, parsing, planning) runs at most this long before the driver
 * yields a macrotask, so timers, I/O, keep-alive sockets and abort signals get their turn
 * however many regions an export has. Awaiting settled promises alone would not do. */
const SLICE_MS = 20;

export class Pacer {
  constructor(signal) {
    this.signal = signal;
    this.since = performance.now();
  }

  /** Yield if the slice is used up; throw if the export was aborted meanwhile. */
  async tick() {
    if (performance.now() - this.since >= SLICE_MS) {
      await yieldTask();
      this.since = performance.now();
    }
    if (this.signal?.aborted) throw abortError(this.signal);
  }
}

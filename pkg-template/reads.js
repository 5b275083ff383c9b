// @ts-check
// Reading what the core asks for: the core plans the reads (`session.next`: ranges
// coalesced into few requests, none asked for while a read covering it is under way; the
// numbers are its `ReadPolicy`), at most `session.readConcurrency` run at once, landing in
// the session as they complete; and pacing, so that synchronous work never holds the
// event loop for long.

import { fail, abortError } from './errors.js';

/** Reads up to this long go into buffers used again once their bytes landed in the session
 * (which copies them): a fresh buffer per read made 150 MB of garbage on medium. */
const REUSED_READ = 4 << 20;

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
 * Reads under way, at most the core's `readConcurrency` at once. Each lands in the session
 * as soon as it completes, so the core decodes while later regions' bytes are still being
 * fetched.
 */
export class Reads {
  /**
   * @param {import('./sources/index.js').ByteSource[]} sources
   * @param {import('./wasm/bigwig_npy.js').Session} session
   * @param {AbortSignal | undefined} signal
   */
  constructor(sources, session, signal) {
    this.sources = sources;
    this.session = session;
    this.signal = signal;
    /** @type {{ done?: Promise<void> }[]} */
    this.inflight = [];
    /** @type {(() => void)[]} */
    this.queue = [];
    this.active = 0;
    /** @type {unknown} the first read that failed */
    this.error = null;
    this.closed = false;
    /** Buffers free to read into again (at most one a read under way). @type {Uint8Array[]} */
    this.spare = [];
  }

  /** What the sources know now, for the core's plans: `[sizes, minReads]`. */
  known() {
    return [this.sources.map((s) => s.size ?? -1), this.sources.map((s) => s.minRead ?? 0)];
  }

  /** Start the reads the core planned: `[code, source, offset, length, ...]` (`code` is
   * the core's, skipped); returns how many started. */
  start(reads) {
    for (let k = 1; k < reads.length; k += 3) {
      const [s, o, n] = [reads[k], reads[k + 1], reads[k + 2]];
      const src = this.sources[s];
      const entry = {};
      // A source that reads into a given buffer (`readsInto`: file paths) gives a view of
      // it; the session copies what landed, so the buffer is free again once it has.
      let into;
      if (src.readsInto && n <= REUSED_READ) {
        into = this.spare.pop();
        if (!into || into.length < n) into = new Uint8Array(Math.max(n, 256 << 10));
      }
      entry.done = this.#limit(() => src.read(o, n, this.signal, into)).then(
        (buf) => {
          if (this.closed) return;
          if (src.size != null) this.session.setSize(s, src.size);
          this.session.addRange(s, o, buf);
        },
        (e) => { this.error ??= e; },
      ).finally(() => {
        if (into) this.spare.push(into);
        this.inflight.splice(this.inflight.indexOf(entry), 1);
        // Once closed, the session may be freed.
        if (!this.closed) this.session.readDone(s, o, n);
      });
      this.inflight.push(entry);
    }
    return (reads.length - 1) / 3;
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
      if (this.active < this.session.readConcurrency) run();
      else this.queue.push(run);
    });
  }

  /** Wait until a read under way lands; the first failure is thrown. */
  async landed() {
    if (this.inflight.length && !this.error) await Promise.race(this.inflight.map((r) => r.done));
    if (this.error) throw this.error;
  }

  /** Wait for every read under way; the first failure is thrown. */
  async settled() {
    while (this.inflight.length && !this.error) await this.landed();
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

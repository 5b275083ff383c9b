// bigwig-npy: export bigWig signal over regions into GenVarLoader's ragged .npy arrays, in
// browsers and Node. The Rust core (wasm) decodes one region at a time and says which byte
// ranges it still needs; this driver fetches them (bytes, Blobs, files, HTTP ranges) and
// moves the encoded output out of wasm memory after every step.

import * as firstGlue from './wasm/bigwig_npy.js';
import { BigwigNpyError, fail, abortError, printable, describe, reason } from './errors.js';
import { httpSource } from './sources/http.js';

const IS_NODE = typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';
/** Output bytes buffered in wasm before they are moved out. */
const STEP_BYTES = 1 << 20;
/** Regions whose blocks are fetched with a region that stalls, and half the horizon read
 * in the background while decoding goes on; in genome order their blocks are neighbours
 * in the file, so a longer window coalesces into fewer, larger requests. */
const LOOKAHEAD = 32;
const SWEEP_LOOKAHEAD = 512;
/** Ranges closer than this are fetched in one request. */
const COALESCE_GAP = 4096;
/** Encoded regions held in memory before a sweep's buckets spill to disk (Node, to a directory). */
const STAGING_BUDGET = 32 << 20;
/** Decoded blocks kept in wasm memory (option `blockCacheBytes`). */
const BLOCK_CACHE = 16 << 20;
/** Blob/File reads are latency-bound (measured in Chromium: ~4 ms a round for 8 parallel
 * reads of 16 or 64 KiB alike, ~640 MB/s beyond), so each is extended forward to at least
 * this many bytes, the next blocks in file order, within a per-round budget that bounds
 * the memory read ahead. */
const BLOB_MIN_READ = 256 << 10;
const READ_AHEAD_BUDGET = 4 << 20;
/** Bytes an inspected source may carry for exports to start from (its header, chrom tree
 * and index as read by inspectSource); larger heads are not kept. */
const HEAD_LIMIT = 8 << 20;
/** exportTrackToDir: output bytes handed to the file system and not yet written. */
const WRITES_AHEAD = 16 << 20;
/** Concurrent reads per fetch round. */
const CONCURRENCY = 8;
/** A server that ignores Range is read whole only up to this size (option `wholeFileLimit`). */
const WHOLE_FILE_LIMIT = 256 << 20;
/** An HTTP request with no bytes arriving for this long is retried, then fails (option `timeoutMs`). */
const TIMEOUT_MS = 60_000;
/** Linear memory never shrinks: past this size, the instance is dropped (and its memory
 * freed) once nothing has used it for RELEASE_IDLE_MS; the next call makes a new one. */
const RELEASE_BYTES = 64 << 20;
const RELEASE_IDLE_MS = 500;

// Hidden from bundlers: only Node ever takes these paths.
const nodeImport = (name) => import(/* webpackIgnore: true */ /* @vite-ignore */ name);

// The wasm glue module and its instance. After a trap (a Rust panic) the instance may hold
// broken state while other exports still use it, so the next call imports a fresh copy of
// the glue (a new URL is a new module); the broken one is dropped when nothing runs.
// build-pkg.mjs adds `__bigwigNpyDrop()` to the glue: it forgets the instance, so its
// memory can be freed and the next init makes a new one.
let glue = firstGlue;
let glueGeneration = 0;
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
        glue = await import(/* webpackIgnore: true */ /* @vite-ignore */ `./wasm/bigwig_npy.js?instance=${generation}`);
        glueGeneration = generation;
      }
      const url = new URL('./wasm/bigwig_npy_bg.wasm', import.meta.url);
      if (IS_NODE && url.protocol === 'file:') {
        // Compiled once: a dropped instance is remade without compiling again.
        if (!compiled) {
          const fs = await nodeImport('node:fs/promises');
          compiled = await WebAssembly.compile(await fs.readFile(url));
        }
        await glue.default({ module_or_path: compiled });
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

/** Run `fn(module)` counted as a user of the module. */
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

/** The current size of the wasm module's linear memory, in bytes (0 before first use, and
 * after an idle instance was dropped to free its memory). */
export function wasmMemoryBytes() {
  return mod ? mod.wasmMemoryBytes() : 0;
}

/** One controller per export or inspection: a single listener on the caller's signal, and
 * every read chained to it, so that reads in flight can be aborted when the call fails. */
function callSignal(signal) {
  if (signal != null && (typeof signal.aborted !== 'boolean' || typeof signal.addEventListener !== 'function')) {
    throw fail(`signal: expected an AbortSignal, got ${describe(signal)}`);
  }
  const ac = new AbortController();
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

// ---------------------------------------------------------------------------------------
// Sources: { name, size (number | null), read(offset, length, signal) -> Uint8Array, close() }

function isBytes(x) {
  return x instanceof Uint8Array || x instanceof ArrayBuffer || ArrayBuffer.isView(x);
}

function bytesSource(x, name) {
  const u8 = x instanceof Uint8Array ? x
    : x instanceof ArrayBuffer ? new Uint8Array(x)
    : new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  const src = {
    name, size: u8.length, fetched: 0, requests: 0,
    async read(o, n) { src.fetched += n; src.requests += 1; return u8.subarray(o, o + n); },
    async close() {},
  };
  return src;
}

function blobSource(blob, name) {
  const src = {
    name,
    size: blob.size,
    minRead: BLOB_MIN_READ,
    fetched: 0,
    requests: 0,
    async read(o, n) {
      src.fetched += n;
      src.requests += 1;
      try {
        return new Uint8Array(await blob.slice(o, o + n).arrayBuffer());
      } catch (e) {
        throw fail(`${name}: cannot read the file: ${reason(e)}`);
      }
    },
    async close() {},
  };
  return src;
}

async function pathSource(path, name) {
  const fs = await nodeImport('node:fs/promises');
  let fh;
  try {
    fh = await fs.open(path, 'r');
    const st = await fh.stat();
    if (st.isDirectory()) throw Object.assign(new Error('is a directory, not a bigWig file'), { code: 'EISDIR' });
    const size = st.size;
    const src = {
      name,
      size,
      fetched: 0,
      requests: 0,
      async read(o, n) {
        src.fetched += n;
        src.requests += 1;
        const buf = new Uint8Array(n);
        let done = 0;
        while (done < n) {
          const { bytesRead } = await fh.read(buf, done, n - done, o + done);
          if (bytesRead === 0) throw fail(`${name}: file ended early (changed while reading?)`);
          done += bytesRead;
        }
        return buf;
      },
      async close() { await fh.close(); },
    };
    return src;
  } catch (e) {
    await fh?.close();
    if (e instanceof BigwigNpyError) throw e;
    throw fail(`${name}: cannot open: ${e.code === 'EISDIR' ? 'is a directory, not a bigWig file' : fsReason(e)}`);
  }
}

/** What inspectSource returns: the source plus the bytes its open read. */
function isInspected(x) {
  return x != null && typeof x === 'object' && !isBytes(x) && !(typeof Blob !== 'undefined' && x instanceof Blob)
    && !(x instanceof URL) && 'source' in x && 'head' in x;
}

async function makeSource(x, i, opts) {
  if (isInspected(x)) {
    const src = await makeSource(x.source, i, opts);
    // A head read from another version of the file is ignored (a URL's size is known
    // only from its responses: it starts from the head's, and a change fails the export).
    if (x.head && (src.size == null || src.size === x.head.size)) {
      src.head = x.head;
      src.adopt?.(x.head);
    }
    return src;
  }
  const fetchFn = opts.fetch ?? globalThis.fetch?.bind(globalThis);
  const wholeLimit = opts.wholeFileLimit ?? WHOLE_FILE_LIMIT;
  const timeoutMs = opts.timeoutMs ?? TIMEOUT_MS;
  if (isBytes(x)) return bytesSource(x, `bytes[${i}]`);
  if (typeof Blob !== 'undefined' && x instanceof Blob) return blobSource(x, x.name ? printable(x.name) : `Blob[${i}]`);
  const http = (u) => {
    if (!fetchFn) throw fail(`source ${i}: no fetch() available for ${printable(u)}`);
    return httpSource(u, printable(u), { fetchFn, wholeLimit, timeoutMs });
  };
  if (x instanceof URL) {
    if (x.protocol === 'file:' && IS_NODE) return pathSource(x, printable(x.pathname));
    return http(x.href);
  }
  if (typeof x === 'string') {
    if (/^https?:\/\//i.test(x) || /^blob:/i.test(x)) return http(x);
    if (IS_NODE) {
      if (!x.startsWith('file:')) return pathSource(x, printable(x));
      let u;
      try { u = new URL(x); } catch { throw fail(`source ${i}: not a valid file URL: ${printable(x)}`); }
      return pathSource(u, printable(u.pathname));
    }
    return http(new URL(x, globalThis.document?.baseURI ?? globalThis.location?.href).href);
  }
  throw fail(`source ${i}: expected a Uint8Array, ArrayBuffer, Blob, File, URL${IS_NODE ? ' or file path' : ''}, got ${describe(x)}`);
}

/** Node's file-system errors as the short phrases a shell prints. */
function fsReason(e) {
  const known = {
    ENOENT: 'No such file or directory', EACCES: 'Permission denied', EPERM: 'Operation not permitted',
    EROFS: 'Read-only file system', ENOSPC: 'No space left on device', EDQUOT: 'Disk quota exceeded',
    ENOTDIR: 'Not a directory', EISDIR: 'Is a directory', EEXIST: 'File exists', ENOTEMPTY: 'Directory not empty',
    EMFILE: 'Too many open files', ENAMETOOLONG: 'File name too long', EIO: 'Input/output error', ELOOP: 'Too many levels of symbolic links',
  };
  return known[e?.code] ?? reason(e);
}

// ---------------------------------------------------------------------------------------
// Sweep mode: the core decodes shuffled regions in genome order (each block fetched and
// inflated once) and hands over encoded regions ([region u32][count u32 x S][records]).
// They wait in buckets of consecutive regions (spilled to a scratch file past a budget when
// the sink has one) and go back to the core in input order for the track writer.

function concat(parts) {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

class Reorder {
  constructor(nRegions, nSamples, spill) {
    this.s = nSamples;
    const nBuckets = Math.min(1024, Math.max(1, Math.floor(nRegions / 16)));
    this.per = Math.ceil(nRegions / nBuckets);
    this.buckets = Array.from({ length: Math.ceil(nRegions / this.per) }, () => ({ segs: [], bytes: 0, spilled: [] }));
    this.spill = spill;
    this.staged = 0;
  }

  /** Call fn(region, subarray) for every encoded region in `chunk`. */
  each(chunk, fn) {
    const dv = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (let at = 0; at < chunk.length;) {
      let n = 0;
      for (let k = 0; k < this.s; k++) n += dv.getUint32(at + 4 + 4 * k, true);
      const len = 4 + 4 * this.s + 12 * n;
      fn(dv.getUint32(at, true), chunk.subarray(at, at + len));
      at += len;
    }
  }

  async add(chunk) {
    this.each(chunk, (r, seg) => {
      const b = this.buckets[Math.floor(r / this.per)];
      b.segs.push(seg);
      b.bytes += seg.length;
      this.staged += seg.length;
    });
    while (this.spill && this.staged > STAGING_BUDGET) {
      const b = this.buckets.reduce((x, y) => (y.bytes > x.bytes ? y : x));
      const data = concat(b.segs);
      b.spilled.push([await this.spill.append(data), data.length]);
      this.staged -= b.bytes;
      b.segs = [];
      b.bytes = 0;
    }
  }

  /** Encoded regions in input order, about `STEP_BYTES` at a time. */
  async *inOrder() {
    // A bucket's spilled parts are read while the one before it is written out.
    const load = (bi) => Promise.all((this.buckets[bi]?.spilled ?? []).map(([off, len]) => this.spill.read(off, len)));
    let next = load(0);
    for (let bi = 0; bi < this.buckets.length; bi++) {
      const b = this.buckets[bi];
      const parts = await next;
      next = load(bi + 1);
      next.catch(() => {}); // awaited (and thrown) at the next bucket
      for (const seg of b.segs) parts.push(seg); // no spread: a bucket may hold 100k+ segments
      this.buckets[bi] = null;
      const first = bi * this.per;
      const at = new Array(this.per);
      for (const p of parts) this.each(p, (r, seg) => { at[r - first] = seg; });
      let batch = [];
      let size = 0;
      for (const seg of at) {
        if (!seg) continue;
        batch.push(seg);
        size += seg.length;
        if (size >= STEP_BYTES) { yield concat(batch); batch = []; size = 0; }
      }
      if (batch.length) yield concat(batch);
    }
  }
}

// ---------------------------------------------------------------------------------------
// The driver

/** Merge sorted [offset, length] pairs that overlap or lie within COALESCE_GAP. */
function coalesce(list) {
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
function plan(flat, sources) {
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

/** Tell the session what is known of source `i` before any read: its size and head. */
function prime(session, i, src) {
  const size = src.head?.size ?? src.size;
  if (size != null) session.setSize(i, size);
  for (const [o, bytes] of src.head?.ranges ?? []) session.addRange(i, o, bytes);
}

/** Open the session's sources, fetching what their headers, chrom trees and indexes need. */
async function openSources(session, sources, signal) {
  const reads = new Reads(sources, session, signal);
  try {
    for (;;) {
      if (signal?.aborted) throw abortError(signal);
      const missing = session.open();
      if (missing.length === 0) return;
      reads.start(missing);
      await reads.settled();
    }
  } finally {
    reads.close();
  }
}

/** Bytes read and reads made so far, over `sources`. */
const tally = (sources, key) => sources.reduce((t, x) => t + x[key], 0);

/** Let tasks run (finished reads land) without the 4 ms clamp of nested timeouts. */
const yieldTask = typeof setImmediate === 'function'
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
class Reads {
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
    for (const [s, o, n] of plan(todo, this.sources)) {
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

/** A byte count or duration: a non-negative integer (`undefined` takes the default). */
function wholeNumber(opts, key, fallback) {
  const v = opts[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw fail(`${key}: expected a non-negative integer, got ${typeof v === 'string' ? `'${printable(v)}'` : typeof v === 'number' ? v : describe(v)}`);
  }
  return v;
}

/** The options every call reading sources takes. */
function checkSourceOptions(opts) {
  wholeNumber(opts, 'wholeFileLimit');
  wholeNumber(opts, 'timeoutMs');
  if (opts.fetch != null && typeof opts.fetch !== 'function') throw fail(`fetch: expected a function, got ${describe(opts.fetch)}`);
}

function checkOptions(opts) {
  if (!opts || typeof opts !== 'object') throw fail('exportTrack: expected an options object');
  if (!Array.isArray(opts.sources) || opts.sources.length === 0) throw fail('no sources given: pass at least one bigWig in `sources`');
  if (opts.regions == null) throw fail('no regions given: pass BED text or { contigs, starts, ends } in `regions`');
  const format = opts.format ?? 'npy';
  const layout = opts.layout ?? 'aos';
  if (!['npy', 'raw'].includes(format)) throw fail(`format: expected 'npy' or 'raw', got '${printable(format)}'`);
  if (!['aos', 'soa'].includes(layout)) throw fail(`layout: expected 'aos' or 'soa', got '${printable(layout)}'`);
  if (opts.output != null && !['blob', 'chunks'].includes(opts.output)) throw fail(`output: expected 'blob' or 'chunks', got '${printable(opts.output)}'`);
  const maxMem = wholeNumber(opts, 'maxMem', 4 * 2 ** 30);
  const blockCacheBytes = wholeNumber(opts, 'blockCacheBytes', BLOCK_CACHE);
  checkSourceOptions(opts);
  return { format, layout, maxMem, blockCacheBytes };
}

/** Region coordinates as numbers: integers (numbers or bigints) only, no coercion of
 * strings, null or booleans (Number('') is 0, Number('0x1388') is 5000). `first` is the
 * index of `list[from]` among all regions, for messages. */
function coordinates(list, what, from = 0, to = list.length) {
  const out = new Float64Array(to - from);
  for (let i = from; i < to; i++) {
    const v = list[i];
    const x = typeof v === 'bigint' && v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : v;
    if (typeof x !== 'number' || !Number.isSafeInteger(x)) {
      const shown = typeof v === 'string' ? JSON.stringify(printable(v)) : typeof v === 'number' || typeof v === 'bigint' ? String(v) : describe(v);
      throw fail(`regions index ${i}: ${what} ${shown} is not an integer`);
    }
    out[i - from] = x;
  }
  return out;
}

/** BED bytes (or characters) and array entries handed to the core per call: small enough
 * that the driver can yield between pieces (a 10M-line BED is seconds of parsing). */
const BED_PIECE = 1 << 20;
const ARRAY_PIECE = 1 << 16;

/** Give the session its regions, piece by piece, yielding to the event loop by time. */
async function setRegions(session, regions, pacer) {
  if (typeof regions === 'string') {
    const enc = new TextEncoder();
    let at = 0;
    do {
      let end = Math.min(regions.length, at + BED_PIECE);
      // Never split a surrogate pair: each half alone would encode as U+FFFD.
      const c = regions.charCodeAt(end - 1);
      if (end < regions.length && c >= 0xd800 && c <= 0xdbff) end += 1;
      session.feedRegionsBed('regions', enc.encode(regions.slice(at, end)));
      at = end;
      await pacer.tick();
    } while (at < regions.length);
    return session.finishRegions();
  }
  if (isBytes(regions)) {
    const u8 = regions instanceof ArrayBuffer ? new Uint8Array(regions) : new Uint8Array(regions.buffer, regions.byteOffset, regions.byteLength);
    let at = 0;
    do {
      session.feedRegionsBed('regions', u8.subarray(at, at + BED_PIECE));
      at += BED_PIECE;
      await pacer.tick();
    } while (at < u8.length);
    return session.finishRegions();
  }
  const { contigs, starts, ends } = regions;
  if (!contigs || !starts || !ends) throw fail('regions: expected BED text, BED bytes or { contigs, starts, ends }');
  if (contigs.length !== starts.length || starts.length !== ends.length) {
    throw fail(`regions: contigs, starts and ends differ in length (${contigs.length}, ${starts.length}, ${ends.length})`);
  }
  let at = 0;
  do {
    const to = Math.min(contigs.length, at + ARRAY_PIECE);
    const names = new Array(to - at);
    for (let i = at; i < to; i++) {
      const c = contigs[i];
      if (typeof c !== 'string') throw fail(`regions index ${i}: contig ${describe(c)} is not a string`);
      names[i - at] = c;
    }
    session.addRegionArrays(names, coordinates(starts, 'start', at, to), coordinates(ends, 'end', at, to));
    at = to;
    await pacer.tick();
  } while (at < contigs.length);
  return session.finishRegions();
}

/** Regions of the decode order planned per call (the core sorts shuffled regions). */
const PLAN_WORK = 1 << 16;

/** Synchronous work (decoding, parsing, planning) runs at most this long before the driver
 * yields a macrotask, so timers, I/O, keep-alive sockets and abort signals get their turn
 * however many regions an export has. Awaiting settled promises alone would not do. */
const SLICE_MS = 20;

class Pacer {
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

/** Turn wasm errors into JS errors; a trap means Rust panicked: the next call loads a
 * fresh copy of the module (the broken one is dropped once nothing uses it). */
function translate(e) {
  if (e instanceof WebAssembly.RuntimeError) {
    if (mod) retired.push(mod);
    ready = null;
    mod = null;
    generation += 1;
    return fail(`bigwig-npy internal error (${printable(e.message)}); the module was reset and can be used again`, 'InternalError');
  }
  if (e instanceof Error && typeof e.kind === 'string' && !(e instanceof BigwigNpyError)) return fail(e.message, e.kind);
  return e;
}

async function run(opts, sink) {
  const { format, layout, maxMem, blockCacheBytes } = checkOptions(opts);
  if (opts.signal?.aborted) throw abortError(opts.signal);
  const call = callSignal(opts.signal);
  const signal = call.signal;
  const sources = [];
  let session;
  try {
    return await using(async (m) => {
      try {
        for (let i = 0; i < opts.sources.length; i++) sources.push(await makeSource(opts.sources[i], i, opts));
        session = new m.Session(sources.map((s) => s.name), format, layout, maxMem, blockCacheBytes);
        const pacer = new Pacer(signal);
        await setRegions(session, opts.regions, pacer);
        sources.forEach((s, i) => prime(session, i, s));
        await openSources(session, sources, signal);
        while (!session.planOrder(PLAN_WORK)) await pacer.tick();
        const names = session.fileNames();
        await sink.begin(names, names.map((_, i) => session.headerLength(i)));
        const total = session.nRegions;
        const drain = async () => {
          if (sink.take) return sink.take(session);
          const out = session.takeOutput();
          for (let k = 0; k < out.length; k += 2) await sink.write(out[k], out[k + 1]);
        };
        const reorder = session.sweep ? new Reorder(total, session.nSamples, await sink.spill?.()) : null;
        const reads = new Reads(sources, session, signal);
        try {
          for (;;) {
            if (signal.aborted) throw abortError(signal);
            // Start the reads before anything awaits: a read landing meanwhile would make
            // these ranges stale (held, no longer under way) and they would be read twice.
            const started = reads.start(session.step(STEP_BYTES, reorder ? SWEEP_LOOKAHEAD : LOOKAHEAD));
            const waiting = reads.busy;
            if (reorder) await reorder.add(session.takeSwept());
            else await drain();
            opts.onProgress?.({ regionsDone: session.regionsDone, regionsTotal: total, intervals: session.nIntervals, bytesFetched: tally(sources, 'fetched') });
            await pacer.tick();
            if (session.stalled) {
              // A stall with nothing to read and nothing under way would repeat forever.
              if (!started && !waiting) throw fail('bigwig-npy internal error: a region misses bytes that no read provides', 'InternalError');
              await reads.settled();
              continue;
            }
            if (session.regionsDone === total) break;
            await reads.poll();
          }
          await reads.settled();
        } finally {
          reads.close();
        }
        if (reorder) {
          for await (const bytes of reorder.inOrder()) {
            session.pushEncoded(bytes);
            await drain();
            await pacer.tick();
          }
        }
        const result = {
          nRegions: total,
          nSamples: session.nSamples,
          nIntervals: session.nIntervals,
          bytesFetched: tally(sources, 'fetched'),
          requests: tally(sources, 'requests'),
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

/**
 * Export every (region, sample) into GenVarLoader's arrays, returned as Blobs keyed by file
 * name (`intervals.npy`, `offsets.npy`, or `starts.npy`, `ends.npy`, `values.npy`).
 */
export async function exportTrack(opts) {
  const parts = [];
  const sink = {
    begin(names) { for (const name of names) parts.push({ name, chunks: [] }); },
    write(i, bytes) { parts[i].chunks.push(bytes); },
    finish(headers) {
      const files = {};
      parts.forEach((p, i) => {
        const chunks = headers[i].length ? [headers[i], ...p.chunks] : p.chunks;
        // Blobs cost a copy into browser storage; `chunks` leaves that to the caller (e.g.
        // to transfer the buffers out of a worker and build a Blob only on download).
        files[p.name] = opts.output === 'chunks' ? chunks : new Blob(chunks, { type: 'application/octet-stream' });
      });
      return files;
    },
  };
  return run(opts, sink);
}

/** `mkdir -p` recording in `made` the directories it made, outermost first. Each level is
 * made on its own: Node's recursive mkdir never settles for some paths (seen: under /proc). */
async function makeDirs(fs, path, dir, made) {
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

/** Remove the temporary files (`.<file>.partial-<pid>-<tag>`) of exports whose process is
 * gone (killed mid-export); a live process's, this one's included, are left alone. */
async function removeStale(fs, path, dir) {
  let names;
  try { names = await fs.readdir(dir); } catch { return; }
  const alive = (pid) => {
    try { process.kill(pid, 0); return true; } catch (e) { return e.code !== 'ESRCH'; }
  };
  for (const n of names) {
    const m = /^\..+\.partial-(\d+)-[0-9a-z]+$/.exec(n) ?? /^\.bigwig-npy-spill-(\d+)-[0-9a-z]+$/.exec(n);
    const pid = m ? Number(m[1]) : 0;
    if (pid > 0 && pid !== process.pid && !alive(pid)) await fs.unlink(path.join(dir, n)).catch(() => {});
  }
}

/**
 * Node only: export into `outDir`, streaming to files written under temporary names and
 * renamed into place when the whole export succeeded. Returns the paths by file name.
 */
export async function exportTrackToDir(opts) {
  if (!IS_NODE) throw fail('exportTrackToDir needs Node.js; in browsers use exportTrack');
  if (!opts?.outDir) throw fail('exportTrackToDir: `outDir` is required');
  const fs = await nodeImport('node:fs/promises');
  const path = await nodeImport('node:path');
  const outDir = String(opts.outDir);
  let files = [];
  let spillFh = null;
  const created = [];
  const tag = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const pending = new Set();
  let pendingBytes = 0;
  let writeError = null;
  // Whatever Node throws becomes one line naming the path.
  const outputError = (e, p) => (e instanceof BigwigNpyError ? e : fail(`${printable(p)}: cannot write output: ${fsReason(e)}`, 'OutputError'));
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
  const startWrite = (fh, bytes, at, p) => {
    const done = fh.write(bytes, 0, bytes.length, at).then(
      () => { pendingBytes -= bytes.length; },
      (e) => { pendingBytes -= bytes.length; writeError ??= { e, p }; },
    );
    pending.add(done);
    done.finally(() => pending.delete(done));
    pendingBytes += bytes.length;
    return done;
  };
  const backlog = async () => {
    while (pendingBytes > WRITES_AHEAD && !writeError) await Promise.race(pending);
    if (writeError) throw outputError(writeError.e, writeError.p);
  };
  // Output buffers go back to the pool once written: no fresh memory (and no garbage)
  // per step.
  const pool = [];
  const sink = {
    async begin(names, headerLengths) {
      await attempt(outDir, () => makeDirs(fs, path, outDir, created));
      await removeStale(fs, path, outDir);
      for (let i = 0; i < names.length; i++) {
        const temp = path.join(outDir, `.${names[i]}.partial-${tag}`);
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
      if (!buf || buf.length < need) buf = new Uint8Array(Math.max(need, 2 * STEP_BYTES));
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
    async spill() {
      // Unlinked at once: it never outlives the export.
      const p = path.join(outDir, `.bigwig-npy-spill-${tag}`);
      spillFh = await attempt(outDir, () => fs.open(p, 'w+'));
      await attempt(outDir, () => fs.unlink(p));
      let end = 0;
      return {
        async append(bytes) {
          const at = end;
          end += bytes.length;
          startWrite(spillFh, bytes, at, outDir);
          await backlog();
          return at;
        },
        async read(off, len) {
          await flush(); // reads start once all is staged: the spill is complete then
          const buf = new Uint8Array(len);
          const { bytesRead } = await attempt(outDir, () => spillFh.read(buf, 0, len, off));
          if (bytesRead !== len) throw fail(`${printable(outDir)}: scratch file read short`, 'OutputError');
          return buf;
        },
      };
    },
    async finish(headers) {
      await flush();
      for (let i = 0; i < files.length; i++) {
        const f = files[i];
        if (headers[i].length) await attempt(f.final, () => f.fh.write(headers[i], 0, headers[i].length, 0));
        await attempt(f.final, () => f.fh.close());
        f.fh = null;
      }
      await attempt(outDir, async () => spillFh?.close());
      spillFh = null;
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
  return run(opts, sink);
}

/** @internal Provokes a Rust panic (tests check the module recovers). */
export async function __provokePanic() {
  return using((m) => {
    try {
      m.__provokePanicForTests();
    } catch (e) {
      throw translate(e);
    }
  });
}

/**
 * Read a source's header and chromosome list: `{ name, contigs: [{ name, length }] }`.
 * Only the header, chrom tree and index are fetched.
 */
export async function inspectSource(source, opts = {}) {
  if (!opts || typeof opts !== 'object') throw fail('inspectSource: expected an options object');
  checkSourceOptions(opts);
  if (opts.signal?.aborted) throw abortError(opts.signal);
  const call = callSignal(opts.signal);
  let src;
  try {
    return await using(async (m) => {
      src = await makeSource(source, 0, opts);
      let session;
      // Keep what the open reads (not for in-memory bytes, which are there already), so that
      // exports given this object, in this thread or in workers, start without reading it again.
      const ranges = [];
      const given = isInspected(source) ? source.source : source;
      if (!isBytes(given)) {
        const read = src.read;
        src.read = async (o, n, signal) => {
          const buf = await read(o, n, signal);
          // A view into a larger buffer (a server that ignored Range) is copied, so that
          // posting the head to a worker does not clone the whole buffer.
          ranges.push([o, buf.byteLength === buf.buffer.byteLength ? buf : buf.slice()]);
          return buf;
        };
      }
      try {
        session = new m.Session([src.name], 'raw', 'aos', 0, 0);
        prime(session, 0, src);
        await openSources(session, [src], call.signal);
        const flat = session.contigs(0);
        const contigs = [];
        for (let k = 0; k < flat.length; k += 2) contigs.push({ name: flat[k], length: flat[k + 1] });
        let kept = 0;
        for (const [, b] of ranges) kept += b.length;
        // A URL's validators go with its head: an export finding them changed fails.
        const head = src.head ?? (ranges.length && kept <= HEAD_LIMIT && src.size != null
          ? { size: src.size, ranges, ...(src.version ? { version: src.version } : {}) } : null);
        return { name: src.name, contigs, source: given, head };
      } catch (e) {
        call.end();
        throw translate(e);
      } finally {
        try { session?.free(); } catch { /* discarded */ }
      }
    });
  } finally {
    call.end();
    await src?.close().catch(() => {});
  }
}

/** Check regions the way an export reads them; returns `{ count }` or throws naming the line. */
export async function parseRegions(regions, opts = {}) {
  return using(async (m) => {
    const session = new m.Session(['check'], 'raw', 'aos', 0, 0);
    try {
      return { count: await setRegions(session, regions, new Pacer(opts.signal)) };
    } catch (e) {
      throw translate(e);
    } finally {
      try { session.free(); } catch { /* discarded */ }
    }
  });
}

/**
 * Merge raw exports of contiguous region shards (given in region order, all with the same
 * sources) into the files a single export writes, in `format` and the shards' layout.
 * Shards exported with `output: 'chunks'` merge into chunk lists, others into Blobs.
 */
export async function mergeShards(shards, { format = 'npy' } = {}) {
  return using((m) => merge(m, shards, format));
}

async function merge(m, shards, format) {
  if (!shards.length) throw fail('mergeShards: no shards');
  const names = Object.keys(shards[0].files);
  const offsets = [new BigInt64Array([0n])];
  let base = 0n;
  const asChunks = Array.isArray(shards[0].files[names[0]]);
  const bytesOf = async (f) => (Array.isArray(f) ? concat(f) : new Uint8Array(await f.arrayBuffer()));
  for (const sh of shards) {
    const raw = await bytesOf(sh.files['offsets.npy']);
    const o = new BigInt64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    const shifted = o.slice(1);
    for (let k = 0; k < shifted.length; k++) shifted[k] += base;
    if (shifted.length) base = shifted[shifted.length - 1];
    offsets.push(shifted);
  }
  const nIntervals = Number(base);
  const nGroups = offsets.reduce((n, o) => n + o.length, 0);
  const header = (name, n) => (format === 'npy' ? [m.npyHeader(name, n)] : []);
  const files = {};
  for (const name of names) {
    const parts = name === 'offsets.npy'
      ? [...header(name, nGroups), ...offsets.map((o) => new Uint8Array(o.buffer, o.byteOffset, o.byteLength))]
      : [...header(name, nIntervals), ...shards.flatMap((s) => (asChunks ? s.files[name] : [s.files[name]]))];
    files[name] = asChunks ? parts : new Blob(parts, { type: 'application/octet-stream' });
  }
  const sum = (k) => shards.reduce((n, s) => n + (s[k] ?? 0), 0);
  return { files, nRegions: sum('nRegions'), nSamples: shards[0].nSamples, nIntervals, bytesFetched: sum('bytesFetched'), requests: sum('requests') };
}

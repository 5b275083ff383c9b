// @ts-check
// Sources: every kind of input behind one ByteSource contract that mirrors the core's
// `Source`: `{ name, size (number | null until known), read(offset, length, signal, into?)
// -> Uint8Array, close() }`, plus `stats: { fetched, requests }`. A source with `readsInto`
// reads into `into` and gives a view of it (the caller uses it again once the bytes are
// consumed).
// Counting and recording are wrappers around a source, never patches of it.

import { fail, describe, printable } from '../errors.js';
import { IS_NODE } from '../node.js';
import { bytesSource } from './bytes.js';
import { blobSource } from './blob.js';
import { pathSource } from './path.js';
import { httpSource, requestHeaders } from './http.js';

/**
 * The contract every source kind meets (the header comment's), for the type checker.
 * @typedef {object} ByteSource
 * @property {string} name
 * @property {number | null} size
 * @property {number} [minRead] bytes a read is extended to (Blobs)
 * @property {boolean} [readsInto] reads into the `into` buffer it is given (file paths)
 * @property {(offset: number, length: number, signal?: AbortSignal, into?: Uint8Array) => Promise<Uint8Array>} read
 * @property {() => Promise<void>} close
 * @property {{ fetched: number, requests: number }} [stats]
 * @property {{ size: number, ranges: [number, Uint8Array][], version?: object }} [head]
 * @property {object} [version] a URL's validators (http.js)
 * @property {(head: object) => void} [adopt]
 */

export function isBytes(x) {
  return x instanceof Uint8Array || x instanceof ArrayBuffer || ArrayBuffer.isView(x);
}

/** What inspectSource returns: the source plus the bytes its open read.
 * @returns {x is import('../index.js').InspectedSource} */
export function isInspected(x) {
  return x != null && typeof x === 'object' && !isBytes(x) && !(typeof Blob !== 'undefined' && x instanceof Blob)
    && !(x instanceof URL) && 'source' in x && 'head' in x;
}

/** `src` with its reads counted in `stats` (an HTTP source counts its own requests: one
 * read may take several). Property reads go through to `src`, so a size learned later shows.
 * @param {ByteSource} src
 * @returns {ByteSource} */
export function counted(src) {
  if (src.stats) return src;
  const stats = { fetched: 0, requests: 0 };
  return Object.assign(Object.create(src), {
    stats,
    async read(o, n, signal, into) {
      const buf = await src.read(o, n, signal, into);
      stats.fetched += buf.length;
      stats.requests += 1;
      return buf;
    },
  });
}

/** `src` with every range it reads appended to `ranges` as `[offset, bytes]`.
 * @param {ByteSource} src
 * @param {[number, Uint8Array][]} ranges
 * @returns {ByteSource} */
export function recorded(src, ranges) {
  return Object.assign(Object.create(src), {
    // Never into a buffer the caller uses again: the recorded bytes are kept.
    readsInto: false,
    async read(o, n, signal) {
      const buf = await src.read(o, n, signal);
      // A view into a larger buffer (a server that ignored Range) is copied, so that
      // posting the head to a worker does not clone the whole buffer.
      ranges.push([o, buf.byteLength === buf.buffer.byteLength ? buf : buf.slice()]);
      return buf;
    },
  });
}

/** Bytes read and requests made so far, over `sources`. */
export const tally = (sources, key) => sources.reduce((t, x) => t + x.stats[key], 0);

/** Source `i` of an export from whatever the caller gave, counted. */
/** Source `i` of an export from what the caller gave; `label` names it where it has no
 * name of its own (bytes, a nameless Blob), else it is named by position. */
export async function makeSource(x, i, opts, label) {
  return counted(await open(x, i, opts, label));
}

/** True when `x` is read over the network (an http(s) or blob: URL, or an inspected one),
 * by the rules `open` below goes by. */
export function isRemote(x) {
  if (isInspected(x)) return isRemote(x.source);
  if (x instanceof URL) return !(x.protocol === 'file:' && IS_NODE);
  return typeof x === 'string' && (/^https?:\/\//i.test(x) || /^blob:/i.test(x));
}

async function open(x, i, opts, label) {
  if (isInspected(x)) {
    const src = await open(x.source, i, opts, label);
    // A head read from another version of the file is ignored (a URL's size is known
    // only from its responses: it starts from the head's, and a change fails the export).
    if (x.head && (src.size == null || src.size === x.head.size)) {
      src.head = x.head;
      src.adopt?.(x.head);
    }
    return src;
  }
  const fetchFn = opts.fetch ?? globalThis.fetch?.bind(globalThis);
  // Undefined: the core's defaults (256 MiB read whole at most, 60 s without a byte).
  const wholeLimit = opts.wholeFileLimit;
  const timeoutMs = opts.timeoutMs;
  if (isBytes(x)) return bytesSource(x, label ?? `bytes[${i}]`);
  if (typeof Blob !== 'undefined' && x instanceof Blob) {
    const name = /** @type {Blob & { name?: string }} */ (x).name;
    return blobSource(x, name ? printable(name) : label ?? `Blob[${i}]`);
  }
  const http = async (u) => {
    if (!fetchFn) throw fail(`source ${i}: no fetch() available for ${printable(u)}`);
    const headers = await requestHeaders(opts.headers);
    return httpSource(u, printable(u), { fetchFn, wholeLimit, timeoutMs, headers });
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

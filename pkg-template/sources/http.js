// @ts-check
// URL sources: byte ranges through fetch. Every network rule is the core's (`RangeRead`,
// src/net/, which the native CLI's client follows too): what to request, what an answer
// means, when to continue, retry or fail, and every message. This file moves the bytes:
// it makes the requests, times out stalls, aborts with the export, and keeps the prefix
// of each chunk the core says to keep.
import { fail, abortError, describe, reason } from '../errors.js';
import { using } from '../module.js';

const TIMEOUT = Symbol('timeout');

const isResponse = (r) => r != null && typeof r === 'object' && typeof r.status === 'number'
  && typeof r.headers?.get === 'function' && (r.body == null || typeof r.body.getReader === 'function');

/** The `headers` option (an object, `[name, value]` pairs or a Headers) as pairs, each
 * checked by the core's rule (`checkHeader`); messages never show a value. */
export async function requestHeaders(headers) {
  if (headers == null) return [];
  let pairs;
  if (typeof Headers !== 'undefined' && headers instanceof Headers) pairs = [...headers.entries()];
  else if (Array.isArray(headers)) pairs = headers;
  else if (typeof headers === 'object') pairs = Object.entries(headers);
  else throw fail(`headers: expected an object of name: value, [name, value] pairs or a Headers, got ${describe(headers)}`);
  return using((m) => pairs.map((pair, k) => {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
      throw fail(`headers: entry ${k}: expected a [name, value] pair of strings`);
    }
    const why = m.checkHeader(pair[0], pair[1]);
    if (why) throw fail(`headers: ${why}`);
    return [pair[0], pair[1]];
  }));
}

/** The status and headers the core judges (it looks up the headers it reads). */
const headOf = (res) => ({ status: res.status, statusText: res.statusText, headers: res.headers });

/** zlib/brotli failures while fetch decodes a Content-Encoding (Node's codes; browsers
 * report a plain network error). */
function isDecodeError(e) {
  const code = e?.cause?.code ?? e?.code;
  return typeof code === 'string' && (/^Z_/.test(code) || /ZLIB|BROTLI|ZSTD/.test(code));
}

/** @returns {Promise<void>} */
function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const onAbort = () => { clearTimeout(t); reject(abortError(signal)); };
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/**
 * A source read with HTTP range requests. `read(offset, length, signal)` resolves with the
 * bytes (fewer only at the end of the file); `signal` is the export's, and aborting it
 * aborts the requests in flight (their connections close). `wholeLimit` and `timeoutMs`
 * default to the core's (256 MiB, 60 s) when undefined.
 */
export function httpSource(url, name, { fetchFn, wholeLimit, timeoutMs, headers = [] }) {
  // A plain object, as before: a caller's `fetch` may read `init.headers.Range`.
  const sent = Object.fromEntries(headers);
  const src = {
    name,
    /** The file's identity as its answers said (the core reads and updates both).
     * @type {number | null} */
    size: null,
    /** The validators of the first answer (ETag, Last-Modified), checked on every later one.
     * @type {object | null} */
    version: null,
    /** The body of a server that ignored Range.
     * @type {Uint8Array | null} */
    whole: null,
    /** Bytes received and HTTP requests made (one read may take several). */
    stats: { fetched: 0, requests: 0 },
    /** Start from what inspectSource saw: a file changed since fails on its first response. */
    adopt(head) {
      src.size = head.size;
      src.version = head.version ?? null;
    },
    async read(o, n, signal) {
      if (src.whole) return src.whole.subarray(o, o + n);
      return using(async (m) => {
        const read = new m.RangeRead(o, n, wholeLimit, timeoutMs);
        try {
          return await readRange(read, o, n, signal);
        } finally {
          read.free();
        }
      });
    },
    async close() { src.whole = null; },
  };

  /** One read, as the core's `read` directs it. */
  async function readRange(read, o, n, signal) {
    const out = new Uint8Array(n);
    // Bytes kept in `out`, and the parts of a whole body.
    const at = { got: 0, parts: null };
    let act = read.start();
    for (;;) {
      switch (act.do) {
        case 'request':
          if (signal?.aborted) throw abortError(signal);
          act = await request(read, act.range, out, at, signal);
          break;
        case 'wait':
          await sleep(act.ms, signal);
          act = read.resume();
          break;
        case 'done':
          return at.got === n ? out : out.subarray(0, at.got);
        case 'whole':
          src.whole = concat(at.parts);
          return src.whole.subarray(o, o + n);
        default:
          throw fail(`${name}: ${act.message}`);
      }
    }
  }

  /** One request for `range`: its answer and body go to the core, which says what next. */
  async function request(read, range, out, at, signal) {
    src.stats.requests += 1;
    const timeoutMs = read.timeoutMs;
    // Its own controller, chained to the export's: a timeout aborts this request only.
    const rc = new AbortController();
    const chain = () => rc.abort(signal.reason);
    signal?.addEventListener('abort', chain, { once: true });
    let timer;
    const arm = () => {
      if (!timeoutMs) return;
      clearTimeout(timer);
      timer = setTimeout(() => rc.abort(TIMEOUT), timeoutMs);
    };
    // Rejects on abort: a fetch or body ignoring its signal cannot hang the read.
    const aborted = new Promise((_, reject) => {
      rc.signal.addEventListener('abort', () => reject(rc.signal.reason), { once: true });
    });
    aborted.catch(() => {});
    /** A failure of fetch or of the body: the core's to judge, unless the export was aborted. */
    const fault = (e, kind) => {
      if (rc.signal.aborted) {
        if (rc.signal.reason !== TIMEOUT) throw abortError(signal);
        return read.fault('timeout');
      }
      return read.fault(kind, reason(e));
    };
    let ended = false;
    let res;
    try {
      arm();
      try {
        res = await Promise.race([fetchFn(url, { headers: { ...sent, Range: range }, signal: rc.signal }), aborted]);
      } catch (e) {
        return fault(e, 'network');
      }
      if (!isResponse(res)) throw fail(`${name}: the fetch option returned ${describe(res)}, not a Response`);
      arm();
      let act = read.response(headOf(res), src);
      if (act.do !== 'read') return act;
      at.parts = act.whole ? [] : null;
      if (!res.body) {
        ended = true;
        return read.end(src);
      }
      const reader = res.body.getReader();
      try {
        while (act.do === 'read') {
          let chunk;
          try {
            chunk = await Promise.race([reader.read(), aborted]);
          } catch (e) {
            return fault(e, isDecodeError(e) ? 'decode' : 'network');
          }
          if (chunk.done) {
            ended = true;
            return read.end(src);
          }
          arm();
          const bytes = chunk.value;
          act = read.body(bytes.length);
          if (act.keep > 0) {
            const part = act.keep === bytes.length ? bytes : bytes.subarray(0, act.keep);
            if (at.parts) at.parts.push(part);
            else {
              out.set(part, at.got);
              at.got += act.keep;
            }
            src.stats.fetched += act.keep;
          }
        }
        return act;
      } finally {
        if (!ended) reader.cancel().catch(() => {});
      }
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', chain);
      // A body not read to its end is dropped with its connection.
      if (!ended) {
        res?.body?.cancel?.().catch(() => {});
        rc.abort();
      }
    }
  }

  return src;
}

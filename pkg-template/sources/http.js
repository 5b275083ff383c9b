// URL sources: byte ranges through fetch, hardened against what servers, proxies and CDNs
// do. Short bodies are continued from where they stopped, bodies longer than asked are cut,
// a file that changes mid-export is detected, stalls time out, dropped connections are
// retried (a few times), and limits hold while the body streams in. Every failure is one
// line naming the URL.
import { fail, abortError, describe, printable, reason } from '../errors.js';

/** Tries per read for network errors, timeouts and bodies cut off: two retries. */
const ATTEMPTS = 3;
const BACKOFF_MS = [100, 400];
/** Requests one read may take: a few, plus one per KiB asked. Servers capping bodies at
 * 1 KiB or more work; one sending crumbs fails rather than being asked millions of times. */
const maxRounds = (n) => 8 + Math.ceil(n / 1024);

/** A fault of one request worth retrying (network error, timeout, body cut off). */
class Retry extends Error {}
const TIMEOUT = Symbol('timeout');

const isResponse = (r) => r != null && typeof r === 'object' && typeof r.status === 'number'
  && typeof r.headers?.get === 'function' && (r.body == null || typeof r.body.getReader === 'function');

/** Bytes of the body as sent, or null when unknown (absent, or the body is encoded). */
function contentLength(res) {
  const enc = res.headers.get('content-encoding');
  const cl = res.headers.get('content-length');
  return cl != null && /^\d+$/.test(cl.trim()) && (!enc || enc.trim() === 'identity') ? Number(cl) : null;
}

/** zlib/brotli failures while fetch decodes a Content-Encoding (Node's codes; browsers
 * report a plain network error). */
function isDecodeError(e) {
  const code = e?.cause?.code ?? e?.code;
  return typeof code === 'string' && (/^Z_/.test(code) || /ZLIB|BROTLI|ZSTD/.test(code));
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const onAbort = () => { clearTimeout(t); reject(abortError(signal)); };
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A source read with HTTP range requests. `read(offset, length, signal)` resolves with the
 * bytes (fewer only at the end of the file); `signal` is the export's, and aborting it
 * aborts the requests in flight (their connections close).
 */
export function httpSource(url, name, { fetchFn, wholeLimit, timeoutMs }) {
  const src = {
    name,
    size: null,
    /** The body of a server that ignored Range. */
    whole: null,
    /** Bytes received and HTTP requests made (one read may take several). */
    stats: { fetched: 0, requests: 0 },
    /** The file's version as first seen (ETag, Last-Modified), checked on every response. */
    version: null,
    /** Start from what inspectSource saw: a file changed since fails on its first response. */
    adopt(head) {
      src.size = head.size;
      src.version = head.version ?? null;
    },
    async read(o, n, signal) {
      if (src.whole) return src.whole.subarray(o, o + n);
      const out = new Uint8Array(n);
      const at = { got: 0 };
      let faults = 0;
      for (let round = 1; at.got < n; round++) {
        if (signal?.aborted) throw abortError(signal);
        if (round > maxRounds(n)) {
          throw fail(`${name}: the server keeps sending short responses (${round - 1} requests for bytes ${o}-${o + n - 1}, ${at.got} bytes received)`);
        }
        let r;
        try {
          r = await request(o, n, out, at, signal);
        } catch (e) {
          if (!(e instanceof Retry)) throw e;
          faults += 1;
          if (faults >= ATTEMPTS) throw fail(`${name}: ${e.message} (${faults} attempts)`);
          await sleep(BACKOFF_MS[faults - 1], signal);
          continue;
        }
        if (r.whole) return r.whole.subarray(o, o + n);
        if (r.eof) break;
      }
      return at.got === n ? out : out.subarray(0, at.got);
    },
    async close() { src.whole = null; },
  };

  /** A response's validators against the first ones seen, and its total size. */
  function checkVersion(res, total) {
    const seen = { etag: res.headers.get('etag'), lastModified: res.headers.get('last-modified') };
    const v = src.version;
    if (!v) {
      src.version = seen;
    } else if (v.etag && seen.etag) {
      if (v.etag !== seen.etag) throw fail(`${name}: changed while reading (ETag ${printable(v.etag)}, now ${printable(seen.etag)})`);
    } else if (v.lastModified && seen.lastModified && v.lastModified !== seen.lastModified) {
      throw fail(`${name}: changed while reading (Last-Modified ${printable(v.lastModified)}, now ${printable(seen.lastModified)})`);
    }
    if (total != null) {
      if (src.size != null && total !== src.size) throw fail(`${name}: changed while reading (${src.size} bytes, now ${total})`);
      src.size = total;
    }
  }

  /** One request for bytes [o + at.got, o + n) into `out`; `at.got` counts what arrived,
   * even when the request then fails. */
  async function request(o, n, out, at, signal) {
    const pos = o + at.got;
    const last = o + n - 1;
    src.stats.requests += 1;
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
    const whyAborted = () => (rc.signal.reason === TIMEOUT ? new Retry(`timed out: no data for ${timeoutMs} ms`) : abortError(signal));
    let complete = false;
    let res;
    try {
      arm();
      try {
        res = await Promise.race([fetchFn(url, { headers: { Range: `bytes=${pos}-${last}` }, signal: rc.signal }), aborted]);
      } catch (e) {
        if (rc.signal.aborted) throw whyAborted();
        throw new Retry(`network error: ${reason(e)}`);
      }
      if (!isResponse(res)) throw fail(`${name}: the fetch option returned ${describe(res)}, not a Response`);
      arm();

      /** Stream the body into `put(chunk)` until it ends (true) or `put` says stop (false). */
      const pump = async (put, what) => {
        if (!res.body) return true;
        const reader = res.body.getReader();
        let done = false;
        try {
          for (;;) {
            const chunk = await Promise.race([reader.read(), aborted]);
            if (chunk.done) { done = true; return true; }
            arm();
            if (put(chunk.value) === false) return false;
          }
        } catch (e) {
          if (rc.signal.aborted) throw whyAborted();
          if (isDecodeError(e)) {
            throw fail(`${name}: cannot decode the response (Content-Encoding: ${printable(res.headers.get('content-encoding'))}): ${reason(e)}`);
          }
          throw new Retry(`truncated response: ${what()} (${reason(e)})`);
        } finally {
          if (!done) reader.cancel().catch(() => {});
        }
      };

      if (res.status === 206) {
        const cr = res.headers.get('content-range');
        const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(cr?.trim() ?? '');
        const [a, b, total] = m ? [Number(m[1]), Number(m[2]), m[3] === '*' ? null : Number(m[3])] : [];
        if (!m || a !== pos || b < a || (total != null && b >= total)) {
          throw fail(`${name}: bad Content-Range '${printable(cr)}' for bytes ${pos}-${last}`);
        }
        checkVersion(res, total);
        const announced = b - a + 1;
        // A body longer than asked (a server ignoring the range end) is read as asked.
        const take = Math.min(announced, last - pos + 1);
        let k = 0;
        let longer = false;
        const ended = await pump((chunk) => {
          const use = Math.min(take - k, chunk.length);
          out.set(use === chunk.length ? chunk : chunk.subarray(0, use), at.got);
          at.got += use;
          k += use;
          src.stats.fetched += use;
          if (use < chunk.length) { longer = take === announced; return false; }
          // Past what was asked: stop. At what was announced: read on, to see the end.
          return !(k === take && take < announced);
        }, () => `expected ${take} bytes at offset ${pos}, got ${k}`);
        if (longer) throw fail(`${name}: the response is longer than its Content-Range says (bytes ${a}-${b})`);
        if (ended && k < take) throw new Retry(`truncated response: expected ${take} bytes at offset ${pos}, got ${k}`);
        complete = ended;
        // A shorter answer ending at the end of the file is the end of the read.
        return { eof: total != null && b + 1 >= total };
      }

      if (res.status === 200) {
        // The server ignored Range: the whole body, if it is small enough.
        checkVersion(res, null);
        const declared = contentLength(res);
        const overLimit = () => fail(`${name}: the server ignores HTTP range requests and the file is ${declared != null ? `${declared} bytes, over` : 'over'} the ${wholeLimit}-byte limit for reading it whole`);
        if (declared != null && declared > wholeLimit) throw overLimit();
        const parts = [];
        let k = 0;
        let over = false;
        const ended = await pump((chunk) => {
          k += chunk.length;
          if (k > wholeLimit || (declared != null && k > declared)) { over = true; return false; }
          parts.push(chunk);
          return true;
        }, () => `expected ${declared != null ? `${declared} bytes` : 'the whole file'}, got ${k}`);
        if (over && declared != null && k > declared) throw fail(`${name}: the response is longer than its Content-Length says (${declared} bytes)`);
        if (over) throw overLimit();
        if (declared != null && k < declared) throw new Retry(`truncated response: expected ${declared} bytes, got ${k}`);
        complete = ended;
        const whole = new Uint8Array(k);
        let p = 0;
        for (const c of parts) { whole.set(c, p); p += c.length; }
        src.stats.fetched += k;
        if (src.size != null && k !== src.size) throw fail(`${name}: changed while reading (${src.size} bytes, now ${k})`);
        src.whole = whole;
        src.size = k;
        return { whole };
      }

      if (res.status === 416) {
        const m = /bytes \*\/(\d+)/.exec(res.headers.get('content-range') ?? '');
        const total = m ? Number(m[1]) : null;
        if (src.size != null && pos < src.size) {
          throw fail(`${name}: the server said the file has ${src.size} bytes, then answered HTTP 416 for bytes ${pos}-${last}`);
        }
        // A continued read of a file of unknown size ran into its end.
        if (at.got > 0) {
          src.size = total ?? pos;
          return { eof: true };
        }
        throw fail(`${name}: HTTP 416: bytes ${pos}-${last} lie past the end of the file (truncated file?)`);
      }
      throw fail(`${name}: HTTP ${res.status}${res.statusText ? ` ${printable(res.statusText)}` : ''}`);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', chain);
      // A body not read to its end is dropped with its connection.
      if (!complete) {
        res?.body?.cancel?.().catch(() => {});
        rc.abort();
      }
    }
  }

  return src;
}

// A misbehaving HTTP server on 127.0.0.1 for the fault tests: each mode (first path
// segment) reproduces something proxies, CDNs or broken servers do. Every mode is bounded
// (request counts, body sizes) so that a client that loops or reads forever fails a test
// rather than hanging it.
//
//   /range/<file>      honest 206 ranges, with an ETag
//   /cap/<file>        honest 206, but bodies capped at ?cap= bytes (default 4096)
//   /bigtotal/<file>   Content-Range total 100000 bytes larger than the file
//   /swap/<file>       the file's bytes change (same size) after ?after= requests; the
//                      validator is an ETag (?v=etag, default) or Last-Modified (?v=lm)
//   /overlong/<file>   206 announcing 64 MiB past the asked end (zeros after the file)
//   /endless/<file>    ignores Range: 200 without Content-Length, up to 256 MiB of body
//   /long/<file>       206 with a body 100 bytes longer than its Content-Range says
//   /badgzip/<file>    206 labelled Content-Encoding: gzip, body not gzip
//   /stall/<file>      never answers
//   /stallbody/<file>  headers and the first half of the body, then nothing
//   /flaky/<file>      drops the connection without an answer on every 3rd request
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { DATA } from './helpers.mjs';

/** Requests past this many (in the looping modes) get a 503, so a loop ends. */
const LOOP_GUARD = 5000;

export async function startHostileServer() {
  const state = { requests: 0, byMode: {}, bytesSent: 0, sockets: new Set(), stalled: [], swapped: false, swapCount: 0 };
  const files = new Map();
  const fileBytes = (rel) => {
    if (!files.has(rel)) {
      const f = path.join(DATA, rel);
      files.set(rel, f.startsWith(DATA) && fs.existsSync(f) && fs.statSync(f).isFile() ? fs.readFileSync(f) : null);
    }
    return files.get(rel);
  };
  const server = http.createServer((req, res) => {
    state.requests += 1;
    const u = new URL(req.url, 'http://x');
    const [, mode, ...rest] = decodeURIComponent(u.pathname).split('/');
    state.byMode[mode] = (state.byMode[mode] ?? 0) + 1;
    let body = fileBytes(rest.join('/'));
    if (!body) { res.writeHead(404).end('not found'); return; }
    if (state.byMode[mode] > LOOP_GUARD) { res.writeHead(503, 'Loop Guard').end(); return; }
    const m = /bytes=(\d+)-(\d+)?/.exec(req.headers.range ?? '');
    const size = body.length;
    const start = m ? Number(m[1]) : 0;
    const end = m ? Math.min(m[2] ? Number(m[2]) : size - 1, size - 1) : size - 1;
    const send = (status, headers, bytes) => {
      state.bytesSent += bytes.length;
      res.writeHead(status, headers).end(bytes);
    };
    const range206 = (a, b, total = size, extra = {}) => send(206, {
      'Content-Range': `bytes ${a}-${b}/${total}`, 'Content-Length': b - a + 1, ETag: '"v1"', ...extra,
    }, body.subarray(a, b + 1));
    if (m && start >= size && mode !== 'endless') {
      res.writeHead(416, { 'Content-Range': `bytes */${mode === 'bigtotal' ? size + 100000 : size}` }).end();
      return;
    }
    switch (mode) {
      case 'range': return range206(start, end);
      case 'cap': return range206(start, Math.min(end, start + Number(u.searchParams.get('cap') ?? 4096) - 1));
      case 'bigtotal': return range206(start, end, size + 100000);
      case 'swap': {
        state.swapCount += 1;
        if (state.swapCount > Number(u.searchParams.get('after') ?? 3)) {
          state.swapped = true;
          // Same size, other values: every byte past the header changes.
          body = Buffer.from(body);
          for (let k = 64; k < body.length; k++) body[k] ^= 0x5a;
        }
        const version = state.swapped ? 2 : 1;
        const validator = u.searchParams.get('v') === 'lm'
          ? { 'Last-Modified': new Date(Date.UTC(2024, 0, version)).toUTCString() }
          : { ETag: `"v${version}"` };
        return send(206, { 'Content-Range': `bytes ${start}-${end}/${size}`, 'Content-Length': end - start + 1, ...validator }, body.subarray(start, end + 1));
      }
      case 'overlong': {
        const claimed = end + (64 << 20);
        const total = size + (1 << 30);
        res.writeHead(206, { 'Content-Range': `bytes ${start}-${claimed}/${total}`, 'Content-Length': claimed - start + 1 });
        return stream(res, state, claimed - start + 1, (at, n) => {
          const out = Buffer.alloc(n);
          if (start + at < size) body.copy(out, 0, start + at, Math.min(size, start + at + n));
          return out;
        });
      }
      case 'endless': {
        res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
        return stream(res, state, 256 << 20, (at, n) => Buffer.alloc(n));
      }
      case 'long': {
        const bytes = Buffer.concat([body.subarray(start, end + 1), Buffer.alloc(100)]);
        return send(206, { 'Content-Range': `bytes ${start}-${end}/${size}`, 'Content-Length': bytes.length }, bytes);
      }
      case 'badgzip': return range206(start, end, size, { 'Content-Encoding': 'gzip' });
      case 'stall':
        state.stalled.push(req.socket);
        return undefined;
      case 'stallbody': {
        res.writeHead(206, { 'Content-Range': `bytes ${start}-${end}/${size}`, 'Content-Length': end - start + 1 });
        const half = Math.max(1, Math.floor((end - start + 1) / 2));
        state.bytesSent += half;
        res.write(body.subarray(start, start + half));
        state.stalled.push(req.socket);
        return undefined;
      }
      case 'flaky':
        if (state.byMode.flaky % 3 === 0) { req.socket.destroy(); return undefined; }
        return range206(start, end);
      default:
        res.writeHead(404).end('no such mode');
        return undefined;
    }
  });
  server.on('connection', (s) => {
    state.sockets.add(s);
    s.on('close', () => state.sockets.delete(s));
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const base = `http://127.0.0.1:${server.address().port}`;
  return {
    base,
    state,
    reset() {
      Object.assign(state, { requests: 0, byMode: {}, bytesSent: 0, stalled: [], swapped: false, swapCount: 0 });
    },
    close: () => new Promise((ok) => { server.closeAllConnections?.(); for (const s of state.sockets) s.destroy(); server.close(ok); }),
  };
}

/** Write `total` bytes made by `make(at, n)` as the client takes them, until it hangs up. */
function stream(res, state, total, make) {
  let at = 0;
  const pump = () => {
    while (at < total && !res.destroyed) {
      const n = Math.min(64 << 10, total - at);
      const chunk = make(at, n);
      at += n;
      state.bytesSent += n;
      if (!res.write(chunk)) { res.once('drain', pump); return; }
    }
    if (at >= total && !res.destroyed) res.end();
  };
  res.on('close', () => { at = total; });
  pump();
}

/** Wait until `cond()` holds, checking every 20 ms, for at most `ms`; returns whether it held. */
export async function waitFor(cond, ms) {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) return false;
    await new Promise((ok) => setTimeout(ok, 20));
  }
  return true;
}

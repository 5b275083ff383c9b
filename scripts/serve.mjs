#!/usr/bin/env node
// `npm start`: serve the export page (www/), the built package (pkg/) and the zip library (client-zip)
// on 127.0.0.1, plus a folder of bigWigs under /data/ (default: data/) with HTTP Range
// support, so URL sources can be tried locally.
// usage: node scripts/serve.mjs [--port 8080] [--data DIR]
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.json': 'application/json', '.png': 'image/png', '.svg': 'image/svg+xml' };

function resolve(urlPath, dataDir) {
  const mounts = [
    ['/pkg/', path.join(ROOT, 'pkg')],
    ['/vendor/client-zip.js', path.join(ROOT, 'node_modules', 'client-zip', 'index.js')],
    ['/data/', dataDir],
    ['/', path.join(ROOT, 'www')],
  ];
  for (const [prefix, dir] of mounts) {
    if (urlPath === prefix && !prefix.endsWith('/')) return dir;
    if (prefix.endsWith('/') && urlPath.startsWith(prefix)) {
      const rel = urlPath.slice(prefix.length) || 'index.html';
      const file = path.resolve(dir, rel);
      return file.startsWith(path.resolve(dir) + path.sep) ? file : null;
    }
  }
  return null;
}

export function startServer({ port = 8080, dataDir = path.join(ROOT, 'data') } = {}) {
  const server = http.createServer((req, res) => {
    let file;
    try {
      file = resolve(decodeURIComponent(new URL(req.url, 'http://x').pathname), path.resolve(dataDir));
    } catch {
      file = null;
    }
    if (!file || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    const size = fs.statSync(file).size;
    const headers = { 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'Accept-Ranges': 'bytes', 'Cache-Control': 'no-store' };
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (!m) {
      res.writeHead(200, { ...headers, 'Content-Length': size });
      if (req.method === 'HEAD') return res.end();
      fs.createReadStream(file).pipe(res);
      return;
    }
    const start = Number(m[1]);
    const end = Math.min(m[2] ? Number(m[2]) : size - 1, size - 1);
    if (start >= size || end < start) {
      res.writeHead(416, { ...headers, 'Content-Range': `bytes */${size}` }).end();
      return;
    }
    res.writeHead(206, { ...headers, 'Content-Length': end - start + 1, 'Content-Range': `bytes ${start}-${end}/${size}` });
    if (req.method === 'HEAD') return res.end();
    fs.createReadStream(file, { start, end }).pipe(res);
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ok({ server, url: `http://127.0.0.1:${server.address().port}/` }));
  });
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (n, d) => { const i = process.argv.indexOf(n); return i > 0 ? process.argv[i + 1] : d; };
  const dataDir = path.resolve(arg('--data', path.join(ROOT, 'data')));
  if (!fs.existsSync(path.join(ROOT, 'pkg', 'index.js'))) {
    console.error('error: pkg/ is not built: run `npm run build` first');
    process.exit(1);
  }
  const { url } = await startServer({ port: Number(arg('--port', process.env.PORT ?? 8080)), dataDir });
  console.log(`bigwig-npy export page: ${url}`);
  console.log(`bigWigs in ${dataDir} are served under ${url}data/ (e.g. ${url}data/seed/sample_0.bw)`);
}

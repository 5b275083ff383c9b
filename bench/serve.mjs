// A plain static file server with Range support on 127.0.0.1 (for bench/node.mjs), run in
// its own process so it does not share the exporter's event loop. Prints its port.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(process.argv[2]);
const server = http.createServer((req, res) => {
  const file = path.join(root, decodeURIComponent(new URL(req.url, 'http://x').pathname));
  if (!file.startsWith(root) || !fs.existsSync(file)) return res.writeHead(404).end();
  const size = fs.statSync(file).size;
  const m = /bytes=(\d+)-(\d+)?/.exec(req.headers.range ?? '');
  if (!m) return fs.createReadStream(file).pipe(res.writeHead(200, { 'Content-Length': size }));
  const start = Number(m[1]);
  const end = Math.min(m[2] ? Number(m[2]) : size - 1, size - 1);
  res.writeHead(206, { 'Content-Length': end - start + 1, 'Content-Range': `bytes ${start}-${end}/${size}` });
  fs.createReadStream(file, { start, end }).pipe(res);
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));

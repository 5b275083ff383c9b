#!/usr/bin/env node
// Issue 12's question, measured: in a Web Worker, do synchronous File/Blob reads
// (FileReaderSync, what a synchronous Rust source would use, like pread natively) beat the
// asynchronous slice reads the package makes (Blob.slice().arrayBuffer(), 8 in flight)?
// Reads a 64 MiB Blob whole in slices of each size, and 2000 random 16 KiB reads (the
// size of one data block), both ways, in headless Chromium. Best of --repeat.
// usage: node bench/filereader.mjs [--repeat 5]
import { launchChromium } from '../js-tests/helpers.mjs';

const repeat = Number(process.argv[process.argv.indexOf('--repeat') + 1] || 5) || 5;

const worker = `
const MB = 1 << 20;
const blob = new Blob([crypto.getRandomValues(new Uint8Array(64 * 1024)).buffer], { type: 'x' });
const parts = [];
for (let i = 0; i < 1024; i++) parts.push(blob);
const big = new Blob(parts); // 64 MiB
const best = async (n, fn) => { let t = Infinity; for (let i = 0; i < n; i++) { const t0 = performance.now(); await fn(); t = Math.min(t, performance.now() - t0); } return t; };
const spans = (size) => { const s = []; for (let o = 0; o < big.size; o += size) s.push([o, Math.min(size, big.size - o)]); return s; };
let x = 7;
const random = Array.from({ length: 2000 }, () => { x = (x * 1103515245 + 12345) % 2147483648; return [x % (big.size - 16384), 16384]; });
async function asyncReads(list) {
  let next = 0;
  const one = async () => { while (next < list.length) { const [o, n] = list[next++]; const b = new Uint8Array(await big.slice(o, o + n).arrayBuffer()); if (b.length !== n) throw 0; } };
  await Promise.all(Array.from({ length: 8 }, one));
}
function syncReads(list) {
  const r = new FileReaderSync();
  for (const [o, n] of list) { const b = new Uint8Array(r.readAsArrayBuffer(big.slice(o, o + n))); if (b.length !== n) throw 0; }
}
onmessage = async ({ data: repeat }) => {
  const rows = [];
  for (const size of [16 << 10, 64 << 10, 256 << 10, 4 << 20]) {
    const list = spans(size);
    rows.push({ what: 'whole 64 MiB in ' + (size >> 10) + ' KiB slices', async: await best(repeat, () => asyncReads(list)), sync: await best(repeat, () => syncReads(list)) });
  }
  rows.push({ what: '2000 random 16 KiB reads', async: await best(repeat, () => asyncReads(random)), sync: await best(repeat, () => syncReads(random)) });
  postMessage(rows);
};`;

const browser = await launchChromium();
const page = await browser.newPage();
await page.goto('about:blank');
const rows = await page.evaluate(({ src, repeat }) => new Promise((resolve, reject) => {
  const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
  w.onmessage = (e) => resolve(e.data);
  w.onerror = (e) => reject(new Error(e.message));
  w.postMessage(repeat);
}), { src: worker, repeat });
await browser.close();
console.log(`Chromium worker, best of ${repeat}: async = Blob.slice().arrayBuffer() with 8 in flight, sync = FileReaderSync one at a time\n`);
console.log('| reads | async | sync | sync / async |\n|---|---|---|---|');
for (const r of rows) console.log(`| ${r.what} | ${r.async.toFixed(1)} ms | ${r.sync.toFixed(1)} ms | ${(r.sync / r.async).toFixed(2)}x |`);

#!/usr/bin/env node
// Time the export page on the seed corpus in headless Chromium with 1 and 2 workers (File
// sources through the file input, from the Export click to the merged result, timed by the
// page), next to the npm
// package in Node and the native CLI on 1 thread, all in this run. Best of --repeat.
// usage: node bench/browser.mjs [--repeat 5]   (after `npm run build` and `cargo build --release`)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../scripts/serve.mjs';
import { launchChromium } from '../js-tests/helpers.mjs';
import { exportTrack } from '../pkg/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SEED = path.join(ROOT, 'data', 'seed');
const repeat = Number(process.argv[process.argv.indexOf('--repeat') + 1] || 5) || 5;
const paths = [...Array(8).keys()].map((i) => path.join(SEED, `sample_${i}.bw`));
const bed = fs.readFileSync(path.join(SEED, 'regions.bed'), 'utf8');

const best = async (fn) => { let t = Infinity; for (let i = 0; i < repeat; i++) t = Math.min(t, await fn()); return t; };

const out = path.join(ROOT, 'bench', 'out', 'browser-native');
const native = await best(async () => {
  fs.rmSync(out, { recursive: true, force: true });
  const t = performance.now();
  execFileSync(path.join(ROOT, 'target', 'release', 'bigwig-npy'), ['export', '--quiet', '--threads', '1', '--format', 'raw', '--regions', path.join(SEED, 'regions.bed'), '--out', out, ...paths]);
  return (performance.now() - t) / 1000;
});
const node = await best(async () => {
  const t = performance.now();
  await exportTrack({ sources: paths, regions: bed, format: 'raw' });
  return (performance.now() - t) / 1000;
});

const { server, url } = await startServer({ port: 0 });
const browser = await launchChromium();
const page = await browser.newPage();
await page.goto(url);
await page.waitForSelector('body[data-ready=true]');
await page.setInputFiles('#files', paths);
await page.fill('#bed-text', bed);
await page.waitForFunction(() => document.getElementById('bed-info').textContent.startsWith('2,000 regions'));
await page.selectOption('#format', 'raw');
const chromium = {};
for (const workers of [1, 2]) {
  await page.fill('#workers', String(workers));
  chromium[workers] = await best(async () => {
    await page.evaluate(() => { document.getElementById('results').hidden = true; });
    const t = performance.now();
    await page.click('#export');
    await page.waitForFunction(() => !document.getElementById('results').hidden, null, { timeout: 60000 });
    void t;
    // The page's own clock: Export click to merged result (before plotting).
    return Number(await page.evaluate(() => document.body.dataset.exportMs)) / 1000;
  });
}
await browser.close();
server.close();
console.log('| seed corpus | native CLI, 1 thread | Node (package) | Chromium, 1 worker | Chromium, 2 workers | 1 worker / Node | 2 workers speed-up |');
console.log('|---|---|---|---|---|---|---|');
console.log(`| 2000 regions x 8 samples, 47 MB | ${native.toFixed(3)} s | ${node.toFixed(3)} s | ${chromium[1].toFixed(3)} s | ${chromium[2].toFixed(3)} s | ${(chromium[1] / node).toFixed(2)}x | ${(chromium[1] / chromium[2]).toFixed(2)}x |`);

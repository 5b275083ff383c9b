// The built package in real headless Chromium, loaded by a plain <script type="module">:
// URL sources (HTTP ranges), Blob/File sources, errors, and recovery from a Rust panic.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, cases, startTestServer, launchChromium } from './helpers.mjs';

let server, browser, page;
/** The .wasm files the page fetched: an export must not fetch the dataset module. */
const wasmRequests = [];
before(async () => {
  // The package and the test page as a static server sends them, beside the bigWigs.
  server = await startTestServer({ mounts: { pkg: path.join(ROOT, 'pkg'), page: path.join(ROOT, 'js-tests', 'pages') } });
  browser = await launchChromium();
  page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  page.on('request', (r) => { if (new URL(r.url()).pathname.endsWith('.wasm')) wasmRequests.push(new URL(r.url()).pathname); });
  await page.goto(`${server.base}/range/page/module.html`);
  await page.waitForFunction(() => document.title === 'ready', null, { timeout: 20000 });
  assert.deepEqual(errors, []);
});
after(async () => {
  await browser?.close();
  await server?.close();
});

const CASES = cases();

test('URL and Blob sources match GenVarLoader in Chromium', async () => {
  for (const c of CASES.filter((c) => ['seed', 'multi_uncompressed_3', 'cow', 'variable_step'].includes(c.name))) {
    const regions = fs.readFileSync(c.regionsPath, 'utf8');
    const got = await page.evaluate(async ({ base, rel, regions }) => {
      const urls = rel.map((r) => `${base}/range/${r}`);
      const byUrl = await window.bw.exportTrack({ sources: urls, regions, format: 'raw' });
      const files = await Promise.all(urls.map(async (u) => new File([await (await fetch(u)).blob()], u.split('/').pop())));
      const byBlob = await window.bw.exportTrack({ sources: files, regions, format: 'raw' });
      return {
        url: [await window.sha256(byUrl.files['intervals.npy']), await window.sha256(byUrl.files['offsets.npy'])],
        blob: [await window.sha256(byBlob.files['intervals.npy']), await window.sha256(byBlob.files['offsets.npy'])],
        n: byUrl.nIntervals,
      };
    }, { base: server.base, rel: c.rel, regions });
    assert.deepEqual(got.url, [c.intervals_sha256, c.offsets_sha256], `${c.name} from URLs`);
    assert.deepEqual(got.blob, [c.intervals_sha256, c.offsets_sha256], `${c.name} from Files`);
    assert.equal(got.n, c.n_intervals);
  }
});

test('errors in the page are one-line messages, and a panic is survived', async () => {
  const got = await page.evaluate(async (base) => {
    const msg = (p) => p.then(() => 'resolved', (e) => e.message);
    const regions = 'ctgA\t0\t1000\n';
    return {
      missing: await msg(window.bw.exportTrack({ sources: [`${base}/range/bigwig/nope.bw`], regions })),
      contig: await msg(window.bw.exportTrack({ sources: [`${base}/range/bigwig/volvox.bw`], regions: 'chrQ\t1\t2\n' })),
      panic: await msg(window.provokePanic()),
      after: (await window.bw.exportTrack({ sources: [`${base}/range/bigwig/volvox.bw`], regions, format: 'raw' })).nIntervals,
    };
  }, server.base);
  assert.equal(got.missing, `${server.base}/range/bigwig/nope.bw: HTTP 404 Not Found`);
  assert.match(got.contig, /^regions line 1 \(chrQ:1-2\): contig 'chrQ' not found in source 0/);
  assert.match(got.panic, /internal error/);
  assert.ok(got.after > 0);
});

test('exports fetch only the export module, never the dataset one', () => {
  assert.ok(wasmRequests.length > 0, 'the page fetched no wasm');
  for (const p of wasmRequests) assert.match(p, /\/pkg\/wasm\/bigwig_npy_bg\.wasm$/);
});

// The export page end to end in headless Chromium (playwright-core, Debian's chromium):
// files through the file input, pasted BED, 1 and 3 workers, downloads compared with
// GenVarLoader's hashes and the CLI's npy files, URL sources, the zip, cancel, bad input;
// the GenVarLoader dataset zip in both formats, with annotation tracks, against the CLI and
// GenVarLoader's own datasets (data/gvl2, data/gvl).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { startServer } from '../scripts/serve.mjs';
import os from 'node:os';
import { ROOT, DATA, cases, sha256, cliExport, launchChromium, gvlCases, cliDataset, assertGvlDataset, craft } from './helpers.mjs';

let server, url, browser;
before(async () => {
  ({ server, url } = await startServer({ port: 0, dataDir: DATA }));
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  server?.close();
});

const CASES = cases();
const seed = CASES.find((c) => c.name === 'seed');

async function openPage() {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1100, height: 1400 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForSelector('body[data-ready=true]');
  return { page, errors, close: () => context.close() };
}

async function setRegions(page, text, count) {
  await page.fill('#bed-text', text);
  await page.waitForFunction((n) => document.getElementById('bed-info').textContent.startsWith(`${n.toLocaleString()} region`), count);
}

async function headersRead(page) {
  await page.waitForFunction(() => !document.getElementById('source-list').textContent.includes('reading header'));
}

async function exportWith(page, { workers = 1, format = 'raw', layout = 'aos' } = {}) {
  await page.fill('#workers', String(workers));
  await page.selectOption('#format', format);
  await page.selectOption('#layout', layout);
  await page.click('#export');
  await page.waitForFunction(() => !document.getElementById('results').hidden || !document.getElementById('error').hidden, null, { timeout: 60000 });
  const err = await page.$eval('#error', (e) => (e.hidden ? null : e.textContent));
  assert.equal(err, null, `export failed: ${err}`);
}

async function download(page, name) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(`#file-list button[data-file="${name}"]`)]);
  assert.equal(dl.suggestedFilename(), name);
  return fs.readFileSync(await dl.path());
}

test('files + pasted BED, 1 and 3 workers: downloads match GenVarLoader and the CLI', async () => {
  const { page, errors, close } = await openPage();
  await page.setInputFiles('#files', seed.paths);
  await setRegions(page, fs.readFileSync(seed.regionsPath, 'utf8'), 2000);
  await headersRead(page);
  assert.match(await page.textContent('#source-list'), /sample_7\.bw.*2 contigs: chr21 \(200,000 bp\), chr22 \(150,000 bp\)/s);
  for (const workers of [1, 3]) {
    await exportWith(page, { workers, format: 'raw' });
    assert.equal(sha256(await download(page, 'intervals.npy')), seed.intervals_sha256, `${workers} workers`);
    assert.equal(sha256(await download(page, 'offsets.npy')), seed.offsets_sha256, `${workers} workers`);
    assert.match(await page.textContent('#summary'), new RegExp(`3,914,218 intervals in .* with ${workers} worker`));
    // Each file was read whole when it was added (110 kB, one 256 KiB slice); the workers
    // start from those bytes and read nothing more.
    assert.match(await page.textContent('#progress-text'), / 0 B read /);
  }
  const want = cliExport(seed, ['--format', 'npy', '--layout', 'soa']);
  await exportWith(page, { workers: 3, format: 'npy', layout: 'soa' });
  for (const name of Object.keys(want)) assert.ok((await download(page, name)).equals(want[name]), name);
  // The zip holds the files as listed, in the chosen format (npy here), under <track>/:
  // nothing in it is laid out as a GenVarLoader directory, which reads raw files only.
  await page.fill('#track', 'my track');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#download-all')]);
  assert.equal(dl.suggestedFilename(), 'my_track.zip');
  const files = unzipSync(fs.readFileSync(await dl.path()));
  assert.deepEqual(Object.keys(files).sort(), Object.keys(want).map((n) => `my_track/${n}`).sort());
  for (const n of Object.keys(want)) assert.ok(Buffer.from(files[`my_track/${n}`]).equals(want[n]), n);
  assert.equal(await page.locator('#plots canvas').count(), 8);
  fs.mkdirSync(path.join(ROOT, 'target'), { recursive: true });
  await page.screenshot({ path: path.join(ROOT, 'target', 'www-screenshot.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await close();
});

test('URL sources served with Range by the page server', async () => {
  const c = CASES.find((c) => c.name === 'multi_uncompressed_3');
  const { page, close } = await openPage();
  await page.fill('#urls', c.rel.map((r) => `${url}data/${r}`).join('\n'));
  await page.click('#add-urls');
  await setRegions(page, fs.readFileSync(c.regionsPath, 'utf8'), c.n_regions);
  await headersRead(page);
  await exportWith(page, { workers: 2, format: 'raw' });
  assert.equal(sha256(await download(page, 'intervals.npy')), c.intervals_sha256);
  assert.equal(sha256(await download(page, 'offsets.npy')), c.offsets_sha256);
  await close();
});

test('cancel stops the export and a later export works', async () => {
  const { page, close } = await openPage();
  await page.fill('#urls', seed.rel.map((r) => `${url}data/${r}`).join('\n'));
  await page.click('#add-urls');
  await setRegions(page, fs.readFileSync(seed.regionsPath, 'utf8'), 2000);
  await headersRead(page);
  // The export's reads (of data blocks: the headers and indexes were read above, and
  // the workers start from them) are slowed down so there is time to cancel.
  let requests = 0;
  await page.route('**/data/**', async (route) => {
    requests += 1;
    await new Promise((ok) => setTimeout(ok, 2000));
    await route.continue().catch(() => {});
  });
  await page.fill('#workers', '2');
  const before = requests;
  await page.click('#export');
  await page.waitForFunction(() => !document.getElementById('cancel').hidden);
  await new Promise((ok) => setTimeout(ok, 600));
  assert.ok(requests > before, 'the export started fetching');
  await page.click('#cancel');
  const atCancel = requests;
  assert.equal(await page.textContent('#error'), 'Export cancelled.');
  assert.match(await page.textContent('#progress-text'), /cancelled$/);
  assert.ok(await page.$eval('#results', (e) => e.hidden));
  assert.ok(!(await page.$eval('#export', (e) => e.disabled)));
  await new Promise((ok) => setTimeout(ok, 1000));
  assert.equal(requests, atCancel, 'no request starts after cancel');
  await page.unroute('**/data/**');
  await exportWith(page, { workers: 2, format: 'raw' });
  assert.equal(sha256(await download(page, 'intervals.npy')), seed.intervals_sha256);
  await close();
});

test('a non-bigWig file and a missing contig are shown, and the page stays usable', async () => {
  const { page, close } = await openPage();
  const c = CASES.find((c) => c.name === 'volvox');
  await page.setInputFiles('#files', [c.regionsPath, c.paths[0]]);
  await setRegions(page, 'ctgA\t0\t1000\nchrZ\t5\t10\n', 2);
  await headersRead(page);
  const list = await page.textContent('#source-list');
  assert.match(list, /regions\.bed.*regions\.bed: not a bigWig file/s);
  assert.match(list, /volvox\.bw.*lacks the contig of 1 region: chrZ/s);
  await page.click('#export');
  await page.waitForSelector('#error:not([hidden])');
  assert.match(await page.textContent('#error'), /regions\.bed: not a bigWig file/);
  await page.click('#source-list li:first-child button[title=remove]');
  await page.click('#export');
  await page.waitForFunction(() => /contig 'chrZ'/.test(document.getElementById('error').textContent));
  assert.match(await page.textContent('#error'), /^regions line 2 \(chrZ:5-10\): contig 'chrZ' not found in source 0 \(volvox\.bw\)/);
  await page.fill('#bed-text', 'x\t1\t2\nctgA\t9\t3\n');
  await page.waitForFunction(() => document.getElementById('bed-info').classList.contains('bad'));
  assert.equal(await page.textContent('#bed-info'), 'regions line 2: start 9 is greater than end 3');
  await setRegions(page, fs.readFileSync(c.regionsPath, 'utf8'), c.n_regions);
  await exportWith(page, { workers: 1, format: 'raw' });
  assert.equal(sha256(await download(page, 'intervals.npy')), c.intervals_sha256);
  await close();
});

test('a first region of 500,000 intervals (a whole chromosome) is exported and plotted', async () => {
  // ENCODE-like: the plot of the first region must not spread every value into Math.min.
  // chr1 of 5 Mbp, 500,000 records of 7 bp every 10 bp (tests/craft `chromosome`).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bwnpy-www-'));
  const file = craft('chromosome', path.join(dir, 'chromosome.bw'));
  const { page, errors, close } = await openPage();
  await page.setInputFiles('#files', [file]);
  await setRegions(page, 'chr1\t0\t5000000\n', 1);
  await headersRead(page);
  await exportWith(page, { workers: 1, format: 'raw' });
  assert.match(await page.textContent('#summary'), /^1 regions × 1 samples: 500,000 intervals/);
  assert.equal(await page.locator('#plots canvas').count(), 1);
  assert.deepEqual(errors, []);
  await close();
  fs.rmSync(dir, { recursive: true });
});

test('a BED file with classic Mac (\\r) line endings loses no region', async () => {
  const c = CASES.find((c) => c.name === 'volvox');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bwnpy-www-'));
  const file = path.join(dir, 'mac.bed');
  const lines = fs.readFileSync(c.regionsPath, 'utf8').trim().split('\n');
  fs.writeFileSync(file, `# regions\r${lines.join('\r')}\r`);
  const { page, errors, close } = await openPage();
  await page.setInputFiles('#files', c.paths);
  await page.setInputFiles('#bed-file', file);
  await page.waitForFunction(() => document.getElementById('bed-info').textContent !== '', null, { timeout: 10000 });
  const info = await page.textContent('#bed-info');
  assert.equal(info, `${c.n_regions} regions; first lines:\n${lines.slice(0, 4).join('\n')}`);
  await headersRead(page);
  await exportWith(page, { workers: 3, format: 'raw' });
  assert.equal(sha256(await download(page, 'intervals.npy')), c.intervals_sha256);
  assert.equal(sha256(await download(page, 'offsets.npy')), c.offsets_sha256);
  assert.deepEqual(errors, []);
  await close();
  fs.rmSync(dir, { recursive: true });
});

/** Download the page's dataset of `c`'s track `k` (its samples as sources, named by the
 * name boxes) and annotation tracks (sources ticked "annotation"), in the format selected,
 * and check it: `c` with that one track is what the CLI and GenVarLoader wrote. */
async function pageDataset(page, c, k) {
  const [track, rows] = c.tracks[k];
  const bed = fs.readFileSync(c.regionsPath, 'utf8');
  await page.evaluate(() => { while (document.querySelector('#source-list button[title=remove]')) document.querySelector('#source-list button[title=remove]').click(); });
  await page.setInputFiles('#files', [...rows, ...c.annot].map(([, p]) => p));
  await setRegions(page, bed, bed.trim().split('\n').length);
  await headersRead(page);
  const names = page.locator('#source-list input.sample');
  // Names default to the file names without their extension.
  assert.deepEqual(await names.evaluateAll((l) => l.map((i) => i.value)), [...rows, ...c.annot].map(([, p]) => path.basename(p, '.bw')));
  for (let i = 0; i < rows.length; i++) await names.nth(i).fill(rows[i][0]);
  for (let i = 0; i < c.annot.length; i++) {
    await names.nth(rows.length + i).fill(c.annot[i][0]);
    await page.locator('#source-list input.annot').nth(rows.length + i).check();
  }
  await page.fill('#track', track);
  await page.fill('#max-jitter', String(c.maxJitter));
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 60000 }), page.click('#export-dataset')]);
  assert.equal(dl.suggestedFilename(), `${track}.gvl.zip`);
  const zipped = unzipSync(fs.readFileSync(await dl.path()));
  const prefix = `${track}.gvl/`;
  assert.ok(Object.keys(zipped).every((n) => n.startsWith(prefix)), Object.keys(zipped).join(', '));
  const files = Object.fromEntries(Object.entries(zipped).map(([n, b]) => [n.slice(prefix.length), b]));
  const one = { ...c, tracks: [c.tracks[k]] };
  assertGvlDataset(files, one, cliDataset(one), `${c.name} track ${track} (page)`);
  assert.match(await page.textContent('#dataset-info'), new RegExp(`^Dataset ${track}\\.gvl: `));
}

test('the GenVarLoader dataset download, format 2 (default) with annotation tracks: every track of every gvl2 case', async () => {
  const { page, errors, close } = await openPage();
  assert.equal(await page.inputValue('#gvl-format'), '2');
  // One per-sample track per download: a case of two is downloaded twice.
  for (const c of gvlCases('gvl2')) {
    for (let k = 0; k < c.tracks.length; k++) await pageDataset(page, c, k);
  }
  assert.match(await page.textContent('#dataset-info'), /, annotation track cons, .*\(format 2: GenVarLoader >= 0\.36\)\.$/);
  // Export reads the samples only: the annotation source is not a column.
  await exportWith(page, { workers: 2, format: 'raw' });
  assert.match(await page.textContent('#summary'), /^40 regions × 3 samples: /);
  assert.equal(await page.locator('#plots canvas').count(), 3);
  // A name both a track's and an annotation track's: the core's error, shown in the page.
  await page.locator('#source-list input.sample').nth(3).fill('neg');
  await page.click('#export-dataset');
  await page.waitForSelector('#error:not([hidden])');
  assert.equal(await page.textContent('#error'), "'neg' is both a track and an annotation track: GenVarLoader's Dataset.open refuses that");
  assert.deepEqual(errors, []);
  await close();
});

test('the GenVarLoader dataset download in format 1: a zip holding <track>.gvl/, equal to the CLI and GenVarLoader 0.35', async () => {
  const { page, errors, close } = await openPage();
  await page.selectOption('#gvl-format', '1');
  for (const c of gvlCases('gvl')) {
    for (let k = 0; k < c.tracks.length; k++) await pageDataset(page, c, k);
  }
  assert.match(await page.textContent('#dataset-info'), /\(format 1: GenVarLoader 0\.35\)\.$/);
  // Two sources named alike: the core's one-line error, shown in the page.
  const names = page.locator('#source-list input.sample');
  await names.nth(1).fill('same');
  await names.nth(2).fill('same');
  await page.click('#export-dataset');
  await page.waitForSelector('#error:not([hidden])');
  assert.equal(await page.textContent('#error'), "track 'sig': sample 'same' is given twice (samples 2 and 3)");
  assert.deepEqual(errors, []);
  await close();
});

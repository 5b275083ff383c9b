// exportDatasetToDir under hostile use (issue 21): what the user puts at the target during
// an export is never replaced, deleted or hidden (the rule holds at the moment of the swap);
// 20 exports at once to one target all end whole; an abort at any moment and a full disk
// (which names the target, never the staging directory) leave the old dataset as it was;
// outDir as a file: URL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { exportDataset, exportDatasetToDir, exportTrackToDir } from '../pkg/index.js';
import { DATA, blobBytes, readTree } from './helpers.mjs';
import { SEED, bigBed, hiddenIn, snapshot, copyTree, smallFs } from './atomic-helpers.mjs';

let tmp;
before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bwnpy-atomic-')); });
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const NAMED = path.join(DATA, 'gvl2', 'named_bed6');
const bed = fs.readFileSync(path.join(NAMED, 'regions.bed'), 'utf8');
const tracks = { sig: SEED };
const CHANGED = '(it changed while the output was being written; nothing was replaced)';

/** The error `p` rejects with: one line, an OutputError. */
async function outputError(p) {
  const e = await p.then(() => null, (err) => err);
  assert.ok(e, 'it should fail');
  assert.equal(e.kind, 'OutputError', e.message);
  assert.ok(!e.message.includes('\n'), e.message);
  return e;
}

test('what the user puts at the target during an export is never replaced, deleted or hidden', async () => {
  const old = path.join(NAMED, 'dataset.gvl');
  // (what is at outDir when the export starts, what the user does mid-export, why it is refused)
  const cases = [
    ['empty dir filled', (p) => fs.mkdirSync(p), (p) => fs.writeFileSync(path.join(p, 'notes.txt'), 'mine'), 'is not a GenVarLoader dataset (no metadata.json); not replacing it'],
    ['empty dir, a subdirectory', (p) => fs.mkdirSync(p), (p) => fs.mkdirSync(path.join(p, 'sub')), 'is not a GenVarLoader dataset (no metadata.json); not replacing it'],
    ['missing, a directory made', () => {}, (p) => { fs.mkdirSync(p); fs.writeFileSync(path.join(p, 'notes.txt'), 'mine'); }, 'is not a GenVarLoader dataset (no metadata.json); not replacing it'],
    ['missing, a file made', () => {}, (p) => fs.writeFileSync(p, 'mine'), 'exists and is not a directory; not replacing it'],
    ['a dataset, replaced by a directory', (p) => copyTree(old, p), (p) => { fs.rmSync(p, { recursive: true }); fs.mkdirSync(p); fs.writeFileSync(path.join(p, 'notes.txt'), 'mine'); }, 'is not a GenVarLoader dataset (no metadata.json); not replacing it'],
    ['a dataset, replaced by a symlink to one', (p) => copyTree(old, p), (p) => { fs.rmSync(p, { recursive: true }); fs.symlinkSync(old, p); }, 'exists and is not a directory; not replacing it'],
  ];
  for (const [what, beforeRun, during, why] of cases) {
    const parent = path.join(tmp, 'user', what.replace(/[ ,]+/g, '_'));
    fs.mkdirSync(parent, { recursive: true });
    const out = path.join(parent, 'x.gvl');
    beforeRun(out);
    let done = false;
    // The first progress report comes mid-export, long before the swap.
    const onProgress = () => { if (!done) { done = true; during(out); } };
    const e = await outputError(exportDatasetToDir({ regions: bed, tracks, outDir: out, overwrite: true, onProgress }));
    assert.equal(e.message, `${out}: ${why} ${CHANGED}`, what);
    const mine = snapshot(out);
    assert.ok(mine, `${what}: the user's entry is there`);
    assert.deepEqual(hiddenIn(parent), [], `${what}: nothing hidden left`);
    // Looked at once more, after the export: as the user left it.
    assert.deepEqual(snapshot(out), mine);
    if (what.endsWith('directory made') || what.endsWith('filled')) assert.equal(fs.readFileSync(path.join(out, 'notes.txt'), 'utf8'), 'mine', what);
    if (what.endsWith('file made')) assert.equal(fs.readFileSync(out, 'utf8'), 'mine', what);
  }
  // Without overwrite: a dataset that appears mid-export is not replaced either.
  const out = path.join(tmp, 'user', 'no-overwrite', 'x.gvl');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  let done = false;
  const onProgress = () => { if (!done) { done = true; copyTree(old, out); } };
  const e = await outputError(exportDatasetToDir({ regions: bed, tracks, outDir: out, onProgress }));
  assert.equal(e.message, `${out}: already exists; pass overwrite: true to replace it ${CHANGED}`);
  assert.deepEqual(snapshot(out), snapshot(old));
  assert.deepEqual(hiddenIn(path.dirname(out)), []);
});

test('20 exports at once with overwrite to one outDir all finish, last wins, the dataset is whole', async () => {
  const want = Object.fromEntries(await Promise.all(Object.entries((await exportDataset({ regions: bed, tracks })).files)
    .map(async ([n, b]) => [n, Buffer.from(await blobBytes(b))])));
  const parent = path.join(tmp, 'concurrent');
  const out = path.join(parent, 'c.gvl');
  const results = await Promise.allSettled(Array.from({ length: 20 }, () => exportDatasetToDir({ regions: bed, tracks, outDir: out, overwrite: true })));
  const failed = results.filter((r) => r.status === 'rejected');
  for (const r of failed) {
    // The one way one may fail: it says so, and names the target.
    assert.equal(r.reason.message, `${out}: another run is writing it at the same time and kept replacing it; not replaced`);
  }
  assert.ok(failed.length < 20, 'at least one finished');
  const got = readTree(out);
  assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort());
  for (const [n, b] of Object.entries(want)) assert.ok(got[n].equals(b), n);
  assert.deepEqual(hiddenIn(parent), [], 'nothing hidden left');
  assert.equal(failed.length, 0, 'each finished (the retries were enough)');
});

test('an abort at any moment leaves the old dataset as it was and nothing behind', async () => {
  const big = fs.readFileSync(bigBed(tmp, 4000), 'utf8');
  const parent = path.join(tmp, 'abort');
  const out = path.join(parent, 'x.gvl');
  copyTree(path.join(NAMED, 'dataset.gvl'), out);
  const was = snapshot(out);
  // At once (while it sweeps and looks at the target), then at the k-th progress report.
  for (const k of [0, 1, 4, 16]) {
    const ac = new AbortController();
    const reason = new Error(`stop at ${k}`);
    let seen = 0;
    const onProgress = () => { if (++seen === k) ac.abort(reason); };
    const p = exportDatasetToDir({ regions: big, tracks, outDir: out, overwrite: true, signal: ac.signal, onProgress });
    if (k === 0) setImmediate(() => ac.abort(reason));
    await assert.rejects(p, (e) => e === reason);
    assert.deepEqual(snapshot(out), was, `abort at ${k}: the old dataset is as it was`);
    assert.deepEqual(hiddenIn(parent), [], `abort at ${k}: nothing left`);
  }
});

test('outDir may be a file: URL (as Node\'s fs takes one); other schemes and types are one-line errors', async () => {
  const cwd = path.join(tmp, 'url-cwd');
  fs.mkdirSync(cwd);
  const was = process.cwd();
  process.chdir(cwd);
  try {
    const out = path.join(tmp, 'url', 'x.gvl');
    const r = await exportDatasetToDir({ regions: bed, tracks, outDir: pathToFileURL(out) });
    assert.equal(r.files['metadata.json'], path.join(out, 'metadata.json'));
    assert.ok(fs.statSync(path.join(out, 'metadata.json')).isFile());
    const t = path.join(tmp, 'url', 'track');
    const tr = await exportTrackToDir({ regions: bed, sources: Object.values(SEED), outDir: new URL(pathToFileURL(t).href) });
    assert.ok(Object.values(tr.files).every((f) => f.startsWith(t)));
    assert.deepEqual(fs.readdirSync(cwd), [], 'nothing written in the working directory');
    for (const [outDir, message] of [
      [new URL('https://example.org/x.gvl'), 'outDir: expected a path or a file: URL, got https://example.org/x.gvl'],
      [new URL('file://elsewhere/x.gvl'), /^outDir: file:\/\/elsewhere\/x\.gvl: .*host/],
      [42, 'outDir: expected a path or a file: URL, got a number'],
    ]) {
      for (const call of [exportDatasetToDir, exportTrackToDir]) {
        const e = await call({ regions: bed, tracks, sources: Object.values(SEED), outDir }).then(() => null, (err) => err);
        assert.ok(e, `${call.name} ${outDir}`);
        assert.equal(e.kind, 'InputError', e.message);
        assert.ok(!e.message.includes('\n'));
        if (typeof message === 'string') assert.equal(e.message, message); else assert.match(e.message, message);
      }
    }
    assert.deepEqual(fs.readdirSync(cwd), []);
  } finally {
    process.chdir(was);
  }
});

/** Fill the file system of `dir` but for `pages` pages of 4 KiB (tmpfs counts pages). */
function fillBut(dir, pages) {
  const filler = path.join(dir, 'filler');
  const fd = fs.openSync(filler, 'w');
  try {
    for (const chunk of [Buffer.alloc(1 << 16), Buffer.alloc(4096)]) {
      for (;;) {
        try { fs.writeSync(fd, chunk); } catch (e) { if (e.code === 'ENOSPC') break; throw e; }
      }
    }
    const size = fs.fstatSync(fd).size;
    fs.ftruncateSync(fd, Math.max(0, size - (size % 4096) - pages * 4096));
  } finally {
    fs.closeSync(fd);
  }
  return filler;
}

test('a full disk at any moment names the target (never the staging directory) and keeps the old dataset', async (t) => {
  const at = path.join(tmp, 'full');
  const unmount = smallFs(at, 1024);
  if (!unmount) {
    t.skip('no tmpfs here (not root?)');
    return;
  }
  const old = path.join(NAMED, 'dataset.gvl');
  const out = path.join(at, 'x.gvl');
  // Where the space runs out: each page more lets the export go a little further, from
  // its owner record to metadata.json, until it fits.
  const moments = [];
  try {
    copyTree(old, out);
    const was = snapshot(out);
    let written;
    // One writer's moments, in order; then on worker threads (whose shards' scratch files
    // need room too while they are merged: other moments), the same guarantees.
    for (let pages = 0, workers = 1; pages < 200; pages++) {
      const filler = fillBut(at, pages);
      const e = await exportDatasetToDir({ regions: bed, tracks, outDir: out, overwrite: true, workers }).then(() => null, (err) => err);
      fs.rmSync(filler);
      if (!e && workers === 1) {
        // Again on two threads, from no room at all, over the dataset just written.
        [workers, pages, written] = [2, -1, snapshot(out)];
        continue;
      }
      if (!e) break;
      assert.equal(e.kind, 'OutputError', `${pages} pages: ${e.message}`);
      assert.ok(!e.message.includes('\n'), e.message);
      assert.match(e.message, /: cannot write output: No space left on device$/, `${pages} pages`);
      // The target, or a file in it, as the user knows it.
      const named = e.message.slice(0, e.message.indexOf(': '));
      assert.ok(named === out || named.startsWith(`${out}/`), `${pages} pages: ${e.message}`);
      if (moments.at(-1) !== named && workers === 1) moments.push(named);
      assert.deepEqual(snapshot(out), workers === 1 ? was : written, `${pages} pages: the old dataset is as it was`);
      assert.deepEqual(hiddenIn(at), [], `${pages} pages: nothing left`);
    }
    assert.ok(readTree(out)['metadata.json'], 'with room, it is written');
    assert.deepEqual(hiddenIn(at), []);
  } finally {
    unmount();
  }
  const shown = moments.map((m) => path.relative(out, m) || '.');
  // The owner record, each file in turn (the track's in the order they filled up), the last
  // one last.
  assert.deepEqual(shown.slice(0, 3), ['.', 'regions.npy', 'input_regions.arrow'], shown.join(', '));
  assert.equal(shown.at(-1), 'metadata.json', shown.join(', '));
  assert.ok(shown.slice(3, -1).length >= 1 && shown.slice(3, -1).every((m) => m.startsWith('intervals/sig/')), shown.join(', '));
  assert.ok(moments.includes(`${out}/input_regions.arrow`));
});

// Node worker threads on a shuffled BED: decoding pooled by genome slice (pkg-template/
// slices.js). The core cuts its genome order into one slice per thread, every thread's
// encoded regions go into the calling thread's one Reorder and out through its writer: the
// bytes are one worker's, in memory and on disk (where the reorder spills), on 2 and 3
// threads; a failing slice fails the export with the one-worker error and leaves nothing;
// abort stops every thread; sorted regions keep the contiguous shards.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { exportTrack, exportTrackToDir } from '../pkg/index.js';
import { ROOT, cases, blobBytes } from './helpers.mjs';

let tmp;
before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bwnpy-pooled-')); });
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const SEED = cases().find((c) => c.name === 'seed');
const seedBed = fs.readFileSync(SEED.regionsPath, 'utf8');

async function bytesOf(files) {
  const out = {};
  for (const [n, f] of Object.entries(files)) {
    out[n] = Buffer.from(Array.isArray(f) ? Buffer.concat(f) : typeof f === 'string' ? fs.readFileSync(f) : await blobBytes(f));
  }
  return out;
}

function assertSame(got, want, what) {
  assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort(), what);
  for (const n of Object.keys(want)) assert.ok(got[n].equals(want[n]), `${what}: ${n}`);
}

const fresh = (name) => {
  const d = path.join(tmp, name);
  fs.rmSync(d, { recursive: true, force: true });
  return d;
};

test('a shuffled BED on 2 and 3 workers: one worker\'s bytes, decoded in genome order, in memory and through the spill', async () => {
  for (const [format, layout, blockCacheBytes] of [['npy', 'aos', undefined], ['raw', 'soa', 0], ['raw', 'aos', 1 << 16]]) {
    const opts = { sources: SEED.paths, regions: seedBed, format, layout, blockCacheBytes };
    const want = await bytesOf((await exportTrack({ ...opts, workers: 1 })).files);
    for (const workers of [2, 3]) {
      const what = `${format}/${layout} cache ${blockCacheBytes} workers ${workers}`;
      const r = await exportTrack({ ...opts, workers });
      // Genome order even where one worker keeps input order (the blocks fit its cache):
      // the slices are cut from it.
      assert.equal(r.decodeOrder, 'genome', what);
      assert.deepEqual([r.nRegions, r.nSamples, r.nIntervals], [2000, 8, 3914218], what);
      assertSame(await bytesOf(r.files), want, what);
      // 47 MB of encoded regions: past the staging budget, buckets spill to the scratch file.
      const out = fresh('dir');
      const d = await exportTrackToDir({ ...opts, workers, outDir: out });
      assertSame(await bytesOf(d.files), want, `${what} (dir)`);
      assert.deepEqual(fs.readdirSync(out).sort(), Object.keys(want).sort(), `${what}: no scratch file left`);
    }
  }
});

test('a few shuffled regions on more workers than regions; regions given sorted keep the contiguous shards', async () => {
  const few = seedBed.split('\n').slice(0, 3).join('\n');
  const want = await bytesOf((await exportTrack({ sources: SEED.paths, regions: few, workers: 1 })).files);
  const r = await exportTrack({ sources: SEED.paths, regions: few, workers: 8 });
  assertSame(await bytesOf(r.files), want, 'few');
  const sorted = seedBed.trim().split('\n').map((l) => l.split('\t')).sort((x, y) => x[0].localeCompare(y[0]) || x[1] - y[1] || x[2] - y[2]).map((x) => x.join('\t')).join('\n');
  const s = await exportTrack({ sources: SEED.paths, regions: sorted, blockCacheBytes: 0, workers: 2 });
  assert.equal(s.decodeOrder, 'input');
  assertSame(await bytesOf(s.files), await bytesOf((await exportTrack({ sources: SEED.paths, regions: sorted, workers: 1 })).files), 'sorted');
});

test('progress over the slices counts up to the totals', async () => {
  const events = [];
  const r = await exportTrackToDir({ sources: SEED.paths, regions: seedBed, workers: 2, outDir: fresh('progress'), onProgress: (p) => events.push(p) });
  assert.ok(events.length > 5);
  for (let i = 1; i < events.length; i++) {
    assert.ok(events[i].regionsDone >= events[i - 1].regionsDone && events[i].bytesFetched >= events[i - 1].bytesFetched);
  }
  assert.deepEqual(events.map((p) => p.regionsTotal), events.map(() => 2000));
  const last = events.at(-1);
  assert.deepEqual([last.regionsDone, last.intervals, last.bytesFetched], [2000, r.nIntervals, r.bytesFetched]);
});

/** The call fails with the one-worker error on 2 and 3 workers, leaving nothing. */
async function failsAlike(opts, pattern) {
  const one = await exportTrack({ ...opts, workers: 1 }).then(() => null, (e) => e);
  assert.match(one?.message ?? '', pattern);
  for (const workers of [2, 3]) {
    const e = await exportTrack({ ...opts, workers }).then(() => null, (err) => err);
    assert.deepEqual([e?.name, e?.kind, e?.message], [one.name, one.kind, one.message], `workers ${workers}`);
    const dir = fresh('failed');
    const d = await exportTrackToDir({ ...opts, workers, outDir: path.join(dir, 'out') }).then(() => null, (err) => err);
    assert.deepEqual([d?.kind, d?.message], [one.kind, one.message], `workers ${workers} (dir)`);
    assert.deepEqual(fs.existsSync(dir) ? fs.readdirSync(dir) : [], [], 'nothing left');
  }
}

test('a failing slice fails the export with the one-worker error and leaves nothing', async () => {
  // chr22 starts the second half of the genome order: a worker's slice.
  await failsAlike({ sources: SEED.paths, regions: `${seedBed}chr22\t0\t200000\n`, maxMem: 200000 }, /^regions line 2001 \(chr22:0-200000\) needs more than/);
  // Two slices fail: the first's in genome order (this thread's), as one thread decoding
  // in genome order meets them (here input order meets it first too).
  const lines = seedBed.trim().split('\n');
  const two = [...lines.slice(0, 10), 'chr21\t0\t200000', ...lines.slice(10), 'chr22\t0\t200000'].join('\n');
  await failsAlike({ sources: SEED.paths, regions: two, maxMem: 200000 }, /^regions line 11 \(chr21:0-200000\) needs more than/);
  // Found before any slice starts (the calling thread opens the export): a bad contig.
  await failsAlike({ sources: SEED.paths, regions: `${seedBed}chrZ\t0\t10\n` }, /^regions line 2001 \(chrZ:0-10\): contig 'chrZ' not found/);
});

test('aborting mid-way rejects with the signal\'s reason, stops the workers and leaves nothing', async () => {
  for (const at of [1, 1500]) {
    const ac = new AbortController();
    const dir = fresh('aborted');
    const p = exportTrackToDir({
      sources: SEED.paths, regions: seedBed, workers: 3, signal: ac.signal, outDir: path.join(dir, 'out'),
      onProgress: (q) => { if (q.regionsDone >= at) ac.abort(); },
    });
    await assert.rejects(p, (e) => e.name === 'AbortError', `at ${at}`);
    assert.deepEqual(fs.existsSync(dir) ? fs.readdirSync(dir) : [], [], `at ${at}: nothing left`);
  }
});

test('no worker thread outlives a pooled call: a process whose exports failed and aborted exits', () => {
  const script = path.join(tmp, 'exits.mjs');
  fs.writeFileSync(script, `
    import { exportTrack } from ${JSON.stringify(path.join(ROOT, 'pkg', 'index.js'))};
    const sources = ${JSON.stringify(SEED.paths)};
    const regions = ${JSON.stringify(seedBed)};
    await exportTrack({ sources, regions: regions + 'chr22\\t0\\t200000\\n', maxMem: 200000, workers: 3 }).catch(() => {});
    const ac = new AbortController();
    await exportTrack({ sources, regions, workers: 3, signal: ac.signal, onProgress: () => ac.abort() }).catch(() => {});
    const r = await exportTrack({ sources, regions, workers: 2 });
    console.log(r.decodeOrder);
  `);
  assert.equal(execFileSync(process.execPath, [script], { encoding: 'utf8', timeout: 120_000 }).trim(), 'genome');
});

// Node worker threads (`workers`): exports over contiguous region shards on 1, 2 and 3
// threads are byte for byte the default's (and the CLI's), for tracks and datasets, from
// paths, bytes, Blobs and URLs, in memory and on disk; a failure in one shard fails the
// whole export with the one-worker error and leaves nothing; abort; more workers than
// regions; no thread outlives a call.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { exportTrack, exportTrackToDir, exportDataset, exportDatasetToDir, mergeShards } from '../pkg/index.js';
import { ROOT, DATA, cases, blobBytes, cliExport, gvlCases, cliDataset, assertGvlDataset, readTree, startTestServer } from './helpers.mjs';

let server;
let tmp;
before(async () => {
  server = await startTestServer();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bwnpy-workers-'));
});
after(async () => {
  await server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const WORKERS = [undefined, 1, 2, 3];
const SEED = cases().find((c) => c.name === 'seed');
const seedBed = fs.readFileSync(SEED.regionsPath, 'utf8');
const KINDS = {
  path: (ps) => ps,
  bytes: (ps) => ps.map((p) => new Uint8Array(fs.readFileSync(p))),
  blob: (ps) => ps.map((p) => new Blob([fs.readFileSync(p)])),
  url: (ps) => ps.map((p) => `${server.base}/range/${path.relative(DATA, p)}`),
};

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

for (const kind of Object.keys(KINDS)) {
  test(`exportTrack and exportTrackToDir on 1, 2, 3 workers and the default: the CLI's files (${kind} sources)`, async () => {
    for (const [format, layout] of [['npy', 'aos'], ['raw', 'soa']]) {
      const want = cliExport(SEED, ['--format', format, '--layout', layout]);
      for (const workers of WORKERS) {
        const what = `${kind} ${format}/${layout} workers ${workers}`;
        const r = await exportTrack({ sources: KINDS[kind](SEED.paths), regions: seedBed, format, layout, workers });
        assertSame(await bytesOf(r.files), want, what);
        assert.deepEqual([r.nRegions, r.nSamples, r.nIntervals], [2000, 8, 3914218], what);
        const out = fresh(`track-${kind}`);
        const d = await exportTrackToDir({ sources: KINDS[kind](SEED.paths), regions: seedBed, format, layout, workers, outDir: out });
        assertSame(await bytesOf(d.files), want, `${what} (dir)`);
        assert.deepEqual(fs.readdirSync(out).sort(), Object.keys(want).sort(), `${what}: no scratch file left`);
      }
    }
  });
}

test('chunks output, genome-order decoding and every bundled case are the same on 3 workers', async () => {
  const chunks = await exportTrack({ sources: SEED.paths, regions: seedBed, output: 'chunks', workers: 3 });
  assertSame(await bytesOf(chunks.files), cliExport(SEED, []), 'chunks');
  // A small block cache: every shard decodes in genome order and puts it back.
  const genome = await exportTrack({ sources: SEED.paths, regions: seedBed, blockCacheBytes: 1 << 16, workers: 3 });
  assert.equal(genome.decodeOrder, 'genome');
  assertSame(await bytesOf(genome.files), cliExport(SEED, []), 'genome order');
  for (const c of cases()) {
    const bed = fs.readFileSync(c.regionsPath, 'utf8');
    const one = await exportTrack({ sources: c.paths, regions: bed, workers: 1 });
    const three = await exportTrack({ sources: c.paths, regions: bed, workers: 3 });
    assertSame(await bytesOf(three.files), await bytesOf(one.files), c.name);
  }
});

test('more workers than regions, and a single region', async () => {
  const three = seedBed.split('\n').slice(0, 3).join('\n');
  const one = seedBed.split('\n')[0];
  for (const regions of [three, one]) {
    const want = await bytesOf((await exportTrack({ sources: SEED.paths, regions, workers: 1 })).files);
    const r = await exportTrack({ sources: SEED.paths, regions, workers: 8 });
    assertSame(await bytesOf(r.files), want, regions.slice(0, 20));
    const out = fresh('few');
    await exportTrackToDir({ sources: SEED.paths, regions, workers: 8, outDir: out });
    assertSame(readTree(out), want, 'dir');
  }
});

test('progress on workers counts up to the totals over all shards', async () => {
  const events = [];
  const r = await exportTrack({ sources: SEED.paths, regions: seedBed, workers: 3, onProgress: (p) => events.push(p) });
  assert.ok(events.length > 5);
  for (let i = 1; i < events.length; i++) assert.ok(events[i].regionsDone >= events[i - 1].regionsDone);
  const last = events.at(-1);
  assert.deepEqual([last.regionsDone, last.regionsTotal, last.intervals, last.bytesFetched], [2000, 2000, r.nIntervals, r.bytesFetched]);
});

/** Both calls fail with the one-worker error, on any number of workers, leaving nothing. */
async function failsAlike(opts, pattern) {
  const one = await exportTrack({ ...opts, workers: 1 }).then(() => null, (e) => e);
  assert.ok(one, 'the one-worker export fails');
  assert.match(one.message, pattern);
  for (const workers of [2, 3, 5]) {
    const e = await exportTrack({ ...opts, workers }).then(() => null, (err) => err);
    assert.deepEqual([e?.name, e?.kind, e?.message], [one.name, one.kind, one.message], `workers ${workers}`);
    const dir = fresh('failed');
    const out = path.join(dir, 'out');
    const d = await exportTrackToDir({ ...opts, workers, outDir: out }).then(() => null, (err) => err);
    assert.deepEqual([d?.kind, d?.message], [one.kind, one.message], `workers ${workers} (dir)`);
    assert.deepEqual(fs.existsSync(dir) ? fs.readdirSync(dir) : [], [], 'nothing left');
  }
}

test('a failure in one shard fails the export with the one-worker error and leaves nothing', async () => {
  const lines = seedBed.trim().split('\n');
  // Only the last shard meets the bad contig.
  await failsAlike({ sources: SEED.paths, regions: `${seedBed}chrZ\t0\t10\n` }, /^regions line 2001 \(chrZ:0-10\): contig 'chrZ' not found/);
  // Two shards fail, differently: the first one's error, as one worker meets it.
  const two = [...lines.slice(0, 1000), 'chrY\t0\t10', ...lines.slice(1000), 'chrZ\t0\t10'].join('\n');
  await failsAlike({ sources: SEED.paths, regions: two }, /^regions line 1001 \(chrY:0-10\): contig 'chrY'/);
  // A region over maxMem in the last shard only.
  await failsAlike({ sources: SEED.paths, regions: `${seedBed}chr21\t0\t200000\n`, maxMem: 200000 }, /^regions line 2001 .*needs more than/);
  // A missing URL among the sources: every shard fails alike.
  const urls = KINDS.url(SEED.paths);
  await failsAlike({ sources: [...urls, `${server.base}/range/seed/nope.bw`], regions: seedBed }, /nope\.bw: HTTP 404 Not Found$/);
});

test('aborting on workers rejects with the signal\'s reason and leaves nothing', async () => {
  for (const call of ['track', 'dataset']) {
    const ac = new AbortController();
    const dir = fresh('aborted');
    const sources = SEED.rel.map((r) => `${server.base}/slow/${r}`);
    const opts = {
      regions: seedBed, workers: 2, signal: ac.signal, outDir: path.join(dir, 'out'),
      onProgress: (p) => { if (p.regionsDone > 0) ac.abort(); },
    };
    const p = call === 'track'
      ? exportTrackToDir({ ...opts, sources })
      : exportDatasetToDir({ ...opts, tracks: { sig: Object.fromEntries(sources.map((s, i) => [`s${i}`, s])) } });
    await assert.rejects(p, (e) => e.name === 'AbortError', call);
    assert.deepEqual(fs.existsSync(dir) ? fs.readdirSync(dir) : [], [], `${call}: nothing left`);
  }
});

test('no worker thread outlives a call: a process that failed and aborted exports exits', () => {
  const script = path.join(tmp, 'exits.mjs');
  fs.writeFileSync(script, `
    import { exportTrack, exportDataset } from ${JSON.stringify(path.join(ROOT, 'pkg', 'index.js'))};
    const sources = ${JSON.stringify(SEED.paths)};
    const regions = ${JSON.stringify(seedBed)};
    await exportTrack({ sources, regions: regions + 'chrZ\\t0\\t10\\n', workers: 3 }).catch(() => {});
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    await exportDataset({ regions, tracks: { t: { a: sources[0], b: sources[1] } }, workers: 3, signal: ac.signal }).catch(() => {});
    await exportTrack({ sources, regions, workers: 2 });
    console.log('done');
  `);
  assert.equal(execFileSync(process.execPath, [script], { encoding: 'utf8', timeout: 120_000 }).trim(), 'done');
});

test('the shard option (the page\'s split): parts merged by mergeShards are the whole export; bad shards are one-line errors', async () => {
  const want = cliExport(SEED, []);
  for (const count of [1, 2, 3]) {
    const parts = [];
    for (let index = 0; index < count; index++) parts.push(await exportTrack({ sources: SEED.paths, regions: seedBed, format: 'raw', shard: { index, count } }));
    assert.equal(parts.reduce((n, p) => n + p.nRegions, 0), 2000);
    assertSame(await bytesOf((await mergeShards(parts)).files), want, `${count} parts`);
  }
  for (const [shard, shown] of [[{ index: 2, count: 2 }, '{ index: 2, count: 2 }'], [{ index: 0 }, '{ index: 0, count: undefined }'], ['1/2', 'a string']]) {
    await assert.rejects(exportTrack({ sources: SEED.paths, regions: seedBed, shard }), { message: `shard: expected { index, count } with 0 <= index < count, got ${shown}` });
  }
});

test('workers must be a positive integer', async () => {
  for (const [v, shown] of [[0, '0'], [1.5, '1.5'], ['2', 'a string'], [null, 'null']]) {
    await assert.rejects(exportTrack({ sources: SEED.paths, regions: seedBed, workers: v }), { message: `workers: expected a positive integer, got ${shown}` });
    await assert.rejects(exportDataset({ regions: seedBed, tracks: { t: { a: SEED.paths[0] } }, workers: v }), { message: `workers: expected a positive integer, got ${shown}` });
  }
});

// Datasets: each track's shards are ranges of the dataset's sorted regions.

const GVL = [...gvlCases('gvl2'), ...gvlCases('gvl')];
const tracksOf = (c, kind) => Object.fromEntries(c.tracks.map(([t, rows]) => [t, Object.fromEntries(rows.map(([s, p], i) => [s, KINDS[kind === 'mixed' ? Object.keys(KINDS)[i % 4] : kind]([p])[0]]))]));
const annotOf = (c, kind) => Object.fromEntries(c.annot.map(([a, p]) => [a, KINDS[kind === 'mixed' ? 'url' : kind]([p])[0]]));

test('every dataset case on 1, 2, 3 workers and the default equals the CLI (memory and directory)', async () => {
  for (const c of GVL) {
    const want = cliDataset(c);
    for (const workers of WORKERS) {
      for (const kind of ['path', 'mixed']) {
        const opts = { regions: fs.readFileSync(c.regionsPath, 'utf8'), tracks: tracksOf(c, kind), annot: annotOf(c, kind), maxJitter: c.maxJitter, gvlFormat: c.gvlFormat, workers };
        const r = await exportDataset(opts);
        assertGvlDataset(await bytesOf(r.files), c, want, `${c.name} ${kind} workers ${workers}`);
        if (kind === 'mixed') continue;
        const out = path.join(fresh('ds'), 'x.gvl');
        await exportDatasetToDir({ ...opts, outDir: out });
        assertGvlDataset(readTree(out), c, want, `${c.name} dir workers ${workers}`);
        assert.deepEqual(fs.readdirSync(path.dirname(out)), ['x.gvl']);
      }
    }
  }
});

test('a large shuffled dataset (2000 regions, jitter, 2 tracks + an annotation track) is the same on 1, 2, 3 workers', async () => {
  for (const gvlFormat of [1, 2]) {
    const tracks = {
      pos: Object.fromEntries(SEED.paths.slice(0, 4).map((p, i) => [`s${i}`, p])),
      neg: Object.fromEntries(SEED.paths.slice(4).map((p, i) => [`s${i}`, new Uint8Array(fs.readFileSync(p))])),
    };
    const opts = { regions: seedBed, tracks, annot: { cons: KINDS.url([SEED.paths[0]])[0] }, maxJitter: 128, gvlFormat };
    const want = await bytesOf((await exportDataset({ ...opts, workers: 1 })).files);
    for (const workers of [2, 3]) {
      const seen = [];
      const r = await exportDataset({ ...opts, workers, onProgress: (p) => seen.push(p) });
      assertSame(await bytesOf(r.files), want, `format ${gvlFormat} workers ${workers}`);
      assert.equal(Object.keys(r.files)[0], 'metadata.json');
      assert.deepEqual([...new Set(seen.map((p) => p.track))], ['pos', 'neg', 'cons']);
      assert.deepEqual([seen.at(-1).regionsDone, seen.at(-1).regionsTotal], [6000, 6000]);
      const out = path.join(fresh('big'), 'x.gvl');
      await exportDatasetToDir({ ...opts, workers, outDir: out });
      assertSame(readTree(out), want, `format ${gvlFormat} workers ${workers} (dir)`);
    }
  }
});

test('a failing shard of a dataset track fails the dataset with the one-worker error and leaves nothing', async () => {
  const opts = { regions: `${seedBed}chrZ\t0\t10\n`, tracks: { sig: { a: SEED.paths[0], b: SEED.paths[1] } } };
  const one = await exportDataset({ ...opts, workers: 1 }).then(() => null, (e) => e);
  assert.match(one.message, /^track 'sig': regions line 2001 \(chrZ:0-10\): contig 'chrZ' not found/);
  for (const workers of [2, 3]) {
    const e = await exportDataset({ ...opts, workers }).then(() => null, (err) => err);
    assert.deepEqual([e?.kind, e?.message], [one.kind, one.message]);
    const dir = fresh('dsfail');
    const d = await exportDatasetToDir({ ...opts, workers, outDir: path.join(dir, 'x.gvl') }).then(() => null, (err) => err);
    assert.deepEqual([d?.kind, d?.message], [one.kind, one.message]);
    assert.deepEqual(fs.existsSync(dir) ? fs.readdirSync(dir) : [], []);
  }
});

// GenVarLoader datasets from the npm package in Node, format 1 (`gvlFormat: 1`,
// GenVarLoader 0.35; format 2 and annotation tracks: dataset-gvl2.test.mjs): every data/gvl
// case through exportDataset (every source kind) and exportDatasetToDir equals the CLI's
// `dataset` byte for byte and GenVarLoader's own files; bad inputs are one-line errors and
// leave no directory; overwrite and abort keep the target whole.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { exportDataset, exportDatasetToDir } from '../pkg/index.js';
import { gvlCases, cliDataset, assertGvlDataset, readTree, blobBytes, startTestServer, datasetFails, DATA } from './helpers.mjs';

let server;
let tmp;
before(async () => {
  server = await startTestServer();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bwnpy-dataset-'));
});
after(async () => {
  await server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const CASES = gvlCases('gvl');
const bed = (c) => fs.readFileSync(c.regionsPath, 'utf8');
const CLI = new Map();
const cli = (c) => CLI.get(c.name) ?? CLI.set(c.name, cliDataset(c)).get(c.name);

// Each source kind exportTrack takes; `mixed` gives every sample another kind.
const KINDS = {
  path: (p) => p,
  bytes: (p) => new Uint8Array(fs.readFileSync(p)),
  blob: (p) => new Blob([fs.readFileSync(p)]),
  url: (p) => `${server.base}/range/${path.relative(DATA, p)}`,
};
const tracksOf = (c, kind) => Object.fromEntries(c.tracks.map(([t, rows]) => [t, Object.fromEntries(rows.map(([s, p], i) => {
  const k = kind === 'mixed' ? Object.keys(KINDS)[i % 4] : kind;
  return [s, KINDS[k](p)];
}))]));

async function bytesOf(files) {
  const out = {};
  for (const [n, b] of Object.entries(files)) out[n] = await blobBytes(b);
  return out;
}

test('the gvl fixtures are all here', () => {
  assert.deepEqual(CASES.map((c) => c.name), ['alias_chrM', 'named_bed6', 'natsort_two_tracks', 'nochr_jitter']);
});

for (const kind of ['path', 'mixed']) {
  test(`exportDataset: every gvl case equals the CLI and GenVarLoader (${kind} sources)`, async () => {
    for (const c of CASES) {
      const r = await exportDataset({ regions: bed(c), tracks: tracksOf(c, kind), maxJitter: c.maxJitter, gvlFormat: 1 });
      assertGvlDataset(await bytesOf(r.files), c, cli(c), `${c.name} (${kind})`);
      const meta = JSON.parse(fs.readFileSync(path.join(c.fixture, 'metadata.json'), 'utf8'));
      assert.deepEqual(r.samples, meta.samples);
      assert.equal(r.nRegions, meta.n_regions);
      assert.equal(r.nTracks, c.tracks.length);
      assert.equal(r.nAnnot, 0);
      assert.equal(r.gvlFormat, 1);
      assert.equal(Object.keys(r.files)[0], 'metadata.json');
    }
  });
}

test('exportDataset: regions as gzip bytes and as arrays, output as chunks, a Map of pair lists, progress over all tracks', async () => {
  const c = CASES.find((c) => c.name === 'natsort_two_tracks');
  const tracks = new Map(c.tracks.map(([t, rows]) => [t, rows]));
  const seen = [];
  const r = await exportDataset({
    regions: zlib.gzipSync(bed(c)), tracks, maxJitter: c.maxJitter, gvlFormat: 1, output: 'chunks',
    onProgress: (p) => seen.push(p),
  });
  const files = Object.fromEntries(Object.entries(r.files).map(([n, chunks]) => [n, Buffer.concat(chunks)]));
  assertGvlDataset(files, c, cli(c), 'gzip, chunks');
  const last = seen.at(-1);
  assert.equal(last.track, 'neg');
  assert.equal(last.regionsDone, 2 * r.nRegions);
  assert.equal(last.regionsTotal, 2 * r.nRegions);
  assert.equal(last.intervals, r.nIntervals);
  assert.ok(seen.some((p) => p.track === 'pos'));
  // Arrays: no strand column, so only the Arrow file differs from a BED3's.
  const three = CASES.find((c) => c.name === 'nochr_jitter');
  const rows = bed(three).trim().split('\n').map((l) => l.split('\t'));
  const arrays = { contigs: rows.map((x) => x[0]), starts: rows.map((x) => +x[1]), ends: rows.map((x) => +x[2]) };
  const a = await bytesOf((await exportDataset({ regions: arrays, tracks: tracksOf(three, 'path'), maxJitter: three.maxJitter, gvlFormat: 1 })).files);
  for (const n of ['regions.npy', 'intervals/sig/intervals.npy', 'intervals/sig/offsets.npy']) {
    assert.ok(Buffer.from(a[n]).equals(cli(three)[n]), n);
  }
});

test('exportDatasetToDir: every gvl case, written whole, nothing else left next to it', async () => {
  for (const c of CASES) {
    const out = path.join(tmp, 'todir', 'nested', `${c.name}.gvl`);
    const r = await exportDatasetToDir({ regions: bed(c), tracks: tracksOf(c, 'path'), maxJitter: c.maxJitter, gvlFormat: 1, outDir: out });
    assertGvlDataset(readTree(out), c, cli(c), `${c.name} (dir)`);
    assert.deepEqual(Object.keys(r.files).sort(), Object.keys(readTree(out)).sort());
    assert.equal(r.files['regions.npy'], path.join(out, 'regions.npy'));
  }
  assert.deepEqual(fs.readdirSync(path.join(tmp, 'todir', 'nested')).sort(), CASES.map((c) => `${c.name}.gvl`));
});

const fails = (opts, message, kind) => datasetFails([exportDataset, exportDatasetToDir], path.join(tmp, 'bad'), opts, message, kind);

test('bad tracks, samples, regions and options are one-line errors and leave nothing', async () => {
  const c = CASES.find((c) => c.name === 'named_bed6');
  const paths = Object.fromEntries(c.tracks[0][1]);
  const regions = bed(c);
  await fails({ regions, tracks: {} }, "no tracks given: pass at least one in `tracks` ({ name: { sample: source } })");
  await fails({ regions }, "no tracks given: pass at least one in `tracks` ({ name: { sample: source } })");
  await fails({ regions, tracks: { sig: {} } }, "track 'sig': no samples");
  await fails({ regions, tracks: { pos: paths, neg: { ...paths, extra: paths.tumor } } },
    "track 'neg' and track 'pos' have different samples: only 'neg' has 'extra'");
  await fails({ regions, tracks: { sig: [['tumor', paths.tumor], ['blood', paths.blood], ['tumor', paths.Normal]] } },
    "track 'sig': sample 'tumor' is given twice (samples 1 and 3)");
  await fails({ regions, tracks: { 'a/b': paths } }, "track name 'a/b' cannot be a directory name (intervals/<name>/)");
  await fails({ regions, tracks: [['x', paths], ['x', paths]] }, "track 'x' is given twice: track names are directory names, they must differ");
  await fails({ regions, tracks: { sig: paths }, maxJitter: -1 }, 'maxJitter: expected a non-negative integer, got -1');
  await fails({ regions: `${regions}chrZ\t5\t10\t.\t0\t+\n`, tracks: { sig: paths } },
    /^track 'sig': regions line 63 \(chrZ:5-10\): contig 'chrZ' not found in source 0 \(.*seed_1\.bw\), which has chr21, chr22$/);
  await fails({ regions: 'chr21\t10\t5\n', tracks: { sig: paths } }, 'regions line 1: start 10 is greater than end 5');
  await fails({ regions: 'chr21\t1\t5\ta\t0\t+\nchr21\t1\t5\tb\t0\t-\n', tracks: { sig: paths } },
    /^regions lines 1 and 2: the same region \(chr21:1-5\) on both strands; /);
  await fails({ regions, tracks: { sig: { ...paths, blood: new Uint8Array(100) } } },
    /^track 'sig': sample 'blood': /);
  await fails({ regions: 'chr21\t0\t100000\n', tracks: { sig: paths }, maxMem: 100 },
    /^track 'sig': regions line 1 \(chr21:0-100000\) needs more than \d+ bytes .*, over the max-mem limit of 100 bytes$/, 'MaxMemError');
  await fails({ regions, tracks: { sig: { ...paths, blood: path.join(tmp, 'missing.bw') } } },
    /^track 'sig': .*missing\.bw: cannot open: No such file or directory$/);
});

test('exportDatasetToDir keeps an existing target unless overwrite, and replaces only a dataset', async () => {
  const c = CASES.find((c) => c.name === 'alias_chrM');
  const opts = { regions: bed(c), tracks: tracksOf(c, 'path'), maxJitter: c.maxJitter, gvlFormat: 1 };
  const out = path.join(tmp, 'over', 'd.gvl');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'notes.txt'), 'mine');
  await assert.rejects(exportDatasetToDir({ ...opts, outDir: out }), { message: `${out}: already exists; pass overwrite: true to replace it` });
  await assert.rejects(exportDatasetToDir({ ...opts, outDir: out, overwrite: true }),
    { message: `${out}: is not a GenVarLoader dataset (no metadata.json); not replacing it` });
  assert.deepEqual(fs.readdirSync(out), ['notes.txt']);
  fs.rmSync(out, { recursive: true });
  // What a killed run (a process now gone: pids stop at 2^22) left is removed, so the
  // CLI's; a target it had set aside (and not replaced yet) is put back.
  fs.mkdirSync(path.join(path.dirname(out), '.d.gvl.partial-4194305-abc', 'intervals'), { recursive: true });
  fs.mkdirSync(path.join(path.dirname(out), '.d.gvl.old-4194306'));
  fs.writeFileSync(path.join(path.dirname(out), '.d.gvl.old-4194306', 'metadata.json'), '{}');
  await assert.rejects(exportDatasetToDir({ ...opts, outDir: out }), { message: `${out}: already exists; pass overwrite: true to replace it` });
  assert.deepEqual(fs.readdirSync(path.dirname(out)), ['d.gvl']);
  assert.deepEqual(fs.readdirSync(out), ['metadata.json']);
  fs.rmSync(out, { recursive: true });
  await exportDatasetToDir({ ...opts, outDir: out });
  assert.deepEqual(fs.readdirSync(path.dirname(out)), ['d.gvl']);
  fs.writeFileSync(path.join(out, 'stale.txt'), 'from before');
  await exportDatasetToDir({ ...opts, outDir: out, overwrite: true });
  assertGvlDataset(readTree(out), c, cli(c), 'overwritten');
  assert.deepEqual(fs.readdirSync(path.dirname(out)), ['d.gvl']);
  // A failing overwrite keeps the old dataset as it was.
  const bad = { ...opts, regions: 'chrZ\t0\t5\n' };
  await assert.rejects(exportDatasetToDir({ ...bad, outDir: out, overwrite: true }), /contig 'chrZ' not found/);
  assertGvlDataset(readTree(out), c, cli(c), 'kept');
  assert.deepEqual(fs.readdirSync(path.dirname(out)), ['d.gvl']);
});

test('aborting mid-export leaves nothing, with the signal\'s reason', async () => {
  const c = CASES.find((c) => c.name === 'named_bed6');
  // URL sources slowed down by the test server, so the abort lands mid-export.
  const tracks = { sig: Object.fromEntries(c.tracks[0][1].map(([s, p]) => [s, `${server.base}/slow/${path.relative(DATA, p)}`])) };
  const out = path.join(tmp, 'abort', 'd.gvl');
  const ac = new AbortController();
  const reason = new Error('stop now');
  const p = exportDatasetToDir({ regions: bed(c), tracks, outDir: out, signal: ac.signal, onProgress: () => ac.abort(reason) });
  await assert.rejects(p, (e) => e === reason);
  assert.ok(!fs.existsSync(path.join(tmp, 'abort')), 'the directories made for it are gone too');
});

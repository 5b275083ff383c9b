// GenVarLoader datasets in format 2 (the default; GenVarLoader >= 0.36) with annotation
// tracks, from the npm package in Node: every dataset case of data/gvl2 (GenVarLoader
// 0.43.1's own gvl.write) through exportDataset (every source kind, for tracks and
// annotation tracks alike) and exportDatasetToDir equals the CLI's `dataset` byte for byte
// and GenVarLoader's files; a bad gvlFormat, clashing names and a bad annotation source are
// one-line errors that leave nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exportDataset, exportDatasetToDir, inspectSource } from '../pkg/index.js';
import { gvlCases, cliDataset, assertGvlDataset, readTree, blobBytes, startTestServer, datasetFails, DATA } from './helpers.mjs';

let server;
let tmp;
before(async () => {
  server = await startTestServer();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bwnpy-gvl2-'));
});
after(async () => {
  await server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const CASES = gvlCases('gvl2');
const bed = (c) => fs.readFileSync(c.regionsPath, 'utf8');
const CLI = new Map();
const cli = (c) => CLI.get(c.name) ?? CLI.set(c.name, cliDataset(c)).get(c.name);

// Each source kind exportTrack takes; `mixed` gives every source another kind.
const KINDS = {
  path: async (p) => p,
  bytes: async (p) => new Uint8Array(fs.readFileSync(p)),
  blob: async (p) => new Blob([fs.readFileSync(p)]),
  url: async (p) => `${server.base}/range/${path.relative(DATA, p)}`,
  inspected: async (p) => inspectSource(`${server.base}/range/${path.relative(DATA, p)}`),
};
const kindOf = (kind, i) => (kind === 'mixed' ? Object.keys(KINDS)[i % 5] : kind);
async function tracksOf(c, kind) {
  const out = {};
  for (const [t, rows] of c.tracks) {
    out[t] = {};
    for (const [i, [s, p]] of rows.entries()) out[t][s] = await KINDS[kindOf(kind, i)](p);
  }
  return out;
}
async function annotOf(c, kind) {
  const out = {};
  for (const [i, [a, p]] of c.annot.entries()) out[a] = await KINDS[kindOf(kind, i + 1)](p);
  return out;
}

async function bytesOf(files) {
  const out = {};
  for (const [n, b] of Object.entries(files)) out[n] = await blobBytes(b);
  return out;
}

test('the gvl2 dataset fixtures are all here', () => {
  assert.deepEqual(CASES.map((c) => c.name), ['alias_chrM', 'annot_track', 'named_bed6', 'natsort_two_tracks', 'nochr_jitter', 'update_add_track']);
  assert.deepEqual(CASES.find((c) => c.name === 'update_add_track').tracks.map(([t]) => t), ['pos', 'neg']);
  assert.deepEqual(CASES.find((c) => c.name === 'annot_track').annot.map(([a]) => a), ['cons']);
});

for (const kind of ['path', 'mixed']) {
  test(`exportDataset: every gvl2 case equals the CLI and GenVarLoader 0.43.1 (${kind} sources, format 2 by default)`, async () => {
    for (const c of CASES) {
      const r = await exportDataset({ regions: bed(c), tracks: await tracksOf(c, kind), annot: await annotOf(c, kind), maxJitter: c.maxJitter });
      assertGvlDataset(await bytesOf(r.files), c, cli(c), `${c.name} (${kind})`);
      const meta = JSON.parse(fs.readFileSync(path.join(c.fixture, 'metadata.json'), 'utf8'));
      assert.deepEqual(r.samples, meta.samples);
      assert.equal(r.nRegions, meta.n_regions);
      assert.deepEqual([r.gvlFormat, r.nTracks, r.nAnnot], [2, c.tracks.length, c.annot.length]);
      assert.equal(Object.keys(r.files)[0], 'metadata.json');
    }
  });
}

test('exportDatasetToDir({ regions, tracks, annot, maxJitter, gvlFormat: 2, outDir }): every gvl2 case, written whole', async () => {
  for (const c of CASES) {
    const out = path.join(tmp, 'todir', `${c.name}.gvl`);
    const r = await exportDatasetToDir({
      regions: fs.readFileSync(c.regionsPath), tracks: await tracksOf(c, 'path'), annot: await annotOf(c, 'path'),
      maxJitter: c.maxJitter, gvlFormat: 2, outDir: out,
    });
    assertGvlDataset(readTree(out), c, cli(c), `${c.name} (dir)`);
    assert.deepEqual(Object.keys(r.files).sort(), Object.keys(readTree(out)).sort());
    for (const [a] of c.annot) assert.equal(r.files[`annot_intervals/${a}/offsets.npy`], path.join(out, 'annot_intervals', a, 'offsets.npy'));
  }
  assert.deepEqual(fs.readdirSync(path.join(tmp, 'todir')).sort(), CASES.map((c) => `${c.name}.gvl`));
});

test('annotation tracks as a Map and as pairs, output as chunks, progress over every track', async () => {
  const c = CASES.find((c) => c.name === 'update_add_track');
  const tracks = await tracksOf(c, 'path');
  for (const annot of [new Map(c.annot), c.annot]) {
    const seen = [];
    const r = await exportDataset({ regions: bed(c), tracks, annot, gvlFormat: 2, output: 'chunks', onProgress: (p) => seen.push(p) });
    const files = Object.fromEntries(Object.entries(r.files).map(([n, chunks]) => [n, Buffer.concat(chunks)]));
    assertGvlDataset(files, c, cli(c), 'Map, chunks');
    // Tracks in the order given, then annotation tracks: 3 of them, regions counted over all.
    assert.deepEqual([...new Set(seen.map((p) => p.track))], ['pos', 'neg', 'cons']);
    const last = seen.at(-1);
    assert.deepEqual([last.track, last.regionsDone, last.regionsTotal, last.intervals], ['cons', 3 * r.nRegions, 3 * r.nRegions, r.nIntervals]);
    assert.ok(seen.every((p, i) => i === 0 || p.regionsDone >= seen[i - 1].regionsDone));
  }
});

test('format 1 takes annotation tracks too: intervals.npy and offsets.npy, as the CLI writes them', async () => {
  const c = { ...CASES.find((c) => c.name === 'annot_track'), gvlFormat: 1 };
  const r = await exportDataset({ regions: bed(c), tracks: await tracksOf(c, 'path'), annot: await annotOf(c, 'blob'), gvlFormat: 1 });
  const files = await bytesOf(r.files);
  const want = cliDataset(c);
  assert.deepEqual(Object.keys(files).sort(), Object.keys(want).sort());
  assert.ok(files['annot_intervals/cons/intervals.npy'] && files['intervals/pos/intervals.npy']);
  for (const n of Object.keys(want)) assert.ok(Buffer.from(files[n]).equals(want[n]), n);
  assert.equal(JSON.parse(Buffer.from(files['metadata.json']).toString()).format_version, '1.0.0');
});

const fails = (opts, message) => datasetFails([exportDataset, exportDatasetToDir], path.join(tmp, 'bad'), opts, message);

test('a bad gvlFormat, clashing names and bad annotation sources are one-line errors and leave nothing', async () => {
  const c = CASES.find((c) => c.name === 'annot_track');
  const tracks = await tracksOf(c, 'path');
  const cons = c.annot[0][1];
  const regions = bed(c);
  const expected = 'expected 1 (GenVarLoader 0.35) or 2 (GenVarLoader >= 0.36)';
  for (const [v, shown] of [[3, '3'], [0, '0'], ['2', "'2'"], [null, 'null'], [1.5, '1.5'], [{}, 'an Object']]) {
    await fails({ regions, tracks, gvlFormat: v }, `gvlFormat: ${expected}, got ${shown}`);
  }
  await fails({ regions, tracks, annot: { pos: cons } },
    "'pos' is both a track and an annotation track: GenVarLoader's Dataset.open refuses that");
  await fails({ regions, tracks, annot: [['cons', cons], ['cons', cons]] },
    "annotation track 'cons' is given twice: track names are directory names, they must differ");
  await fails({ regions, tracks, annot: { 'a/b': cons } }, "annot: track name 'a/b' cannot be a directory name (intervals/<name>/)");
  await fails({ regions, tracks, annot: { 'x.tmp.1': cons } }, /^annot: track name 'x\.tmp\.1' would be hidden: /);
  await fails({ regions, tracks, annot: cons }, `annot: expected { name: value }, a Map or [name, value] pairs, got a string`);
  await fails({ regions, tracks, annot: new Map([[7, cons]]) }, 'annot: annotation track name a number is not a string');
  await fails({ regions, tracks, annot: [['cons']] }, 'annot[0]: expected a [name, value] pair, got an Array');
  // The annotation source's own errors, named after it.
  await fails({ regions, tracks, annot: { cons: path.join(tmp, 'missing.bw') } },
    /^annotation track 'cons': .*missing\.bw: cannot open: No such file or directory$/);
  await fails({ regions, tracks, annot: { cons: new Uint8Array(100) } }, /^annotation track 'cons': bytes\[0\]: /);
  await fails({ regions, tracks, annot: { cons: 42 } }, /^annotation track 'cons': source 0: expected a Uint8Array, .*got a number$/);
  await fails({ regions, tracks, annot: { cons: `${server.base}/range/nope.bw` } },
    `annotation track 'cons': ${server.base}/range/nope.bw: HTTP 404 Not Found`);
  // A contig only the annotation bigWig lacks: the per-sample track is written, then the
  // annotation track fails, and the staging directory goes.
  const seed = path.join(DATA, 'gvl2', 'bigwig', 'seed_0.bw');
  await fails({ regions: 'chr1\t0\t100\n', tracks, annot: { cons: seed } },
    /^annotation track 'cons': regions line 1 \(chr1:0-100\): contig 'chr1' not found in source 0 \(.*seed_0\.bw\)/);
});

// The built npm package (pkg/) in Node: parity through every source kind, CLI equality,
// streaming to a directory, progress, abort, HTTP failure modes, errors, memory, panics.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { exportTrack, exportTrackToDir, wasmMemoryBytes, BigwigNpyError } from '../pkg/index.js';
import * as wasmModule from '../pkg/module.js';
import { provokePanic } from './pages/panic.mjs';
import { DATA, cases, sha256, blobBytes, cliExport, startTestServer } from './helpers.mjs';

let server;
before(async () => { server = await startTestServer(); });
after(async () => { await server.close(); });

const CASES = cases();
const bed = (c) => fs.readFileSync(c.regionsPath, 'utf8');

const KINDS = {
  bytes: (c) => c.paths.map((p) => new Uint8Array(fs.readFileSync(p))),
  blob: (c) => c.paths.map((p) => new Blob([fs.readFileSync(p)])),
  path: (c) => c.paths,
  url: (c) => c.rel.map((r) => `${server.base}/range/${r}`),
};

for (const [kind, sources] of Object.entries(KINDS)) {
  test(`every case matches GenVarLoader's hashes from ${kind} sources`, async () => {
    for (const c of CASES) {
      const r = await exportTrack({ sources: sources(c), regions: bed(c), format: 'raw' });
      assert.deepEqual(Object.keys(r.files).sort(), ['intervals.npy', 'offsets.npy']);
      assert.equal(sha256(await blobBytes(r.files['intervals.npy'])), c.intervals_sha256, `${c.name} intervals`);
      assert.equal(sha256(await blobBytes(r.files['offsets.npy'])), c.offsets_sha256, `${c.name} offsets`);
      assert.equal(r.nIntervals, c.n_intervals);
      assert.equal(r.nRegions, c.n_regions);
      assert.equal(r.nSamples, c.sources.length);
    }
  });
}

test('npy and SoA outputs equal the native CLI files byte for byte', async () => {
  for (const c of CASES.filter((c) => ['seed', 'multi_uncompressed_3', 'fixedStep', 'gvl_sample_0'].includes(c.name))) {
    for (const [format, layout] of [['npy', 'aos'], ['npy', 'soa'], ['raw', 'soa']]) {
      const want = cliExport(c, ['--format', format, '--layout', layout]);
      const r = await exportTrack({ sources: KINDS.path(c), regions: bed(c), format, layout });
      assert.deepEqual(Object.keys(r.files).sort(), Object.keys(want).sort());
      for (const [name, bytes] of Object.entries(want)) {
        assert.ok(Buffer.from(await blobBytes(r.files[name])).equals(bytes), `${c.name} ${format}/${layout} ${name}`);
      }
    }
  }
});

test('regions as arrays and as gzip bytes', async () => {
  const c = CASES.find((c) => c.name === 'multi_gvl_sample_0_2');
  const rows = bed(c).trim().split('\n').map((l) => l.split('\t'));
  const arrays = { contigs: rows.map((r) => r[0]), starts: rows.map((r) => +r[1]), ends: rows.map((r) => +r[2]) };
  const a = await exportTrack({ sources: KINDS.path(c), regions: arrays, format: 'raw' });
  assert.equal(sha256(await blobBytes(a.files['intervals.npy'])), c.intervals_sha256);
  const gz = await exportTrack({ sources: KINDS.path(c), regions: zlib.gzipSync(bed(c)), format: 'raw' });
  assert.equal(sha256(await blobBytes(gz.files['offsets.npy'])), c.offsets_sha256);
});

test('exportTrackToDir streams the same files and leaves no temporaries', async () => {
  const c = CASES.find((c) => c.name === 'seed');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bwnpy-dir-'));
  const out = path.join(dir, 'a', 'b');
  const r = await exportTrackToDir({ sources: KINDS.path(c), regions: bed(c), outDir: out });
  assert.deepEqual(fs.readdirSync(out).sort(), ['intervals.npy', 'offsets.npy']);
  const want = cliExport(c, []);
  for (const name of ['intervals.npy', 'offsets.npy']) {
    assert.equal(r.files[name], path.join(out, name));
    assert.ok(fs.readFileSync(r.files[name]).equals(want[name]), name);
  }
  // A failing export into the same directory keeps the earlier files and adds nothing.
  const before = fs.readdirSync(out).map((f) => [f, sha256(fs.readFileSync(path.join(out, f)))]);
  await assert.rejects(
    exportTrackToDir({ sources: KINDS.path(c), regions: bed(c) + 'chr21\t0\t200000\n', maxMem: 200000, outDir: out }),
    /regions line 2001 \(chr21:0-200000\) needs more than/,
  );
  assert.deepEqual(fs.readdirSync(out).map((f) => [f, sha256(fs.readFileSync(path.join(out, f)))]), before);
  fs.rmSync(dir, { recursive: true });
});

test('progress events count up to the total', async () => {
  const c = CASES.find((c) => c.name === 'seed');
  const events = [];
  const r = await exportTrack({ sources: KINDS.url(c), regions: bed(c), onProgress: (p) => events.push(p) });
  assert.ok(events.length > 5);
  for (let i = 1; i < events.length; i++) {
    assert.ok(events[i].regionsDone >= events[i - 1].regionsDone);
    assert.ok(events[i].bytesFetched >= events[i - 1].bytesFetched);
    assert.ok(events[i].intervals >= events[i - 1].intervals);
  }
  const last = events.at(-1);
  assert.deepEqual([last.regionsDone, last.regionsTotal, last.intervals], [2000, 2000, 3914218]);
  assert.equal(last.bytesFetched, r.bytesFetched);
});

test('abort rejects with AbortError and starts no further reads', async () => {
  const c = CASES.find((c) => c.name === 'seed');
  const ac = new AbortController();
  let atAbort = null; // the server's counts once every request sent before the abort is in
  const p = exportTrack({
    sources: c.rel.map((r) => `${server.base}/slow/${r}`),
    regions: bed(c),
    signal: ac.signal,
    onProgress: (e) => {
      if (e.regionsDone > 0 && !atAbort) {
        ac.abort();
        atAbort = server.stats();
      }
    },
  });
  await assert.rejects(p, (e) => e.name === 'AbortError');
  await new Promise((ok) => setTimeout(ok, 100));
  const requestsAtAbort = (await atAbort).requests;
  assert.equal((await server.stats()).requests, requestsAtAbort, 'no request after the abort');
  await assert.rejects(exportTrack({ sources: KINDS.path(c), regions: bed(c), signal: AbortSignal.abort() }), { name: 'AbortError' });
});

test('a server that ignores Range is read whole, within the limit', async () => {
  const c = CASES.find((c) => c.name === 'volvox');
  // One reader's requests (each worker thread would read the file for itself).
  const r = await exportTrack({ sources: c.rel.map((x) => `${server.base}/whole/${x}`), regions: bed(c), format: 'raw', workers: 1 });
  assert.equal(sha256(await blobBytes(r.files['intervals.npy'])), c.intervals_sha256);
  assert.equal(r.requests, 1, 'the whole body is kept after the first 200');
  const url = `${server.base}/whole/bigwig/volvox.bw`;
  await assert.rejects(
    exportTrack({ sources: [url], regions: bed(c), wholeFileLimit: 1000 }),
    { message: `${url}: the server ignores HTTP range requests and the file is 213750 bytes, over the 1000-byte limit for reading it whole` },
  );
});

test('HTTP failures name the URL', async () => {
  const regions = 'ctgA\t0\t1000\n';
  const missing = `${server.base}/range/bigwig/nope.bw`;
  await assert.rejects(exportTrack({ sources: [missing], regions }), { message: `${missing}: HTTP 404 Not Found` });
  const trunc = `${server.base}/truncate/bigwig/volvox.bw`;
  await assert.rejects(exportTrack({ sources: [trunc], regions }), (e) => e.message.startsWith(`${trunc}: truncated response`));
  const dead = 'http://127.0.0.1:9/x.bw';
  await assert.rejects(exportTrack({ sources: [dead], regions }), (e) => e.message.startsWith(`${dead}: network error`));
  // A custom fetch sees every request (auth headers, retries).
  const seen = [];
  const fetchSpy = (u, init) => { seen.push(init.headers.Range); return fetch(u, init); };
  await exportTrack({ sources: [`${server.base}/range/bigwig/volvox.bw`], regions, fetch: fetchSpy });
  assert.ok(seen.length >= 2 && seen.every((r) => /^bytes=\d+-\d+$/.test(r)));
});

test('bad input gives one-line errors naming it', async () => {
  const volvox = fs.readFileSync(path.join(DATA, 'bigwig/volvox.bw'));
  const regions = 'ctgA\t0\t1000\n';
  const one = async (opts, re) => {
    const err = await exportTrack(opts).then(() => null, (e) => e);
    assert.ok(err instanceof Error, 'rejects');
    assert.match(err.message, re);
    assert.ok(!err.message.includes('\n'), 'one line');
  };
  await one({ sources: [new Uint8Array(100)], regions }, /^bytes\[0\]: not a bigWig file \(magic bytes/);
  await one({ sources: [volvox.subarray(0, 50000)], regions }, /^bytes\[0\]: truncated or corrupt file/);
  await one({ sources: [volvox], regions: 'chrZ\t0\t10\n' }, /^regions line 1 \(chrZ:0-10\): contig 'chrZ' not found in source 0 \(bytes\[0\]\), which has ctgA$/);
  await one({ sources: [volvox], regions: 'ctgA\t10\t5\n' }, /^regions line 1: start 10 is greater than end 5$/);
  await one({ sources: [volvox], regions: 'ctgA\tx\t5\n' }, /^regions line 1: start 'x' is not an integer$/);
  await one({ sources: [volvox], regions: '' }, /^regions: no regions found$/);
  await one({ sources: [], regions }, /^no sources given/);
  await one({ sources: [path.join(DATA, 'nope.bw')], regions }, /nope\.bw: cannot open: No such file or directory$/);
  await one({ sources: [new File([new Uint8Array(10)], 'tiny.bw')], regions }, /^tiny\.bw: not a bigWig file/);
  await one({ sources: [volvox], regions, format: 'csv' }, /^format: expected 'npy' or 'raw', got 'csv'$/);
  await one({ sources: [volvox], regions: 'ctgA\t0\t50000\n', maxMem: 1024 }, /over the max-mem limit of 1024 bytes$/);
  await one({ sources: [42], regions }, /^source 0: expected a Uint8Array/);
});

test('linear memory stays small: at most 32 MiB plus the sources', async () => {
  const c = CASES.find((c) => c.name === 'seed');
  const sources = KINDS.bytes(c);
  const r = await exportTrack({ sources, regions: bed(c), format: 'raw' });
  assert.equal(r.nIntervals, 3914218);
  const sourceBytes = sources.reduce((n, s) => n + s.length, 0);
  assert.ok(wasmMemoryBytes() <= 32 * 2 ** 20 + sourceBytes, `${wasmMemoryBytes()} bytes`);
});

test('failures reject with the exported BigwigNpyError and their kind', async () => {
  const c = CASES.find((x) => x.name === 'volvox');
  const kind = (k, name = 'BigwigNpyError') => (e) => e instanceof BigwigNpyError && e.kind === k && e.name === name;
  await assert.rejects(exportTrack({ sources: KINDS.path(c), regions: 'chrQ\t0\t10\n' }), kind('InputError'));
  await assert.rejects(exportTrack({ sources: KINDS.path(c), regions: bed(c), maxMem: 1 }), kind('MaxMemError', 'MaxMemError'));
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bwn-')), 'file');
  fs.writeFileSync(file, 'x');
  await assert.rejects(exportTrackToDir({ sources: KINDS.path(c), regions: bed(c), outDir: path.join(file, 'out') }), kind('OutputError'));
});

test('a Rust panic does not leave the module unusable', async (t) => {
  t.mock.method(console, 'error', () => {}); // the panic hook's report, expected here
  const c = CASES.find((c) => c.name === 'volvox');
  await assert.rejects(provokePanic(wasmModule), (e) => e instanceof BigwigNpyError && e.kind === 'InternalError'
    && /internal error .*can be used again/.test(e.message));
  const r = await exportTrack({ sources: KINDS.path(c), regions: bed(c), format: 'raw' });
  assert.equal(sha256(await blobBytes(r.files['intervals.npy'])), c.intervals_sha256);
  await assert.rejects(provokePanic(wasmModule), /internal error/);
  await assert.rejects(provokePanic(wasmModule), /internal error/);
  const again = await exportTrack({ sources: KINDS.bytes(c), regions: bed(c), format: 'raw' });
  assert.equal(again.nIntervals, c.n_intervals);
});

test('genome-order decoding (small block cache, shuffled regions) gives the same bytes', async () => {
  const c = CASES.find((c) => c.name === 'seed');
  const want = cliExport(c, ['--format', 'npy', '--layout', 'soa']);
  // Paths into a directory: the 47 MB of encoded regions overflow the staging budget and
  // go through the scratch file.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bwnpy-sweep-'));
  const r = await exportTrackToDir({ sources: KINDS.path(c), regions: bed(c), layout: 'soa', blockCacheBytes: 0, outDir: dir });
  assert.equal(r.decodeOrder, 'genome');
  assert.deepEqual(fs.readdirSync(dir).sort(), Object.keys(want).sort(), 'no scratch file left');
  for (const [name, bytes] of Object.entries(want)) assert.ok(fs.readFileSync(path.join(dir, name)).equals(bytes), name);
  fs.rmSync(dir, { recursive: true });
  // URLs into Blobs.
  const b = await exportTrack({ sources: KINDS.url(c), regions: bed(c), format: 'raw', blockCacheBytes: 0 });
  assert.equal(b.decodeOrder, 'genome');
  assert.equal(sha256(await blobBytes(b.files['intervals.npy'])), c.intervals_sha256);
  assert.equal(sha256(await blobBytes(b.files['offsets.npy'])), c.offsets_sha256);
  // Regions already in genome order stay in input order whatever the cache.
  const sorted = bed(c).trim().split('\n').map((l) => l.split('\t')).sort((x, y) => x[0].localeCompare(y[0]) || x[1] - y[1] || x[2] - y[2]);
  const s = await exportTrack({ sources: KINDS.path(c), regions: sorted.map((x) => x.join('\t')).join('\n'), format: 'raw', blockCacheBytes: 0 });
  assert.equal(s.decodeOrder, 'input');
});

test('inspectSource, parseRegions, and shards merged into the bytes of one export', async () => {
  const { inspectSource, parseRegions, mergeShards } = await import('../pkg/index.js');
  const info = await inspectSource(`${server.base}/range/bigwig/gvl_sample_0.bw`);
  assert.deepEqual(info.contigs, [{ name: 'chr1', length: 2000 }, { name: 'chr2', length: 1000 }]);
  // parseRegions also returns the contigs, first region and lines (js-tests/regions.test.mjs).
  assert.equal((await parseRegions('chr1\t0\t5\n# c\nchr2\t1\t2\n')).count, 2);
  await assert.rejects(parseRegions('chr1\t0\t5\nchr1\t9\t1\n'), { message: 'regions line 2: start 9 is greater than end 1' });
  const c = CASES.find((c) => c.name === 'seed');
  const lines = bed(c).trim().split('\n');
  for (const layout of ['aos', 'soa']) {
    const cuts = [0, 1, 700, 1999, 2000];
    const shards = [];
    for (let k = 0; k + 1 < cuts.length; k++) {
      shards.push(await exportTrack({ sources: KINDS.path(c), regions: lines.slice(cuts[k], cuts[k + 1]).join('\n'), format: 'raw', layout }));
    }
    for (const format of ['npy', 'raw']) {
      const merged = await mergeShards(shards, { format });
      const want = cliExport(c, ['--format', format, '--layout', layout]);
      for (const [name, bytes] of Object.entries(want)) {
        assert.ok(Buffer.from(await blobBytes(merged.files[name])).equals(bytes), `${layout} ${format} ${name}`);
      }
      assert.equal(merged.nRegions, 2000);
    }
  }
});

test("output: 'chunks' gives the same bytes, and shards of chunks merge like Blobs", async () => {
  const { mergeShards } = await import('../pkg/index.js');
  const c = CASES.find((c) => c.name === 'seed');
  const lines = bed(c).trim().split('\n');
  const cat = (chunks) => Buffer.concat(chunks.map((x) => Buffer.from(x.buffer, x.byteOffset, x.byteLength)));
  const whole = await exportTrack({ sources: KINDS.path(c), regions: bed(c), output: 'chunks' });
  const want = cliExport(c, []);
  for (const name of Object.keys(want)) assert.ok(cat(whole.files[name]).equals(want[name]), name);
  const shards = [];
  for (const [a, b] of [[0, 999], [999, 2000]]) {
    shards.push(await exportTrack({ sources: KINDS.path(c), regions: lines.slice(a, b).join('\n'), format: 'raw', output: 'chunks' }));
  }
  const merged = await mergeShards(shards, { format: 'npy' });
  for (const name of Object.keys(want)) assert.ok(cat(merged.files[name]).equals(want[name]), `merged ${name}`);
  await assert.rejects(exportTrack({ sources: KINDS.path(c), regions: bed(c), output: 'json' }), /output: expected 'blob' or 'chunks'/);
});

test('an inspected source carries its header and index into exports: same bytes, fewer reads', async () => {
  const { inspectSource } = await import('../pkg/index.js');
  for (const c of CASES) {
    for (const kind of ['blob', 'url', 'path']) {
      const plain = KINDS[kind](c);
      const inspected = await Promise.all(plain.map((s) => inspectSource(s)));
      assert.ok(inspected.every((i) => i.head && i.head.ranges.length > 0), `${c.name} ${kind} keeps a head`);
      const a = await exportTrack({ sources: plain, regions: bed(c), format: 'raw' });
      const b = await exportTrack({ sources: inspected, regions: bed(c), format: 'raw' });
      assert.equal(sha256(await blobBytes(b.files['intervals.npy'])), c.intervals_sha256, `${c.name} ${kind}`);
      assert.equal(sha256(await blobBytes(b.files['offsets.npy'])), c.offsets_sha256, `${c.name} ${kind}`);
      assert.ok(b.requests < a.requests, `${c.name} ${kind}: ${b.requests} reads, ${a.requests} without the heads`);
    }
  }
  // In-memory bytes need no head; an inspected source survives structured cloning (workers).
  const seed = CASES.find((c) => c.name === 'seed');
  assert.equal((await inspectSource(KINDS.bytes(seed)[0])).head, null);
  const cloned = structuredClone(await Promise.all(KINDS.blob(seed).map((s) => inspectSource(s))));
  const r = await exportTrack({ sources: cloned, regions: bed(seed), format: 'raw' });
  assert.equal(sha256(await blobBytes(r.files['intervals.npy'])), seed.intervals_sha256);
  assert.equal(r.requests, 0, 'small files are held whole by their heads');
});

test("a head read from another file's version is ignored", async () => {
  const { inspectSource } = await import('../pkg/index.js');
  const seed = CASES.find((c) => c.name === 'seed');
  const volvox = CASES.find((c) => c.name === 'volvox');
  const stale = await inspectSource(KINDS.blob(volvox)[0]);
  const sources = KINDS.blob(seed).map((s, i) => (i === 0 ? { ...stale, source: s } : s));
  const r = await exportTrack({ sources, regions: bed(seed), format: 'raw' });
  assert.equal(sha256(await blobBytes(r.files['intervals.npy'])), seed.intervals_sha256);
});

test('Blobs are read in slices of at least 256 KiB, so a small File takes one read', async () => {
  const c = CASES.find((c) => c.name === 'seed');
  // One reader's reads (each worker thread reads for itself).
  const r = await exportTrack({ sources: KINDS.blob(c), regions: bed(c), format: 'raw', workers: 1 });
  assert.equal(sha256(await blobBytes(r.files['intervals.npy'])), c.intervals_sha256);
  assert.equal(r.requests, c.paths.length);
  assert.equal(r.bytesFetched, c.paths.reduce((n, p) => n + fs.statSync(p).size, 0));
});

test('reads run while decoding goes on, and no range is read twice', async () => {
  // exportTrackToDir awaits file writes between steps, so reads land mid-step (here at
  // once: the "server" answers from memory); the ranges a step asked for must not then be
  // read again.
  const c = CASES.find((c) => c.name === 'seed');
  const files = new Map(c.paths.map((p) => [`mem://${path.basename(p)}`, fs.readFileSync(p)]));
  const seen = new Set();
  let twice = 0;
  const fetch = async (url, init) => {
    const key = `${url} ${init.headers.Range}`;
    if (seen.has(key)) twice += 1;
    seen.add(key);
    const bytes = files.get(String(url));
    const [a, b] = /bytes=(\d+)-(\d+)/.exec(init.headers.Range).slice(1).map(Number);
    const end = Math.min(b, bytes.length - 1);
    return new Response(bytes.subarray(a, end + 1), { status: 206, headers: { 'content-range': `bytes ${a}-${end}/${bytes.length}` } });
  };
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bwnpy-'));
  const r = await exportTrackToDir({ sources: [...files.keys()].map((u) => new URL(u)), regions: bed(c), format: 'raw', outDir: out, fetch });
  assert.equal(sha256(fs.readFileSync(path.join(out, 'intervals.npy'))), c.intervals_sha256);
  assert.equal(twice, 0, 'ranges read twice');
  const sizes = [...files.values()].reduce((n, b) => n + b.length, 0);
  assert.ok(r.bytesFetched < 1.2 * sizes, `${r.bytesFetched} bytes read for ${sizes} bytes of files`);
  fs.rmSync(out, { recursive: true, force: true });
});

test('a read failing in the background fails the export with its source named', async () => {
  const c = CASES.find((c) => c.name === 'seed');
  const files = new Map(c.paths.map((p) => [`mem://${path.basename(p)}`, fs.readFileSync(p)]));
  let after = 0;
  let failed = false;
  const fetch = async (url, init) => {
    if (failed) after += 1;
    const bytes = files.get(String(url));
    const [a, b] = /bytes=(\d+)-(\d+)/.exec(init.headers.Range).slice(1).map(Number);
    if (String(url).endsWith('sample_3.bw') && a > 60000) {
      failed = true;
      return new Response('boom', { status: 500, statusText: 'Internal Server Error' });
    }
    const end = Math.min(b, bytes.length - 1);
    return new Response(bytes.subarray(a, end + 1), { status: 206, headers: { 'content-range': `bytes ${a}-${end}/${bytes.length}` } });
  };
  const unhandled = [];
  const onUnhandled = (e) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  try {
    await assert.rejects(
      exportTrack({ sources: [...files.keys()].map((u) => new URL(u)), regions: bed(c), format: 'raw', fetch }),
      { message: 'mem://sample_3.bw: HTTP 500 Internal Server Error' },
    );
    await new Promise((ok) => setTimeout(ok, 50));
    assert.deepEqual(unhandled, []);
    assert.ok(after <= 8, `${after} reads started after the failure`);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

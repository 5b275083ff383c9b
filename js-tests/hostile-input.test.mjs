// Hostile options, names and output directories (issue 11): numbers that are not whole
// byte counts, region arrays of strings and nulls, control characters in names, file
// system errors, directories and temporaries left behind, and wasm memory kept forever.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exportTrack, exportTrackToDir, parseRegions } from '../pkg/index.js';
import { ROOT, DATA, cases, sha256, blobBytes } from './helpers.mjs';

const CASES = cases();
const seed = CASES.find((c) => c.name === 'seed');
const volvox = CASES.find((c) => c.name === 'volvox');
const bed = (c) => fs.readFileSync(c.regionsPath, 'utf8');
const volvoxBytes = fs.readFileSync(volvox.paths[0]);
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'bwnpy-hostile-'));

/** The call's error: it must reject, with one line and no raw control character. */
async function failure(p) {
  const e = await p.then(() => null, (err) => err);
  assert.ok(e instanceof Error, 'rejects');
  assert.ok(!/[\u0000-\u001f\u007f-\u009f\ufeff]/.test(e.message), `no raw control characters: ${JSON.stringify(e.message)}`);
  return e;
}

test('byte counts and timeouts must be non-negative integers', async () => {
  const base = { sources: [volvoxBytes], regions: 'ctgA\t0\t1000\n' };
  for (const [key, value, shown] of [
    ['maxMem', 0.5, '0.5'], ['maxMem', -1, '-1'], ['maxMem', NaN, 'NaN'], ['maxMem', Infinity, 'Infinity'], ['maxMem', '1000', "'1000'"],
    ['blockCacheBytes', 1.5, '1.5'], ['blockCacheBytes', null, 'null'], ['timeoutMs', -5, '-5'], ['wholeFileLimit', 1e300, '1e+300'],
  ]) {
    const e = await failure(exportTrack({ ...base, [key]: value }));
    assert.equal(e.message, `${key}: expected a non-negative integer, got ${shown}`);
  }
  const r = await exportTrack({ ...base, maxMem: 1 << 20, blockCacheBytes: 0, timeoutMs: 0, wholeFileLimit: 10 });
  assert.equal(r.nRegions, 1);
});

test('region arrays take integers (numbers or bigints) only, naming the index', async () => {
  const rows = bed(volvox).trim().split('\n').map((l) => l.split('\t'));
  const contigs = rows.map((r) => r[0]);
  const starts = rows.map((r) => Number(r[1]));
  const ends = rows.map((r) => Number(r[2]));
  for (const [bad, shown] of [['', '""'], [null, 'null'], ['0x1388', '"0x1388"'], [1.5, '1.5'], [true, 'a boolean'], [undefined, 'undefined']]) {
    const s = starts.slice();
    s[3] = bad;
    const e = await failure(exportTrack({ sources: [volvoxBytes], regions: { contigs, starts: s, ends } }));
    assert.equal(e.message, `regions index 3: start ${shown} is not an integer`);
  }
  const e = await failure(parseRegions({ contigs: ['ctgA', null], starts: [0, 1], ends: [5, 6] }));
  assert.equal(e.message, 'regions index 1: contig null is not a string');
  const big = await exportTrack({
    sources: [volvoxBytes], format: 'raw',
    regions: { contigs, starts: BigInt64Array.from(starts, BigInt), ends: ends.map(BigInt) },
  });
  assert.equal(sha256(await blobBytes(big.files['intervals.npy'])), volvox.intervals_sha256);
});

test('control characters and BOMs in source names are shown escaped', async () => {
  const regions = 'ctgA\t0\t1000\n';
  const p = path.join(DATA, 'no\u0000pe.bw');
  let e = await failure(exportTrack({ sources: [p], regions }));
  assert.ok(e.message.startsWith(`${path.join(DATA, 'no\\x00pe.bw')}: cannot open: `), e.message);
  e = await failure(exportTrack({ sources: [path.join(DATA, '\ufeffx.bw')], regions }));
  assert.equal(e.message, `${path.join(DATA, '\\uFEFFx.bw')}: cannot open: No such file or directory`);
  e = await failure(exportTrack({ sources: [new File([new Uint8Array(10)], 'a\nb\u0007.bw')], regions }));
  assert.match(e.message, /^a\\x0Ab\\x07\.bw: not a bigWig file/);
  const fetch = async () => new Response('gone', { status: 404, statusText: 'Not Found' });
  e = await failure(exportTrack({ sources: ['http://h.invalid/x\u0001.bw'], regions, fetch }));
  assert.equal(e.message, 'http://h.invalid/x\\x01.bw: HTTP 404 Not Found');
});

test('exportTrackToDir: file system errors are one line naming the path, never a hang', { timeout: 30000 }, async () => {
  const regions = bed(volvox);
  const within = (p, ms) => Promise.race([p, new Promise((_, no) => setTimeout(() => no(new Error(`no answer in ${ms} ms`)), ms))]);
  // Node's recursive mkdir never settles under /proc.
  let e = await failure(within(exportTrackToDir({ sources: [volvoxBytes], regions, outDir: '/proc/bwnpy-test/out' }), 5000));
  assert.equal(e.message, '/proc/bwnpy-test/out: cannot write output: No such file or directory');
  assert.equal(e.kind, 'OutputError');
  if (fs.existsSync('/sys/kernel')) {
    e = await failure(within(exportTrackToDir({ sources: [volvoxBytes], regions, outDir: '/sys/bwnpy-test' }), 5000));
    assert.match(e.message, /^\/sys\/bwnpy-test: cannot write output: (Operation not permitted|Read-only file system|Permission denied)$/);
  }
  // A directory where an output file goes: nothing is renamed, no temporary stays.
  const dir = tmp();
  fs.mkdirSync(path.join(dir, 'offsets.npy', 'x'), { recursive: true });
  e = await failure(exportTrackToDir({ sources: [volvoxBytes], regions, outDir: dir }));
  assert.equal(e.message, `${path.join(dir, 'offsets.npy')}: cannot write output: Is a directory`);
  assert.equal(e.name, 'BigwigNpyError');
  assert.equal(e.kind, 'OutputError');
  assert.deepEqual(fs.readdirSync(dir), ['offsets.npy']);
  fs.rmSync(dir, { recursive: true });
});

test('a failed or aborted exportTrackToDir removes the directories it made and its temporaries', async () => {
  const dir = tmp();
  const out = path.join(dir, 'new', 'a', 'b');
  await failure(exportTrackToDir({ sources: seed.paths, regions: bed(seed) + 'chr21\t0\t200000\n', maxMem: 200000, outDir: out }));
  assert.deepEqual(fs.readdirSync(dir), [], 'new/a/b made and removed');
  // Not a directory that holds something else.
  fs.mkdirSync(path.join(dir, 'keep'));
  fs.writeFileSync(path.join(dir, 'keep', 'note.txt'), 'mine');
  const ac = new AbortController();
  const p = exportTrackToDir({
    sources: seed.paths, regions: bed(seed), outDir: path.join(dir, 'keep', 'sub'), signal: ac.signal,
    onProgress: (e) => { if (e.regionsDone > 100) ac.abort(); },
  });
  await assert.rejects(p, { name: 'AbortError' });
  assert.deepEqual(fs.readdirSync(dir), ['keep']);
  assert.deepEqual(fs.readdirSync(path.join(dir, 'keep')), ['note.txt']);
  fs.rmSync(dir, { recursive: true });
});

test('exportTrackToDir removes temporaries of dead processes (its own and the CLI\'s), not of live ones', async () => {
  const dir = tmp();
  const dead = spawnSync(process.execPath, ['-e', '0']).pid;
  // The CLI's leftovers too (`.<file>.partial-<pid>`): one protocol, the core's.
  const stale = [`.intervals.npy.partial-${dead}-abc123`, `.bigwig-npy-spill-${dead}-q1w2e3`, `.offsets.npy.partial-${dead}`, `.bigwig-npy-spill-${dead}`];
  const live = [`.offsets.npy.partial-${process.pid}-zzz999`, `.intervals.npy.partial-${process.ppid}-a1b2c3`, '.notes.partial-x'];
  for (const n of [...stale, ...live]) fs.writeFileSync(path.join(dir, n), 'x');
  await exportTrackToDir({ sources: [volvoxBytes], regions: bed(volvox), outDir: dir });
  assert.deepEqual(fs.readdirSync(dir).sort(), [...live, 'intervals.npy', 'offsets.npy'].sort());
  fs.rmSync(dir, { recursive: true });
});

test('wasm memory grown by concurrent exports is released once they are done', { timeout: 120000 }, async () => {
  // In a child with --expose-gc: 40 concurrent exports grow linear memory past 64 MiB.
  // RSS is measured while one more export still runs (the instance must stay), then after
  // it ended: the idle instance is dropped and its memory given back; the next export works.
  const script = `
    import { exportTrack, wasmMemoryBytes } from ${JSON.stringify(path.join(ROOT, 'pkg/index.js'))};
    import { readFileSync } from 'node:fs';
    const paths = ${JSON.stringify(seed.paths)};
    const regions = readFileSync(${JSON.stringify(seed.regionsPath)}, 'utf8').split('\\n').slice(0, 2000).join('\\n');
    const sources = () => paths.map((p) => new Uint8Array(readFileSync(p)));
    const rss = () => process.memoryUsage().rss;
    const settle = async () => { for (let i = 0; i < 5; i++) { globalThis.gc(); await new Promise((ok) => setTimeout(ok, 50)); } };
    let open;
    const gate = new Promise((ok) => { open = ok; });
    const ac = new AbortController();
    const held = exportTrack({ sources: ['http://held.invalid/a.bw'], regions, signal: ac.signal, fetch: async () => { await gate; throw new Error('closed'); } }).catch(() => {});
    await Promise.all(Array.from({ length: 40 }, () => exportTrack({ sources: sources(), regions, format: 'raw', output: 'chunks' })));
    const peak = wasmMemoryBytes();
    await settle();
    const rssHeld = rss();
    ac.abort();
    open();
    await held;
    await new Promise((ok) => setTimeout(ok, 1500));
    await settle();
    const after = wasmMemoryBytes();
    const rssAfter = rss();
    const again = await exportTrack({ sources: sources(), regions, format: 'raw' });
    console.log(JSON.stringify({ peak, after, rssHeld, rssAfter, n: again.nIntervals }));
  `;
  const child = spawn(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  const code = await new Promise((ok) => child.on('exit', ok));
  assert.equal(code, 0);
  const m = JSON.parse(out.trim().split('\n').at(-1));
  const mb = (x) => `${(x / 2 ** 20).toFixed(0)} MiB`;
  console.log(`wasm ${mb(m.peak)} at the peak, ${mb(m.after)} idle; rss ${mb(m.rssHeld)} while in use, ${mb(m.rssAfter)} once idle`);
  assert.ok(m.peak > 64 * 2 ** 20, `the exports grew memory to ${mb(m.peak)}`);
  assert.equal(m.after, 0, 'the idle instance was dropped');
  assert.ok(m.rssHeld - m.rssAfter > m.peak / 2, 'its memory was given back to the system');
  assert.ok(m.n > 0);
});

/** `n` BED lines of 1 bp on chr21 of the seed corpus, shuffled. */
function manyRegions(n) {
  const parts = [];
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const s = x % 199000;
    parts.push(`chr21\t${s}\t${s + 1}\n`);
  }
  return parts.join('');
}

test('a long export yields to the event loop: timers run and an abort acts mid-export', { timeout: 120000 }, async () => {
  // Two million regions from memory: before, parsing, planning and every step ran as one
  // synchronous block (awaiting settled promises never lets a timer in), so the abort
  // below could only be seen once the export had already finished.
  const regions = manyRegions(2_000_000);
  const source = fs.readFileSync(seed.paths[0]);
  for (const blockCacheBytes of [undefined, 0]) { // input order, and genome order (sorted in slices)
    let ticks = 0;
    let last = performance.now();
    let longest = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
      ticks += 1;
    }, 5);
    const ac = new AbortController();
    let progress = 0;
    const e = await failure(exportTrack({
      sources: [source], regions, format: 'raw', blockCacheBytes, signal: ac.signal,
      onProgress: ({ regionsDone }) => {
        progress = regionsDone;
        if (regionsDone > 0 && !ac.signal.aborted) setTimeout(() => ac.abort(), 0);
      },
    }));
    clearInterval(timer);
    assert.equal(e.name, 'AbortError', `${blockCacheBytes}: ${e.message}`);
    assert.ok(progress < 2_000_000, `aborted mid-export (${progress} regions done)`);
    assert.ok(ticks > 10, `${ticks} timer ticks ran during the export`);
    // Slices are ~20 ms; GC pauses of this test's large heap come on top.
    assert.ok(longest < 1500, `the event loop was blocked for ${longest.toFixed(0)} ms`);
  }
  // Unaborted, the same regions fed in pieces give the bytes of one piece.
  const some = manyRegions(300_000);
  const whole = await exportTrack({ sources: [source], regions: some, format: 'raw' });
  const asBytes = await exportTrack({ sources: [source], regions: new TextEncoder().encode(some), format: 'raw' });
  assert.equal(whole.nRegions, 300_000);
  for (const f of ['intervals.npy', 'offsets.npy']) {
    assert.equal(sha256(await blobBytes(asBytes.files[f])), sha256(await blobBytes(whole.files[f])), f);
  }
});

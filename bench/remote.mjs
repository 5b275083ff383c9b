#!/usr/bin/env node
// Remote-first benchmark (issue 10): a few loci from big remote bigWigs, through a local HTTP
// server with per-request latency and a bandwidth cap. Compares, per loci count, the npm
// package (`exportTrack` with URL sources), @gmod/bbi 8.1.1 (JBrowse's reader), with --bbi11
// @gmod/bbi 11.0.0, and the native
// CLI with URL sources (when the binary accepts them): requests, bytes and seconds, as the
// server counted them; checks every output against the native local-file export; and
// compares the bytes fetched with what a range reader needs.
//
// usage: node bench/remote.mjs [--loci 1,10,100,1000] [--repeat 3] [--latency 30]
//          [--bandwidth 100] [--files 2] [--seed 1] [--layout ucsc|bigtools]
//          [--tools ours,bbi,native] [--corpora seed,medium] [--slow 20]
//          [--corpus encode] [--bbi11 DIR]
//
//   --latency MS     added before every response (default 30)
//   --bandwidth MBIT shared by all connections, like one link (default 100; 0: no cap)
//   --repeat N       best of N runs per cell (default 3); a run slower than --slow seconds
//                    (default 20) is not repeated
//   --corpus encode  the loci from the ENCODE-size-index corpus (bench/out/remote-encode, the
//                    same records with --items-per-slot 128: ~8 MB of R-tree a file, as
//                    bench/shards.py --remote uses) instead of the ~1 MB-index one
//   --bbi11 DIR      also run @gmod/bbi 11.0.0 (bench/bbi11_remote.mjs) from DIR, a build of it
//                    or a folder whose node_modules holds one (docs/BENCHMARKS.md's recipe)
//   --corpora LIST   also export these corpora's regions.bed over HTTP (one run each) and
//                    print fetched / needed: `seed` (../shared/fixtures/seed) and `medium`
//                    (bench/out/medium, made by `python3 bench/run.py`); `--loci none`
//                    skips the genome-wide corpus
//
// The genome-wide corpus (bench/out/remote-*, cached) is made by
// `cargo run --example make_remote_corpus` (bigtools' writer, UCSC layout, ~1 MB of R-tree a
// file). The loci: BED files of N regions of 900-1100 bp at uniformly random genome
// positions (deterministic from --seed; the first N of one sequence, sorted).
//
// "needed" is the floor tool's count (../shared/tools/floor): everything before the data
// section (header, zoom headers, summary, and in UCSC layout the chrom tree), the whole
// full-data R-tree, and the compressed blocks the regions touch. "lazy" replaces the whole
// R-tree by its header and the nodes a breadth-first walk for these regions touches.
//
// Needs `npm run build` (pkg/) and `cargo build --release` (the native binary); installs
// @gmod/bbi 8.1.1 into bench/out/bbi as bench/node.mjs does.
import { execFileSync, execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setupBbi, bbi11Entry } from './bbi.mjs';
import { needed, openIndex } from './bigwig_index.mjs';
import { startTestServer } from '../js-tests/helpers.mjs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = path.resolve(ROOT, '..', 'shared');
const OUT = path.join(ROOT, 'bench', 'out');
const BIN = path.join(ROOT, 'target', 'release', 'bigwig-npy');
const SELF = fileURLToPath(import.meta.url);
const argv = process.argv.slice(2);
const arg = (name, dflt) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : dflt; };

/** The test server (tests/server, its own process, so it does not share the exporter's event
 * loop) on `dir`, with `latency` ms before every answer and `bandwidth` Mbit/s shared by all
 * connections; `stats()` gives the requests and body bytes since the last call. */
async function startServer(dir, latency, bandwidth) {
  const server = await startTestServer({ root: dir, latency, bandwidth, unguarded: true });
  return { ...server, url: (f) => `${server.base}/range/${f}`, stats: () => server.stats({ reset: true }) };
}

// ---------------------------------------------------------------------------------------
// Corpus, loci, tools.
// ---------------------------------------------------------------------------------------

/** `encode`: 8x the blocks (itemsPerSlot 128), so 8x the R-tree, from the same records. */
function makeCorpus(files, seed, layout, encode) {
  const dir = path.join(OUT, encode ? 'remote-encode' : `remote-${layout}-f${files}-s${seed}`);
  if (fs.existsSync(path.join(dir, 'corpus.json'))) return dir;
  console.error(`generating ${dir} (bigtools' writer, once; about a minute a file) ...`);
  const shape = encode ? ['--files', '2', '--items-per-slot', '128'] : ['--files', String(files), '--seed', String(seed), '--layout', layout];
  execFileSync('nice', ['cargo', 'run', '--release', '--quiet', '--example', 'make_remote_corpus', '--', dir, ...shape],
    { cwd: ROOT, stdio: 'inherit', timeout: 1800_000 });
  return dir;
}

/** A deterministic PRNG (mulberry32). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The first n of one random sequence of ~1 kbp loci, in the chrom.sizes order, sorted. */
function loci(dir, n, seed) {
  const sizes = fs.readFileSync(path.join(dir, 'chrom.sizes'), 'utf8').trim().split('\n').map((l) => l.split('\t')).map(([c, s]) => [c, Number(s)]);
  const total = sizes.reduce((a, [, s]) => a + s, 0);
  const next = rng(0x5eed0000 + seed);
  const out = [];
  while (out.length < n) {
    let g = Math.floor(next() * total);
    const width = 900 + Math.floor(next() * 201);
    let k = 0;
    while (g >= sizes[k][1]) g -= sizes[k++][1];
    if (g + width > sizes[k][1]) continue;
    out.push([k, sizes[k][0], g, g + width]);
  }
  out.sort((a, b) => a[0] - b[0] || a[2] - b[2]);
  return out.map(([, c, s, e]) => [c, s, e]);
}


function run(cmd, args, timeoutMs = 1800_000) {
  return new Promise((ok) => {
    execFile(cmd, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => ok({ err, stdout, stderr }));
  });
}

function fresh(d) {
  fs.rmSync(d, { recursive: true, force: true });
  return d;
}

const same = (dir, want) => ['intervals.npy', 'offsets.npy'].every((f) => fs.readFileSync(path.join(dir, f)).equals(want[f]));

/** Best of `repeat` runs of `once` (which returns { seconds, ...}); the server's counts of
 * every run (min-max when they differ). Stops repeating after a run slower than `slow` s. */
async function measure(server, repeat, slow, once) {
  let best = null;
  const reqs = [];
  const bytes = [];
  for (let i = 0; i < repeat; i++) {
    await server.stats();
    const r = await once(i);
    const s = await server.stats();
    if (r.failed) return r;
    reqs.push(s.requests);
    bytes.push(s.bytes);
    if (!best || r.seconds < best.seconds) best = r;
    if (r.seconds > slow) break;
  }
  const span = (v) => ({ min: Math.min(...v), max: Math.max(...v) });
  return { ...best, requests: span(reqs), bytes: span(bytes), runs: reqs.length };
}

/** Measures `cmd ...args OUT_DIR ...urls`, an exporter writing intervals.npy/offsets.npy into
 * `outDir`, checked against `want`; `selfTimed` ones (the bbi runners) print their own
 * seconds, leaving out node's start-up. */
async function measureCli(server, repeat, slow, want, outDir, cmd, args, selfTimed, urls) {
  let identical = true;
  let error = null;
  const r = await measure(server, repeat, slow, async () => {
    const t0 = performance.now();
    const p = await run(cmd, [...args, fresh(outDir), ...urls]);
    const seconds = (performance.now() - t0) / 1000;
    if (p.err) { error = p.stderr.trim().split('\n').slice(-3).join(' '); return { failed: true }; }
    if (!same(outDir, want)) identical = false;
    return { seconds: selfTimed ? Number(p.stdout.trim().split('\n').at(-1)) : seconds };
  });
  return { ...r, identical, ...(error ? { error } : {}) };
}

const kib = (b) => (b / 1024).toFixed(0);
const fmtSpan = (s, f = String) => (s.min === s.max ? f(s.min) : `${f(s.min)}-${f(s.max)}`);
const cell = (r, absent = 'not run') => (!r ? absent : r.failed ? 'FAILED' : `${fmtSpan(r.requests)} / ${fmtSpan(r.bytes, kib)} KiB / ${r.seconds.toFixed(3)} s`);

async function main() {
  const repeat = Number(arg('--repeat', '3'));
  const slow = Number(arg('--slow', '20'));
  const latency = Number(arg('--latency', '30'));
  const bandwidth = Number(arg('--bandwidth', '100'));
  const nFiles = Number(arg('--files', '2'));
  const seed = Number(arg('--seed', '1'));
  const layout = arg('--layout', 'ucsc');
  const lociArg = arg('--loci', '1,10,100,1000');
  const lociCounts = lociArg === 'none' ? [] : lociArg.split(',').map(Number);
  const tools = new Set(arg('--tools', 'ours,bbi,native').split(','));
  const corpora = (arg('--corpora', '') || '').split(',').filter(Boolean);
  const encode = arg('--corpus', '') === 'encode';
  const bbi11 = argv.includes('--bbi11') && lociCounts.length ? bbi11Entry(path.resolve(arg('--bbi11'))) : null;
  const { exportTrack, exportTrackToDir } = await import(pathToFileURL(path.join(ROOT, 'pkg', 'index.js')).href);
  if (!fs.existsSync(BIN)) throw new Error(`${BIN} missing: cargo build --release`);
  const bbiDir = tools.has('bbi') && lociCounts.length ? setupBbi(OUT, path.join(ROOT, 'bench', 'bbi_remote.mjs')) : null;
  const setting = `${latency} ms a request, ${bandwidth > 0 ? `${bandwidth} Mbit/s shared` : 'no bandwidth cap'}`;

  if (lociCounts.length) {
    const dir = makeCorpus(nFiles, seed, layout, encode);
    // Scratch names per corpus, so that runs on both corpora can go at once.
    const work = (name) => path.join(OUT, `${path.basename(dir)}-${name}`);
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'corpus.json'), 'utf8'));
    const names = meta.files.map((f) => f.name);
    const paths = names.map((f) => path.join(dir, f));
    const server = await startServer(dir, latency, bandwidth);
    const urls = names.map(server.url);
    const rows = [];
    let nativeUrls = null;
    try {
      for (const n of lociCounts) {
        const regions = loci(dir, n, seed);
        const bedText = regions.map((r) => r.join('\t')).join('\n') + '\n';
        const bed = work(`loci-${n}.bed`);
        fs.writeFileSync(bed, bedText);
        // The reference: the native CLI on local files.
        const refDir = fresh(work(`${n}-local`));
        execFileSync(BIN, ['export', '--quiet', '--format', 'raw', '--regions', bed, '--out', refDir, ...paths], { timeout: 600_000 });
        const want = { 'intervals.npy': fs.readFileSync(path.join(refDir, 'intervals.npy')), 'offsets.npy': fs.readFileSync(path.join(refDir, 'offsets.npy')) };
        const need = needed(paths, regions);
        const row = { n, need, intervals: want['intervals.npy'].length / 12 };

        if (tools.has('ours')) {
          let identical = true;
          row.ours = await measure(server, repeat, slow, async () => {
            const t0 = performance.now();
            const r = await exportTrack({ sources: urls, regions: bedText, format: 'raw', signal: AbortSignal.timeout(1800_000) });
            const seconds = (performance.now() - t0) / 1000;
            for (const f of ['intervals.npy', 'offsets.npy']) {
              if (!Buffer.from(await r.files[f].arrayBuffer()).equals(want[f])) identical = false;
            }
            return { seconds, reported: { requests: r.requests, bytes: r.bytesFetched } };
          });
          row.ours.identical = identical;
        }
        if (bbiDir) {
          const a = [path.join(bbiDir, 'bbi_remote.mjs'), bed];
          row.bbi = await measureCli(server, repeat, slow, want, work(`${n}-bbi`), process.execPath, a, true, urls);
        }
        if (bbi11) {
          const a = [path.join(ROOT, 'bench', 'bbi11_remote.mjs'), bbi11, bed];
          row.bbi11 = await measureCli(server, repeat, slow, want, work(`${n}-bbi11`), process.execPath, a, true, urls);
        }
        if (tools.has('native') && nativeUrls === null) {
          // Does this build read URLs? Today's says "cannot open: No such file or directory".
          const r = await run(BIN, ['export', '--quiet', '--format', 'raw', '--regions', bed, '--out', fresh(work('probe')), urls[0]]);
          const msg = r.err ? r.stderr.trim().split('\n')[0] : '';
          nativeUrls = !r.err || !/no such file|unsupported|not supported|scheme|invalid path/i.test(msg);
          if (!nativeUrls) console.error(`native CLI: no URL sources in this build (${msg}): n/a`);
        }
        if (tools.has('native') && nativeUrls) {
          const a = ['export', '--quiet', '--format', 'raw', '--regions', bed, '--out'];
          row.native = await measureCli(server, repeat, slow, want, work(`${n}-native-url`), BIN, a, false, urls);
        }
        rows.push(row);
        console.error(`${n} loci: ours ${cell(row.ours)}; bbi ${cell(row.bbi)}; bbi11 ${cell(row.bbi11)}; native ${cell(row.native, nativeUrls === false ? 'n/a' : 'not run')}`);
      }
    } finally {
      await server.close();
    }

    const nativeAbsent = tools.has('native') && nativeUrls === false ? 'n/a' : 'not run';
    const idx = meta.files.map((f) => ((f.indexEnd - f.fullIndexOffset) / 1024).toFixed(0));
    console.log(`\n### Genome-wide corpus: ${names.length} x bigtools-written bigWigs (${meta.layout} layout), `
      + `${meta.files.map((f) => (f.size / 1e6).toFixed(0)).join(' + ')} MB, ${meta.files.map((f) => f.blocks).join(' + ')} blocks, `
      + `R-tree ${idx.join(' + ')} KiB (itemsPerSlot ${meta.itemsPerSlot}); ${setting}; best of ${repeat}\n`);
    console.log('| loci | intervals | ours (npm): requests / bytes / s | @gmod/bbi 11.0.0: requests / bytes / s | @gmod/bbi 8.1.1: requests / bytes / s | native URL: requests / bytes / s | needed (whole index) | needed (touched index nodes) | ours fetched / needed | ours fetched / needed lazily |');
    console.log('|---|---|---|---|---|---|---|---|---|---|');
    for (const r of rows) {
      const f = r.ours && !r.ours.failed ? r.ours.bytes.max : NaN;
      console.log(`| ${r.n} | ${r.intervals} | ${cell(r.ours)} | ${cell(r.bbi11)} | ${cell(r.bbi)} | ${cell(r.native, nativeAbsent)} | ${kib(r.need.whole)} KiB | ${kib(r.need.lazy)} KiB `
        + `| ${(f / r.need.whole).toFixed(3)}x | ${(f / r.need.lazy).toFixed(3)}x |`);
    }
    console.log('\nChecks (outputs against the native local-file export, byte for byte):');
    for (const r of rows) {
      const said = (x, absent = 'not run') => (!x ? absent : x.failed ? `FAILED (${x.error})` : x.identical ? 'identical' : 'DIFFERS');
      const rep = r.ours?.reported ? ` (the package reported ${r.ours.reported.requests} requests, ${kib(r.ours.reported.bytes)} KiB)` : '';
      console.log(`- ${r.n} loci: ours ${said(r.ours)}${rep}; bbi 11 ${said(r.bbi11)}; bbi ${said(r.bbi)}; native URL ${said(r.native, nativeAbsent)}`);
    }
    console.log('\nTargets (issue 10; against bbi 11, issue 19):');
    const yes = (b) => (b ? 'yes' : 'NO');
    for (const r of rows) {
      const o = r.ours;
      if (!o || o.failed) continue;
      if (r.n <= 100 && r.bbi && !r.bbi.failed) {
        const b = r.bbi;
        console.log(`- ${r.n} loci: bytes <= bbi's: ${yes(o.bytes.max <= b.bytes.min)} (${kib(o.bytes.max)} vs ${kib(b.bytes.min)} KiB); `
          + `requests <= bbi's / 2: ${yes(o.requests.max <= b.requests.min / 2)} (${o.requests.max} vs ${b.requests.min}); `
          + `faster: ${yes(o.seconds < b.seconds)} (${o.seconds.toFixed(3)} vs ${b.seconds.toFixed(3)} s)`);
      }
      const b11 = r.bbi11;
      if (b11 && !b11.failed) {
        // Issue 19: against bbi 11 at every count, fewer bytes, no more requests, half the time.
        console.log(`- ${r.n} loci against bbi 11: bytes < bbi 11's: ${yes(o.bytes.max < b11.bytes.min)} (${kib(o.bytes.max)} vs ${kib(b11.bytes.min)} KiB); `
          + `requests <= bbi 11's: ${yes(o.requests.max <= b11.requests.min)} (${o.requests.max} vs ${b11.requests.min}); `
          + `time <= bbi 11's / 2: ${yes(o.seconds <= b11.seconds / 2)} (${o.seconds.toFixed(3)} vs ${b11.seconds.toFixed(3)} s)`);
      }
      if (r.n >= 1000) {
        console.log(`- ${r.n} loci: fetched / needed <= 1.05: ${yes(o.bytes.max / r.need.whole <= 1.05)} (${(o.bytes.max / r.need.whole).toFixed(3)}x; `
          + `against the touched index nodes only: ${(o.bytes.max / r.need.lazy).toFixed(3)}x)`);
      }
      if (r.native && !r.native.failed) console.log(`- ${r.n} loci: native URL export identical to the local-file export: ${yes(r.native.identical)}`);
    }
  }

  if (corpora.length) {
    const rows = [];
    for (const name of corpora) {
      const dir = name === 'seed' ? path.join(SHARED, 'fixtures', 'seed') : path.join(OUT, name);
      if (!fs.existsSync(path.join(dir, 'regions.bed'))) {
        console.error(`${name}: no corpus at ${dir} (python3 bench/run.py --corpora ${name} makes it, or `
          + `../shared/tools/make_corpus.py ${dir} ${name} with numpy and pyBigWig); skipped`);
        continue;
      }
      const files = fs.readdirSync(dir).filter((f) => /^sample_\d+\.bw$/.test(f)).sort((a, b) => parseInt(a.slice(7)) - parseInt(b.slice(7)));
      const bed = path.join(dir, 'regions.bed');
      const regions = fs.readFileSync(bed, 'utf8').trim().split('\n').map((l) => l.split('\t')).map(([c, s, e]) => [c, Number(s), Number(e)]);
      const refDir = fresh(path.join(OUT, `${name}-remote-local`));
      execFileSync(BIN, ['export', '--quiet', '--format', 'raw', '--regions', bed, '--out', refDir, ...files.map((f) => path.join(dir, f))], { timeout: 600_000 });
      const want = { 'intervals.npy': fs.readFileSync(path.join(refDir, 'intervals.npy')), 'offsets.npy': fs.readFileSync(path.join(refDir, 'offsets.npy')) };
      const server = await startServer(dir, latency, bandwidth);
      try {
        const outDir = path.join(OUT, `${name}-remote-node`);
        await server.stats();
        const t0 = performance.now();
        await exportTrackToDir({ sources: files.map(server.url), regions: fs.readFileSync(bed, 'utf8'), format: 'raw', outDir: fresh(outDir), signal: AbortSignal.timeout(1800_000) });
        const seconds = (performance.now() - t0) / 1000;
        const s = await server.stats();
        rows.push({ name, seconds, ...s, need: needed(files.map((f) => path.join(dir, f)), regions), identical: same(outDir, want) });
      } finally {
        await server.close();
      }
    }
    console.log(`\n### Corpora over HTTP (npm package, exportTrackToDir; ${setting}; one run)\n`);
    console.log('| corpus | requests | fetched | needed (whole index) | fetched / needed | needed (touched index nodes) | fetched / needed lazily | seconds | identical to native local |');
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (const r of rows) {
      console.log(`| ${r.name} | ${r.requests} | ${(r.bytes / 1e6).toFixed(2)} MB | ${(r.need.whole / 1e6).toFixed(2)} MB | ${(r.bytes / r.need.whole).toFixed(3)}x `
        + `| ${(r.need.lazy / 1e6).toFixed(2)} MB | ${(r.bytes / r.need.lazy).toFixed(3)}x | ${r.seconds.toFixed(2)} s | ${r.identical ? 'yes' : 'NO'} |`);
    }
  }
}

export { needed, loci, openIndex };

if (process.argv[1] !== SELF) {
  // imported (for its index walk): nothing runs
} else {
  main().catch((e) => { console.error(e); process.exit(1); });
}

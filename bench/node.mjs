#!/usr/bin/env node
// Benchmark the npm package in Node: export the seed and medium corpora from file paths
// and from a local HTTP server; compare with the native CLI on 1 thread and with
// @gmod/bbi 8.1.1 (../shared/tools/peers/bbijs_export.mjs) in the same run; over HTTP,
// compare the bytes fetched with what a range reader needs (the floor tool's count:
// everything before the data, the whole index, and the compressed blocks touched).
//
// usage: node bench/node.mjs [--corpora seed,medium] [--repeat 3] [--bbi seed|all|none] [--workers 1,2]
// --workers: a row per count, Node's `workers` against the CLI's `--threads` of the same
// count (default 1, the package's single-thread speed).
// Run `python3 bench/run.py` once first (it builds the floor tool and the medium corpus)
// and `npm run build` (the package).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setupBbi } from './bbi.mjs';
import { fileURLToPath } from 'node:url';
import { exportTrackToDir } from '../pkg/index.js';
import { startTestServer } from '../js-tests/helpers.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = path.resolve(ROOT, '..', 'shared');
const OUT = path.join(ROOT, 'bench', 'out');
const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
const corpora = arg('--corpora', 'seed,medium').split(',');
const repeat = Number(arg('--repeat', '3'));
const bbiMode = arg('--bbi', 'seed');
const workerCounts = arg('--workers', '1').split(',').map(Number);

const corpusDir = (name) => (name === 'seed' ? path.join(SHARED, 'fixtures', 'seed') : path.join(OUT, name));
const samples = (dir) => fs.readdirSync(dir).filter((f) => /^sample_\d+\.bw$/.test(f))
  .sort((a, b) => parseInt(a.slice(7)) - parseInt(b.slice(7)));


/** CPU seconds so far: this process's (all its threads, ended worker threads too) and
 * this thread's (Linux; NaN elsewhere). */
function cpuNow() {
  const ru = process.resourceUsage();
  let thread = NaN;
  try {
    const stat = fs.readFileSync('/proc/thread-self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    thread = (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in clock ticks (USER_HZ 100)
  } catch { /* not Linux */ }
  return { process: (ru.userCPUTime + ru.systemCPUTime) / 1e6, thread };
}

/** The best of `repeat` runs of `fn`: `[seconds, its result, the CPU it used]`. */
async function best(fn) {
  let t = Infinity;
  let last;
  let cpu = null;
  for (let i = 0; i < repeat; i++) {
    const c0 = cpuNow();
    const t0 = performance.now();
    last = await fn();
    const dt = (performance.now() - t0) / 1000;
    const c1 = cpuNow();
    if (dt < t) cpu = { process: c1.process - c0.process, thread: c1.thread - c0.thread };
    t = Math.min(t, dt);
  }
  return [t, last, cpu];
}

function fresh(d) {
  fs.rmSync(d, { recursive: true, force: true });
  return d;
}

/** One row: corpus `name` exported natively with `workers` threads and by the package
 * with `workers` worker threads, from paths and over HTTP. */
async function bench(name, workers, bin, floor, bbiDir) {
  const dir = corpusDir(name);
  const files = samples(dir);
  const regions = fs.readFileSync(path.join(dir, 'regions.bed'), 'utf8');
  const paths = files.map((f) => path.join(dir, f));
  const out = path.join(OUT, `${name}-node`);

  const [native] = await best(() => execFileSync(bin, ['export', '--quiet', '--threads', String(workers), '--format', 'raw',
    '--regions', path.join(dir, 'regions.bed'), '--out', fresh(path.join(OUT, `${name}-native1`)), ...paths]));
  const want = fs.readFileSync(path.join(OUT, `${name}-native1`, 'intervals.npy'));
  const outBytes = want.length + fs.statSync(path.join(OUT, `${name}-native1`, 'offsets.npy')).size;

  const [fromPaths, , cpu] = await best(() => exportTrackToDir({ sources: paths, regions, format: 'raw', workers, outDir: fresh(out) }));
  const same1 = fs.readFileSync(path.join(out, 'intervals.npy')).equals(want);

  // The test server (tests/server) in its own process, so it does not share the
  // exporter's event loop.
  const server = await startTestServer({ root: dir });
  const urls = files.map((f) => `${server.base}/range/${f}`);
  const [fromHttp, r] = await best(() => exportTrackToDir({ sources: urls, regions, format: 'raw', workers, outDir: fresh(out) }));
  await server.close();
  const same2 = fs.readFileSync(path.join(out, 'intervals.npy')).equals(want);

  // The floor tool (../shared/tools/floor, built by bench/run.py), when built.
  const needed = fs.existsSync(floor)
    ? Number(execFileSync(floor, [dir, path.join(OUT, 'floor.out'), String(outBytes)], { encoding: 'utf8' }).trim().split(/\s+/)[3])
    : NaN;

  let bbi = null;
  if (bbiDir && (bbiMode === 'all' || name === 'seed') && workers === workerCounts[0]) {
    const printed = execFileSync(process.execPath, [path.join(bbiDir, 'bbijs_export.mjs'), dir, fresh(path.join(OUT, `${name}-bbi`))], { encoding: 'utf8' });
    bbi = Number(printed.trim().split('\n').at(-1));
  }
  return { name, workers, native, fromPaths, cpu, fromHttp, bytes: r.bytesFetched, requests: r.requests, needed, bbi, same: same1 && same2 };
}

async function main() {
  const bin = path.join(ROOT, 'target', 'release', 'bigwig-npy');
  const floor = path.join(OUT, 'floor-target', 'release', 'floor');
  const bbiDir = bbiMode === 'none' ? null : setupBbi(OUT, path.join(SHARED, 'tools', 'peers', 'bbijs_export.mjs'));
  const rows = [];
  for (const name of corpora) {
    for (const workers of workerCounts) rows.push(await bench(name, workers, bin, floor, bbiDir));
  }
  console.log('| corpus | threads (CLI) / workers (Node) | native | Node, paths | Node, HTTP | paths / native | @gmod/bbi 8.1.1 | ours faster than bbi | HTTP bytes fetched | needed | fetched / needed | requests |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const x of rows) {
    console.log(`| ${x.name}${x.same ? '' : ' (OUTPUT DIFFERS)'} | ${x.workers} | ${x.native.toFixed(3)} s | ${x.fromPaths.toFixed(3)} s | ${x.fromHttp.toFixed(3)} s `
      + `| ${(x.fromPaths / x.native).toFixed(2)}x | ${x.bbi == null ? 'not run' : x.bbi.toFixed(2) + ' s'} | ${x.bbi == null ? '' : (x.bbi / x.fromPaths).toFixed(0) + 'x'} `
      + `| ${(x.bytes / 1e6).toFixed(2)} MB | ${Number.isNaN(x.needed) ? 'floor not built | ' : `${(x.needed / 1e6).toFixed(2)} MB | ${(x.bytes / x.needed).toFixed(3)}x`} | ${x.requests} |`);
  }
  // Where the CPU of the best run from paths went: a run on N cores takes at least its
  // CPU / N, and with 2 cores a second worker can only bring the time below the first's
  // when the second core was not already busy with Node's own threads (file system, GC).
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  console.log(`\nCPU of the best Node run from paths (${cores} cores here):\n`);
  console.log('| corpus | workers | wall | CPU, process | calling thread | other threads (workers, file system, GC) | CPU / cores | wall / (CPU / cores) |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const x of rows) {
    const c = x.cpu;
    console.log(`| ${x.name} | ${x.workers} | ${x.fromPaths.toFixed(3)} s | ${c.process.toFixed(2)} s | ${c.thread.toFixed(2)} s | ${(c.process - c.thread).toFixed(2)} s `
      + `| ${(c.process / cores).toFixed(3)} s | ${(x.fromPaths / (c.process / cores)).toFixed(2)}x |`);
  }
}

main();

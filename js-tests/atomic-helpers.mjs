// Helpers of the atomic-output tests (dataset-atomic, dataset-owners): the seed samples'
// tracks, a BED big enough that an export takes a while, what is hidden next to a target,
// child exports to kill mid-run (Node or the CLI, as pid 1 of a new pid namespace where
// this machine allows one), and small tmpfs mounts.
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { ROOT, DATA } from './helpers.mjs';

export const CLI = path.join(ROOT, 'target', 'release', 'bigwig-npy');

/** The three seed samples of data/gvl2. */
export const SEED = Object.fromEntries(['tumor', 'Normal', 'blood'].map((s, i) => [s, path.join(DATA, 'gvl2', 'bigwig', `seed_${i}.bw`)]));

/** A BED of `n` 10 kbp regions on chr21 in `dir`: big enough that an export takes a while. */
export function bigBed(dir, n) {
  const lines = [];
  for (let i = 0; i < n; i++) {
    const s = (i * 37) % 180000;
    lines.push(`chr21\t${s}\t${s + 10000}\n`);
  }
  const p = path.join(dir, `big${n}.bed`);
  fs.writeFileSync(p, lines.join(''));
  return p;
}

/** Hidden entries of `dir` (staging, set-aside, owner records), sorted. */
export function hiddenIn(dir) {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.startsWith('.')).sort() : [];
}

/** Every file under `p` with its bytes (a file: itself), for before/after comparisons. */
export function snapshot(p) {
  const st = fs.lstatSync(p, { throwIfNoEntry: false });
  if (!st) return null;
  if (st.isSymbolicLink()) return { '->': fs.readlinkSync(p) };
  if (!st.isDirectory()) return { '': fs.readFileSync(p).toString('base64') };
  const out = {};
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const f = path.join(d, e.name);
      const rel = path.relative(p, f);
      if (e.isDirectory()) { out[`${rel}/`] = ''; walk(f); } else out[rel] = fs.readFileSync(f).toString('base64');
    }
  };
  walk(p);
  return out;
}

/** Copy the tree `from` to `to`. */
export function copyTree(from, to) {
  fs.cpSync(from, to, { recursive: true });
}

/** Whether `unshare` can make a pid namespace here (root, or user namespaces allowed). */
export const CAN_UNSHARE = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true']).status === 0;

/** Start `cmd args`, as pid 1 of a new pid namespace when `asPid1` and this machine allows
 * it. */
export function start(cmd, args, asPid1 = false) {
  const [c, a] = asPid1 && CAN_UNSHARE ? ['unshare', ['--pid', '--fork', '--mount-proc', cmd, ...args]] : [cmd, args];
  const child = spawn(c, a, { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderrText = '';
  child.stderr.on('data', (d) => { child.stderrText += d; });
  child.exited = new Promise((ok) => child.on('exit', (code, signal) => ok({ code, signal })));
  return child;
}

/** SIGKILL `child` and its children (unshare forwards nothing: the export is its child). */
export function killTree(child) {
  const kids = fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  for (const k of kids) process.kill(Number(k), 'SIGKILL');
  child.kill('SIGKILL');
}

const bytesUnder = (p) => {
  const st = fs.lstatSync(p, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  return fs.readdirSync(p).reduce((n, e) => n + bytesUnder(path.join(p, e)), 0);
};

/** Wait until the staging directories of `parent` starting with `prefix` hold `bytes`: the
 * run is mid-export. */
export async function waitMidRun(child, parent, prefix, bytes = 256 << 10) {
  const t0 = Date.now();
  for (;;) {
    const staged = fs.readdirSync(parent).filter((n) => n.startsWith(prefix) && !n.endsWith('.owner'))
      .reduce((n, e) => n + bytesUnder(path.join(parent, e)), 0);
    if (staged >= bytes) return;
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`finished before it was caught mid-run: ${child.stderrText}`);
    if (Date.now() - t0 > 60000) throw new Error('no output written in a minute');
    await new Promise((ok) => setTimeout(ok, 5));
  }
}

/** A Node process running exportDatasetToDir of the seed samples over `bed` into `out`. */
export function nodeExport(dir, bed, out, asPid1 = false) {
  const script = path.join(dir, 'export-child.mjs');
  fs.writeFileSync(script, `
import fs from 'node:fs';
import { exportDatasetToDir } from ${JSON.stringify(path.join(ROOT, 'pkg', 'index.js'))};
const [bed, out, tracks] = JSON.parse(process.argv[2]);
await exportDatasetToDir({ regions: fs.readFileSync(bed, 'utf8'), tracks, outDir: out, overwrite: true });
`);
  return start(process.execPath, [script, JSON.stringify([bed, out, { sig: SEED }])], asPid1);
}

/** The sample table of the seed samples in `dir`, for the CLI. */
export function seedTable(dir) {
  const p = path.join(dir, 'seed.tsv');
  fs.writeFileSync(p, `sample\tpath\n${Object.entries(SEED).map(([s, f]) => `${s}\t${f}`).join('\n')}\n`);
  return p;
}

/** The CLI's `dataset` of the seed samples over `bed` into `out`. */
export function cliArgs(dir, bed, out, extra = []) {
  return ['dataset', '--quiet', '--regions', bed, '--out', out, '--track', `sig=${seedTable(dir)}`, ...extra];
}

/** A tmpfs of `kib` KiB at `at` (unmount with the returned function), or null where this
 * machine does not let us mount one (not root). */
export function smallFs(at, kib) {
  fs.mkdirSync(at, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k`, 'tmpfs', at]);
  return r.status === 0 ? () => spawnSync('umount', [at]) : null;
}

// Shared helpers: fixtures, hashing, the native CLI, the test server and the crafter (both
// the Rust ones of tests/, run as examples), GenVarLoader datasets.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { tableFromIPC } from 'apache-arrow';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DATA = path.join(ROOT, 'data');

export function sha256(bytes) {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

export async function blobBytes(blob) {
  return new Uint8Array(await blob.arrayBuffer());
}

/** Every case of data/cases/cases.json plus the seed corpus, with absolute source paths. */
export function cases() {
  const json = JSON.parse(fs.readFileSync(path.join(DATA, 'cases/cases.json'), 'utf8'));
  const out = Object.entries(json).map(([name, c]) => ({
    name, ...c,
    paths: c.sources.map((s) => path.join(DATA, 'bigwig', s)),
    rel: c.sources.map((s) => `bigwig/${s}`),
    regionsPath: path.join(DATA, 'cases', name, 'regions.bed'),
  }));
  const seed = JSON.parse(fs.readFileSync(path.join(DATA, 'seed/expected.json'), 'utf8'));
  out.push({
    name: 'seed', ...seed,
    paths: seed.sources.map((s) => path.join(DATA, 'seed', s)),
    rel: seed.sources.map((s) => `seed/${s}`),
    regionsPath: path.join(DATA, 'seed/regions.bed'),
  });
  return out;
}

/** Run the native CLI (built by scripts/test.sh) and return its files by name. */
export function cliExport(c, args) {
  const bin = path.join(ROOT, 'target', 'release', 'bigwig-npy');
  const out = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? '/tmp'), 'bwnpy-cli-'));
  execFileSync(bin, ['export', '--quiet', '--regions', c.regionsPath, '--out', out, ...args, ...c.paths]);
  const files = Object.fromEntries(fs.readdirSync(out).map((f) => [f, fs.readFileSync(path.join(out, f))]));
  fs.rmSync(out, { recursive: true });
  return files;
}

/** Build the example `name` (examples/NAME.rs, dev profile: \`cargo test\` has built it
 * already) once per process; its path. */
const built = new Map();
export function cargoExample(name) {
  if (!built.has(name)) {
    execFileSync('cargo', ['build', '--quiet', '--locked', '--example', name], { cwd: ROOT, stdio: 'inherit' });
    built.set(name, path.join(process.env.CARGO_TARGET_DIR ?? path.join(ROOT, 'target'), 'debug', 'examples', name));
  }
  return built.get(name);
}

/** Write the crafted bigWig `kind` of tests/craft (through examples/craft.rs) to `out`. */
export function craft(kind, out) {
  execFileSync(cargoExample('craft'), [kind, out], { stdio: 'inherit' });
  return out;
}

/**
 * The project's test server (tests/server, as examples/test_server.rs) in a child process
 * on 127.0.0.1: `/<mode>/<file>`, files under `root` (default DATA) or under a `mounts`
 * directory ({ name: dir }) where the path starts with its name; modes `range` (honest;
 * without Range a static file server), `slow`, `whole` (ignores Range), `truncate`, `cap`,
 * `swap`, `stall`, ... (listed in tests/server/mod.rs). `latency` (ms before every answer)
 * and `bandwidth` (Mbit/s shared by all connections, 0: no cap) and `unguarded` (no 503 past
 * 5000 requests of a mode) are for the benchmarks.
 * `stats({ reset })` gives its counters ({ requests, bytes, byMode, stalled, open,
 * stalledOpen }) once every request sent before has been counted; `reset()`;
 * `setCount(mode, n)` sets a mode's request count (swap: the next request sees the change).
 */
export async function startTestServer({ root = DATA, mounts = {}, latency = 0, bandwidth = 0, unguarded = false } = {}) {
  const args = ['--root', root, '--latency', String(latency), '--bandwidth', String(bandwidth)];
  if (unguarded) args.push('--unguarded');
  for (const [name, dir] of Object.entries(mounts)) args.push('--mount', `${name}=${dir}`);
  const child = spawn(cargoExample('test_server'), args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const base = await new Promise((ok, ko) => {
    child.stdout.once('data', (d) => ok(String(d).trim()));
    child.once('exit', (c) => ko(new Error(`test server exited (${c})`)));
  });
  child.stdout.resume();
  const control = (what) => new Promise((ok, ko) => {
    http.get(`${base}/_${what}`, { agent: false }, (res) => {
      let s = '';
      res.on('data', (d) => { s += d; });
      res.on('end', () => ok(s));
    }).on('error', ko).setTimeout(30_000, function () { this.destroy(new Error(`test server: /_${what} timed out`)); });
  });
  return {
    base,
    stats: async ({ reset = false } = {}) => JSON.parse(await control(reset ? 'stats?reset=1' : 'stats')),
    reset: () => control('reset'),
    setCount: (mode, n) => control(`set?${mode}=${n}`),
    close: () => new Promise((ok) => {
      if (child.exitCode !== null) { ok(); return; }
      child.once('exit', () => ok());
      child.stdin.end();
      child.kill();
    }),
  };
}

/** Wait until `cond()` (sync or async) holds, checking every 20 ms, for at most `ms`;
 * returns whether it held. */
export async function waitFor(cond, ms) {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) return false;
    await new Promise((ok) => setTimeout(ok, 20));
  }
  return true;
}

/** Headless Chromium (Debian's) through playwright-core. */
export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  const { execFileSync: run } = await import('node:child_process');
  const executablePath = run('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  return chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic'],
  });
}

/** The dataset cases of data/gvl (`set` 'gvl': GenVarLoader 0.35, format 1) or data/gvl2
 * ('gvl2': 0.43.1, format 2): `{ name, dir, regionsPath, tracks: [[track, [[sample, bigWig
 * path], ...]], ...], annot: [[name, bigWig path], ...], maxJitter, fixture, gvlFormat,
 * trackFilesOnly }`, rows reversed (the dataset's sample order must not depend on them).
 * `update_add_track` (gvl.write, then gvl.update adding a track and an annotation track) is
 * the dataset of all of them written at once: its track files only are GenVarLoader's. */
export function gvlCases(set = 'gvl') {
  const base = path.join(DATA, set);
  const bw = (f) => path.join(base, 'bigwig', f);
  const samples = (m) => Object.entries(m).map(([s, f]) => [s, bw(f)]).reverse();
  return fs.readdirSync(base).filter((n) => fs.existsSync(path.join(base, n, 'regions.bed'))).sort().map((name) => {
    const dir = path.join(base, name);
    const json = (f) => (fs.existsSync(path.join(dir, f)) ? JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) : null);
    const tracks = Object.entries(json('tracks.json')).map(([t, m]) => [t, samples(m)]);
    const annot = Object.entries(json('annot.json') ?? {}).map(([a, f]) => [a, bw(f)]);
    for (const step of json('steps.json') ?? []) {
      for (const [t, m] of Object.entries(step.update?.tracks ?? {})) tracks.push([t, samples(m)]);
      for (const [a, f] of Object.entries(step.update?.annot ?? {})) annot.push([a, bw(f)]);
    }
    return {
      name, dir, regionsPath: path.join(dir, 'regions.bed'), tracks, annot, maxJitter: json('args.json').max_jitter ?? 0,
      fixture: path.join(dir, 'dataset.gvl'), gvlFormat: set === 'gvl2' ? 2 : 1, trackFilesOnly: !!json('steps.json'),
    };
  });
}

/** Files under `dir` as `{ relative/path: Buffer }`. */
export function readTree(dir) {
  const out = {};
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p); else out[path.relative(dir, p).split(path.sep).join('/')] = fs.readFileSync(p);
    }
  };
  walk(dir);
  return out;
}

/** The CLI's `dataset` of a gvl case in its format (tables written as tsv), as `readTree`
 * gives it. */
export function cliDataset(c) {
  const bin = path.join(ROOT, 'target', 'release', 'bigwig-npy');
  const tmp = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? '/tmp'), 'bwnpy-cli-'));
  const args = ['dataset', '--quiet', '--regions', c.regionsPath, '--out', path.join(tmp, 'd.gvl'),
    '--max-jitter', String(c.maxJitter), '--gvl-format', String(c.gvlFormat)];
  for (const [t, rows] of c.tracks) {
    const table = path.join(tmp, `${t}.tsv`);
    fs.writeFileSync(table, `sample\tpath\n${rows.map(([s, p]) => `${s}\t${p}`).join('\n')}\n`);
    args.push('--track', `${t}=${table}`);
  }
  for (const [a, p] of c.annot) args.push('--annot', `${a}=${p}`);
  execFileSync(bin, args);
  const files = readTree(path.join(tmp, 'd.gvl'));
  fs.rmSync(tmp, { recursive: true });
  return files;
}

/** An Arrow IPC file's schema and columns, comparable with deepStrictEqual (int64s as
 * bigints, nulls as null). */
export function arrowTable(bytes) {
  const t = tableFromIPC(bytes);
  return {
    schema: t.schema.fields.map((f) => `${f.name}: ${f.type}${f.nullable ? '' : ' not null'}`),
    columns: Object.fromEntries(t.schema.fields.map((f) => [f.name, [...t.getChild(f.name)]])),
  };
}

const isTrackFile = (n) => n.startsWith('intervals/') || n.startsWith('annot_intervals/');

/** `files` (relative path -> bytes) is the dataset of gvl case `c` (or of some of its
 * tracks: those `c.tracks` and `c.annot` list): the CLI's files byte for byte, and
 * GenVarLoader's own in the track arrays and, unless `c.trackFilesOnly`, regions.npy, the
 * metadata fields (ours add `written_by`) and the Arrow table's columns. */
export function assertGvlDataset(files, c, cli, what) {
  const gvl = readTree(c.fixture);
  const dirs = [...c.tracks.map(([t]) => `intervals/${t}/`), ...c.annot.map(([a]) => `annot_intervals/${a}/`)];
  const want = Object.keys(gvl).filter((n) => !isTrackFile(n) || dirs.some((d) => n.startsWith(d))).sort();
  const names = Object.keys(files).sort();
  assert.deepEqual(names, want, `${what}: files vs GenVarLoader's`);
  for (const n of names) {
    assert.ok(Buffer.from(files[n]).equals(cli[n]), `${what}: ${n} differs from the CLI's`);
    if (isTrackFile(n) || (n === 'regions.npy' && !c.trackFilesOnly)) {
      assert.ok(Buffer.from(files[n]).equals(gvl[n]), `${what}: ${n} differs from GenVarLoader's`);
    }
  }
  const { written_by: by, ...meta } = JSON.parse(Buffer.from(files['metadata.json']).toString());
  assert.match(by, /^bigwig-npy \d/, `${what}: written_by`);
  if (c.trackFilesOnly) return;
  const theirs = JSON.parse(gvl['metadata.json'].toString());
  assert.deepEqual(meta, theirs, `${what}: metadata.json`);
  assert.deepEqual(Object.keys(meta), Object.keys(theirs), `${what}: metadata.json key order`);
  assert.deepEqual(arrowTable(files['input_regions.arrow']), arrowTable(gvl['input_regions.arrow']), `${what}: input_regions.arrow`);
}

/** Expect every one of `calls` (exportDataset, exportDatasetToDir) given `opts` to fail
 * with exactly `message` (a string or a RegExp), on one line, of `kind`, leaving nothing
 * in `dir` (the directory target writes to `dir`/x.gvl). */
export async function datasetFails(calls, dir, opts, message, kind = 'InputError') {
  const out = path.join(dir, 'x.gvl');
  const before = fs.existsSync(dir) ? fs.readdirSync(dir) : null;
  for (const call of calls) {
    const e = await call({ outDir: out, ...opts }).then(() => null, (err) => err);
    assert.ok(e, `${call.name} should fail`);
    assert.ok(!e.message.includes('\n'), e.message);
    assert.equal(e.kind, kind, `${call.name}: ${e.message}`);
    if (typeof message === 'string') assert.equal(e.message, message, call.name);
    else assert.match(e.message, message, call.name);
    const now = fs.existsSync(dir) ? fs.readdirSync(dir) : null;
    assert.deepEqual(now, before, `${call.name}: nothing left behind`);
  }
}

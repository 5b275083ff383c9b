#!/usr/bin/env node
// The npm package's exportDatasetToDir against the native CLI's `dataset`, same run, on a
// corpus (default the bundled seed: 8 samples, 2000 regions, one track, max jitter 128);
// best of N each, alternated, and the two directories compared byte for byte.
//
// usage: node bench/dataset-node.mjs [--corpus DIR] [--repeat 5]
// Needs `npm run build` (the package) and `cargo build --release` (the CLI).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportDatasetToDir } from '../pkg/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
const corpus = path.resolve(arg('--corpus', path.join(ROOT, 'data', 'seed')));
const repeat = Number(arg('--repeat', '5'));
const JITTER = 128;

const samples = fs.readdirSync(corpus).filter((f) => /^sample_\d+\.bw$/.test(f)).map((f) => [f.replace(/\.bw$/, ''), path.join(corpus, f)]);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bwnpy-dsbench-'));
const table = path.join(tmp, 'samples.tsv');
fs.writeFileSync(table, `sample\tpath\n${samples.map(([s, p]) => `${s}\t${p}`).join('\n')}\n`);
const regions = path.join(corpus, 'regions.bed');
const cliOut = path.join(tmp, 'cli.gvl');
const nodeOut = path.join(tmp, 'node.gvl');

const time = async (fn) => { const t = performance.now(); await fn(); return (performance.now() - t) / 1000; };
let cli = Infinity;
let node = Infinity;
for (let k = 0; k < repeat; k++) {
  cli = Math.min(cli, await time(() => execFileSync(path.join(ROOT, 'target', 'release', 'bigwig-npy'), ['dataset', '--quiet', '--overwrite',
    '--regions', regions, '--out', cliOut, '--track', `sig=${table}`, '--max-jitter', String(JITTER)])));
  node = Math.min(node, await time(() => exportDatasetToDir({ regions: fs.readFileSync(regions), tracks: { sig: Object.fromEntries(samples) },
    maxJitter: JITTER, outDir: nodeOut, overwrite: true })));
}
const files = (d) => execFileSync('find', [d, '-type', 'f'], { encoding: 'utf8' }).trim().split('\n').map((f) => path.relative(d, f)).sort();
const same = JSON.stringify(files(cliOut)) === JSON.stringify(files(nodeOut))
  && files(cliOut).every((f) => fs.readFileSync(path.join(cliOut, f)).equals(fs.readFileSync(path.join(nodeOut, f))));
const bytes = files(cliOut).reduce((n, f) => n + fs.statSync(path.join(cliOut, f)).size, 0);
console.log(`| ${path.basename(corpus)} | ${(bytes / 1e6).toFixed(1)} MB | ${cli.toFixed(3)} s | ${node.toFixed(3)} s | ${(node / cli).toFixed(2)}x | ${same ? 'yes' : 'NO'} |`);
fs.rmSync(tmp, { recursive: true });

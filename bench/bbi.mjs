// @gmod/bbi 8.1.1 (JBrowse's reader), installed once into bench/out/bbi for the benchmarks
// that compare with it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Install @gmod/bbi into `out`/bbi if missing and copy the `runner` script beside it (it
 * resolves @gmod/bbi from its own folder). Returns that folder. */
export function setupBbi(out, runner) {
  const dir = path.join(out, 'bbi');
  if (!fs.existsSync(path.join(dir, 'node_modules', '@gmod', 'bbi'))) {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), '{"private":true,"type":"module"}');
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--silent', '@gmod/bbi@8.1.1'], { cwd: dir, stdio: 'inherit' });
  }
  fs.copyFileSync(runner, path.join(dir, path.basename(runner)));
  // The remote runner's output writer, shared with bench/bbi11_remote.mjs.
  const shared = path.join(path.dirname(runner), 'peer_output.mjs');
  if (fs.existsSync(shared)) fs.copyFileSync(shared, path.join(dir, 'peer_output.mjs'));
  return dir;
}

/** The ESM entry of a @gmod/bbi 11 build (`dir`: the package itself, or a folder whose
 * node_modules holds it; docs/BENCHMARKS.md has the recipe), checked to be 11.x: the
 * npm registry here stops at 8.1.1, so 11 is built from its repository outside ours. */
export function bbi11Entry(dir) {
  const pkg = [dir, path.join(dir, 'node_modules', '@gmod', 'bbi')].find((d) => fs.existsSync(path.join(d, 'esm', 'index.js')));
  if (!pkg) throw new Error(`--bbi11 ${dir}: no built @gmod/bbi (esm/index.js) there or in its node_modules`);
  const { name, version } = JSON.parse(fs.readFileSync(path.join(pkg, 'package.json'), 'utf8'));
  if (name !== '@gmod/bbi' || !version.startsWith('11.')) throw new Error(`--bbi11 ${dir}: ${name} ${version}, not @gmod/bbi 11`);
  return path.join(pkg, 'esm', 'index.js');
}

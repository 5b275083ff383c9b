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
  return dir;
}

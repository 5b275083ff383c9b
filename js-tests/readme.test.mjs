// The README's examples that need a server or the npm package are tests (the rest:
// tests/readme.rs, tests/python/test_readme.py). `npm start`'s own server
// (scripts/serve.mjs, data/ under /data/ with range requests) stands in for the
// `http://127.0.0.1:8080/` the README names, on a free port; the examples run in a temporary
// directory where `data/` is the bundled data, as from the repository's root.
//
// - ```sh commands with URLs run with the built CLI (target/release/bigwig-npy) and must
//   print the `# ...` line shown after them, but for the seconds taken;
// - every ```js block runs in Node against the built package (pkg/, imported as
//   'bigwig-npy'), and what it prints must be the `// ...` comments of its console.log lines.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pathToFileURL } from 'node:url';
import { ROOT, DATA } from './helpers.mjs';
import { startServer } from '../scripts/serve.mjs';

const run = promisify(execFile);
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const NAMED = 'http://127.0.0.1:8080/';
const BIN = path.join(ROOT, 'target', 'release');

/** Fenced blocks: { lang, line (of the opening fence), lines }. */
function blocks(text) {
  const out = [];
  let open = null;
  text.split('\n').forEach((l, i) => {
    if (!open && l.startsWith('```')) open = { lang: l.slice(3).trim(), line: i + 1, lines: [] };
    else if (open && l === '```') { out.push(open); open = null; }
    else if (open) open.lines.push(l);
  });
  return out;
}

/** A shown line as a pattern: the same text, but for the seconds taken (`in 0.06 s`). */
function shape(shown) {
  const esc = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(`^${shown.split(/ in [0-9.]+ s(?=$|;)/).map(esc).join(' in [0-9.]+ s')}$`);
}

let server, url, dir;
before(async () => {
  ({ server, url } = await startServer({ port: 0 }));
  dir = fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), 'bwnpy-readme-'));
  fs.symlinkSync(DATA, path.join(dir, 'data'));
});
after(async () => {
  await new Promise((ok) => server.close(ok));
  fs.rmSync(dir, { recursive: true, force: true });
});

test('shown output may differ only in the seconds taken', () => {
  const s = 'exported 2 regions x 8 samples: 9 intervals, 1.0 MB to r/ in 0.06 s; fetched 0.9 MB in 32 requests';
  assert.match(s.replace('0.06 s', '12.25 s'), shape(s));
  assert.doesNotMatch(s.replace('32 requests', '33 requests'), shape(s));
  assert.doesNotMatch(s.replace('9 intervals', '8 intervals'), shape(s));
});

test("the README's URL examples run against npm start's server and print what is shown", async () => {
  let ran = 0;
  for (const b of blocks(README).filter((b) => b.lang === 'sh')) {
    b.lines.forEach((l, i) => { b.lines[i] = { text: l, line: b.line + 1 + i }; });
    for (let i = 0; i < b.lines.length; i++) {
      const { text, line } = b.lines[i];
      if (!text.startsWith('bigwig-npy ') || !text.includes('http://')) continue;
      assert.ok(text.includes(NAMED), `README.md line ${line}: a URL example must use ${NAMED} (npm start's server)`);
      const shown = [];
      for (let j = i + 1; j < b.lines.length && b.lines[j].text.startsWith('# '); j++) shown.push(b.lines[j].text.slice(2));
      const command = text.replaceAll(NAMED, url);
      const r = await run('bash', ['-c', `set -euo pipefail\n${command}`], {
        cwd: dir, env: { ...process.env, PATH: `${BIN}:${process.env.PATH}` },
      }).catch((e) => assert.fail(`README.md line ${line}: ${command}\nfailed: ${e.stderr || e.message}`));
      const printed = (r.stdout + r.stderr).split('\n');
      for (const s of shown) {
        assert.ok(printed.some((p) => shape(s.replaceAll(NAMED, url)).test(p)),
          `README.md line ${line}: shows \`${s}\` but printed:\n${printed.join('\n')}`);
      }
      ran += 1;
    }
  }
  assert.ok(ran >= 1, 'no README command with a URL ran');
});

test("the README's js examples run against the built package and print what their comments say", async () => {
  const js = blocks(README).filter((b) => b.lang === 'js');
  assert.ok(js.length >= 1, 'no ```js block in the README');
  const pkg = pathToFileURL(path.join(ROOT, 'pkg', 'index.js')).href;
  for (const [k, b] of js.entries()) {
    const source = b.lines.join('\n')
      .replaceAll("from 'bigwig-npy'", `from '${pkg}'`)
      .replaceAll(NAMED, url);
    const expected = b.lines
      .filter((l) => /console\.log\(.*\/\/ /.test(l))
      .map((l) => l.slice(l.lastIndexOf('// ') + 3).trim());
    const file = path.join(dir, `readme-${k}.mjs`);
    fs.writeFileSync(file, source);
    const r = await run(process.execPath, [file], { cwd: dir })
      .catch((e) => assert.fail(`README.md line ${b.line}: the js example failed:\n${e.stderr || e.message}`));
    assert.deepEqual(r.stdout.trim().split('\n'), expected, `README.md line ${b.line}: what the example printed`);
  }
  // What the examples wrote is there.
  for (const f of ['track-js/intervals.npy', 'track-js/offsets.npy', 'sig-js.gvl/metadata.json']) {
    assert.ok(fs.existsSync(path.join(dir, f)), f);
  }
});

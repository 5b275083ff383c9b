// The package's types (pkg/index.d.ts) against its use and its code: `tsc --noEmit`
// type-checks js-tests/types/usage.ts (the API as a TypeScript user calls it) and the
// implementation (pkg-template/*.js, against index.d.ts and the wasm glue's types) and the
// export page (www/, against the DOM and index.d.ts), and the functions and classes
// index.d.ts declares are exactly what pkg/index.js exports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as pkg from '../pkg/index.js';
import { ROOT } from './helpers.mjs';

function tsc(project) {
  const bin = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [bin, '-p', path.join(ROOT, 'js-tests', 'types', project)], { encoding: 'utf8' });
  } catch (e) {
    assert.fail(`tsc: ${e.stdout}${e.stderr}`);
  }
}

test('index.d.ts type-checks the API as a TypeScript user calls it', { timeout: 120000 }, () => {
  tsc('tsconfig.json');
});

test('the implementation type-checks (JSDoc, // @ts-check) against index.d.ts', { timeout: 120000 }, () => {
  tsc('tsconfig.impl.json');
});

test('the export page type-checks against the DOM and index.d.ts', { timeout: 120000 }, () => {
  tsc('tsconfig.www.json');
  tsc('tsconfig.worker.json');
});

test('index.d.ts declares exactly what index.js exports', () => {
  const dts = fs.readFileSync(path.join(ROOT, 'pkg', 'index.d.ts'), 'utf8');
  const declared = new Set([...dts.matchAll(/^export (?:declare )?(?:function|class|const) (\w+)/gm)].map((m) => m[1]));
  const exported = new Set(Object.keys(pkg));
  assert.deepEqual([...exported].filter((k) => !declared.has(k)), [], 'exported, not declared');
  assert.deepEqual([...declared].filter((k) => !exported.has(k)), [], 'declared, not exported');
});

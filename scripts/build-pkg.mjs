#!/usr/bin/env node
// Build the npm package in pkg/: wasm-pack compiles the crate for the web target into
// pkg/wasm/, then the wrapper, types, README and package.json come from pkg-template/.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = path.join(root, 'pkg');
const dev = process.argv.includes('--dev');

fs.rmSync(pkg, { recursive: true, force: true });
// The crate twice, from the same source: pkg/wasm/ without the `dataset` feature (Arrow,
// half the module) is what exports load; pkg/wasm-dataset/ has everything and is loaded
// only when a dataset is asked for (pkg-template/module.js).
const modules = [['wasm', ['--no-default-features']], ['wasm-dataset', []]];
for (const [dir, features] of modules) buildModule(path.join(pkg, dir), features);

function buildModule(out, features) {
  execFileSync('wasm-pack', ['build', '--target', 'web', dev ? '--dev' : '--release', '--no-pack',
    '--out-dir', out, '--out-name', 'bigwig_npy', root, '--', ...features], { stdio: 'inherit' });
  // wasm-pack leaves a `*` .gitignore that would make npm pack skip the module.
  fs.rmSync(path.join(out, '.gitignore'), { force: true });
  if (!dev) {
    // binaryen's wasm-opt from npm (wasm-pack's own download needs the internet): a module
    // a sixth smaller (faster page loads) and exports a few percent faster. The features are those the Rust target and
    // .cargo/config.toml enable, so the output runs wherever the input did.
    const wasm = path.join(out, 'bigwig_npy_bg.wasm');
    execFileSync(path.join(root, 'node_modules', '.bin', 'wasm-opt'), ['-O3', '--enable-simd', '--enable-bulk-memory',
      '--enable-nontrapping-float-to-int', '--enable-sign-ext', '--enable-mutable-globals', '--enable-multivalue',
      '--enable-reference-types', wasm, '-o', wasm], { stdio: 'inherit' });
  }
  patchGlue(path.join(out, 'bigwig_npy.js'));
}

// Lets the wrapper drop the instance (linear memory never shrinks) when nothing uses it:
// wasm-bindgen's glue keeps it in module-level variables and has no way to drop them.
// Its `--experimental-reset-state-function` (0.2.130; wasm-pack cannot pass it) is no
// substitute: `__wbg_reset_state` replaces the instance with a fresh one at once, never
// drops it. The glue copies retired after a trap (module.js) would each keep a fresh
// instance no one uses (about 1.2 MiB) for the process's life, as module records are
// never freed; and resetting the trapped glue in place instead would fail the concurrent
// exports still running on it (stale objects), where now they finish.
function patchGlue(gluePath) {
  const glue = fs.readFileSync(gluePath, 'utf8');
  const caches = [...glue.matchAll(/^let (cached\w+Memory0) = null;$/gm)].map((m) => m[1]);
  if (!/^let wasmModule, wasmInstance, wasm;$/m.test(glue) || !/^let __wbg_init_promise;$/m.test(glue) || !caches.length) {
    throw new Error(`${gluePath}: unexpected wasm-bindgen glue; update the __bigwigNpyDrop patch in scripts/build-pkg.mjs`);
  }
  fs.writeFileSync(gluePath, `${glue}
/** bigwig-npy: forget the instance, so that its memory can be freed; the next init makes a new one. */
export function __bigwigNpyDrop() {
    wasm = wasmInstance = wasmModule = undefined;
    __wbg_init_promise = undefined;
    ${caches.map((c) => `${c} = null;`).join('\n    ')}
}
`);
  // Declared too, for the wrapper's type check (js-tests/types/tsconfig.impl.json).
  fs.appendFileSync(gluePath.replace(/\.js$/, '.d.ts'), '\n/** bigwig-npy: forget the instance, so that its memory can be freed. */\nexport function __bigwigNpyDrop(): void;\n');
}

// The wrapper and its modules (subdirectories too), types, README and package.json.
fs.cpSync(path.join(root, 'pkg-template'), pkg, { recursive: true });
const version = /^version\s*=\s*"([^"]+)"/m.exec(fs.readFileSync(path.join(root, 'Cargo.toml'), 'utf8'))[1];
const manifest = JSON.parse(fs.readFileSync(path.join(pkg, 'package.json'), 'utf8'));
manifest.version = version;
fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
const sizes = modules.map(([dir]) => `${dir} ${(fs.statSync(path.join(pkg, dir, 'bigwig_npy_bg.wasm')).size / 1024).toFixed(0)} KiB`);
console.log(`built pkg/ (bigwig-npy ${version}, ${sizes.join(', ')})`);

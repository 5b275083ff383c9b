// `workers` with URL sources: by default an export (or dataset) with a URL among its sources
// runs on one thread, so every header and index is read once (threads would each read them),
// while asking for workers still splits it, with the same bytes out.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs';
import { exportTrack, exportDataset } from '../pkg/index.js';
import { DATA, cases, startTestServer } from './helpers.mjs';

let server;
before(async () => { server = await startTestServer(); });
after(async () => { await server.close(); });

const SEED = cases().find((c) => c.name === 'seed');
const regions = fs.readFileSync(SEED.regionsPath, 'utf8');
const url = (p) => `${server.base}/range/${path.relative(DATA, p)}`;

/** The export's result and what the server counted for it. */
async function counted(run) {
  await server.stats({ reset: true });
  const r = await run();
  return { r, served: await server.stats({ reset: true }) };
}

/** The same traffic, in requests exactly and in bytes to within 0.1%. */
function alike(a, b) {
  assert.equal(a.served.requests, b.served.requests);
  assert.equal(a.r.requests, b.r.requests);
  assert.ok(Math.abs(a.served.bytes - b.served.bytes) <= b.served.bytes / 1000, `${a.served.bytes} vs ${b.served.bytes}`);
}

const same = (a, b) => {
  assert.deepEqual(Object.keys(a), Object.keys(b));
  for (const k of Object.keys(a)) assert.deepEqual(Buffer.concat(a[k]), Buffer.concat(b[k]), k);
};

test('URL sources default to one thread: the traffic of workers: 1, less than workers: 2', async () => {
  // One local path among the URLs: still a remote export.
  const sources = [SEED.paths[0], ...SEED.paths.slice(1).map(url)];
  const opts = { sources, regions, output: 'chunks' };
  const byDefault = await counted(() => exportTrack(opts));
  const one = await counted(() => exportTrack({ ...opts, workers: 1 }));
  const two = await counted(() => exportTrack({ ...opts, workers: 2 }));
  // Requests as one thread's; bytes too, but for a range or two that reads landing in
  // another order shape differently.
  alike(byDefault, one);
  assert.ok(two.served.requests > one.served.requests, `${two.served.requests} vs ${one.served.requests}`);
  same(byDefault.r.files, one.r.files);
  same(two.r.files, one.r.files);
});

test('a dataset with a URL track defaults to one thread too', async () => {
  const tracks = { sig: Object.fromEntries(SEED.paths.map((p, i) => [`s${i}`, i % 2 ? url(p) : p])) };
  const opts = { regions, tracks, output: 'chunks' };
  const byDefault = await counted(() => exportDataset(opts));
  const one = await counted(() => exportDataset({ ...opts, workers: 1 }));
  alike(byDefault, one);
});

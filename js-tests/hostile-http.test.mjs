// URL sources against misbehaving servers (issue 11): short and overlong bodies, lying
// Content-Range totals, files replaced mid-export, stalls, dropped connections, abort
// listeners, and the wording of every failure. Each test bounds its requests and time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { getEventListeners } from 'node:events';
import fs from 'node:fs';
import { exportTrack as exportOn } from '../pkg/index.js';
import { ROOT, cases, sha256, blobBytes, startTestServer, waitFor } from './helpers.mjs';

let server;
before(async () => { server = await startTestServer(); });
after(async () => { await server.close(); });

// One reader's network behaviour (requests, retries, bytes): each worker thread would read
// for itself. workers.test.mjs runs URL sources on worker threads.
const exportTrack = (opts) => exportOn({ workers: 1, ...opts });
const CASES = cases();
const seed = CASES.find((c) => c.name === 'seed');
const volvox = CASES.find((c) => c.name === 'volvox');
const bed = (c) => fs.readFileSync(c.regionsPath, 'utf8');
const urls = (c, mode, query = '') => c.rel.map((r) => `${server.base}/${mode}/${r}${query}`);
const fileBytes = (c) => c.paths.reduce((n, p) => n + fs.statSync(p).size, 0);

async function assertHashes(r, c, what) {
  assert.equal(sha256(await blobBytes(r.files['intervals.npy'])), c.intervals_sha256, `${what}: intervals`);
  assert.equal(sha256(await blobBytes(r.files['offsets.npy'])), c.offsets_sha256, `${what}: offsets`);
}

/** The export's error (it must reject), checked to be one line. */
async function failure(p) {
  const e = await p.then(() => null, (err) => err);
  assert.ok(e instanceof Error, 'the export rejects');
  assert.ok(!e.message.includes('\n'), `one line: ${JSON.stringify(e.message)}`);
  return e;
}

test('bodies capped at 4 KiB are continued: byte-identical output, bounded requests', { timeout: 60000 }, async () => {
  for (const c of [seed, CASES.find((x) => x.name === 'multi_uncompressed_3')]) {
    await server.reset();
    const plain = await exportTrack({ sources: urls(c, 'range'), regions: bed(c), format: 'raw' });
    await server.reset();
    const r = await exportTrack({ sources: urls(c, 'cap', '?cap=4096'), regions: bed(c), format: 'raw' });
    await assertHashes(r, c, `${c.name} through a 4 KiB cap`);
    // Every request but the last of a read brings 4 KiB, and no byte is asked twice.
    const bound = plain.requests + Math.ceil(plain.bytesFetched / 4096);
    const { requests } = await server.stats();
    assert.ok(requests <= bound, `${c.name}: ${requests} requests, bound ${bound}`);
    assert.equal(r.requests, requests);
    assert.equal(r.bytesFetched, plain.bytesFetched);
    console.log(`${c.name}: ${r.requests} requests with a 4 KiB cap, ${plain.requests} without (${fileBytes(c)} bytes of files)`);
  }  // Crumbs (100 bytes a response) are given up on, naming the URL, after a bounded number of requests.
  await server.reset();
  const [crumbs] = urls(volvox, 'cap', '?cap=100');
  const e = await failure(exportTrack({ sources: [crumbs], regions: bed(volvox) }));
  assert.match(e.message, new RegExp(`^${crumbs.replace(/[?]/g, '\\?')}: the server keeps sending short responses \\(12 requests for bytes 0-4095, 1200 bytes received\\)$`));
  assert.equal((await server.stats()).requests, 12);
});

test('a Content-Range total larger than the file ends in one error naming the URL, not a loop', { timeout: 30000 }, async () => {
  // No zoom levels: the index is read up to the end of the file, as the server says it is.
  await server.reset();
  const [url] = urls(seed, 'bigtotal');
  const e = await failure(exportTrack({ sources: [url], regions: bed(seed), format: 'raw' }));
  assert.match(e.message, new RegExp(`^${url}: the server said the file has 210242 bytes, then answered HTTP 416 for bytes 110242-\\d+$`));
  const { requests } = await server.stats();
  assert.ok(requests < 10, `${requests} requests`);
  // With zoom levels nothing past the real end is read: the export is right.
  await server.reset();
  const r = await exportTrack({ sources: urls(volvox, 'bigtotal'), regions: bed(volvox), format: 'raw' });
  await assertHashes(r, volvox, 'volvox with a larger total');
});

test('one abort listener on the caller\'s signal per export, removed at the end; no warning', { timeout: 30000 }, async () => {
  const warnings = [];
  const onWarning = (w) => warnings.push(w);
  process.on('warning', onWarning);
  try {
    const ac = new AbortController();
    let most = 0;
    const r = await exportTrack({
      sources: urls(seed, 'range'), regions: bed(seed), format: 'raw', signal: ac.signal,
      onProgress: () => { most = Math.max(most, getEventListeners(ac.signal, 'abort').length); },
    });
    assert.ok(r.requests > 20, `${r.requests} requests`);
    assert.ok(most <= 2, `${most} listeners on the caller's signal during the export`);
    assert.equal(getEventListeners(ac.signal, 'abort').length, 0, 'listeners left after the export');
    await new Promise((ok) => setImmediate(ok));
    assert.deepEqual(warnings.map((w) => w.name), []);
  } finally {
    process.off('warning', onWarning);
  }
});

test('a file whose bytes change mid-export (same size) fails as "changed while reading"', { timeout: 30000 }, async () => {
  for (const v of ['etag', 'lm']) {
    await server.reset();
    const sources = urls(seed, 'swap', `?after=12&v=${v}`);
    const e = await failure(exportTrack({ sources, regions: bed(seed), format: 'raw' }));
    assert.match(e.message, /^http:\S+\/swap\/seed\/sample_\d\.bw\?\S+: changed while reading /, `${v}: ${e.message}`);
  }  // A URL inspected before it changed: the export's first response gives it away.
  await server.reset();
  const [url] = urls(volvox, 'swap', '?after=100');
  const { inspectSource } = await import('../pkg/index.js');
  const inspected = await inspectSource(url);
  assert.equal(inspected.head.version.etag, '"v1"');
  await server.setCount('swap', 100); // the next request sees the new version
  const e = await failure(exportTrack({ sources: [inspected], regions: bed(volvox), format: 'raw' }));
  assert.equal(e.message, `${url}: changed while reading (ETag "v1", now "v2")`);
});

test('a 200 without Content-Length is read as a stream and stops at wholeFileLimit', { timeout: 60000 }, async () => {
  await server.reset();
  const [endless] = urls(volvox, 'endless');
  const e = await failure(exportTrack({ sources: [endless], regions: bed(volvox), wholeFileLimit: 1 << 20 }));
  assert.equal(e.message, `${endless}: the server ignores HTTP range requests and the file is over the 1048576-byte limit for reading it whole`);
  await waitFor(async () => (await server.stats()).open === 0, 2000);
  const { bytes } = await server.stats();
  assert.ok(bytes < 32 << 20, `${bytes} bytes sent`);
});

test('a 206 announcing 64 MiB more than asked is read as asked, the rest cancelled', { timeout: 60000 }, async () => {
  await server.reset();
  const r = await exportTrack({ sources: urls(volvox, 'overlong'), regions: bed(volvox), format: 'raw' });
  await assertHashes(r, volvox, 'overlong 206');
  assert.ok(r.bytesFetched <= 2 * fileBytes(volvox), `${r.bytesFetched} bytes taken`);
  await waitFor(async () => (await server.stats()).open === 0, 2000);
  const { bytes } = await server.stats();
  assert.ok(bytes < 32 << 20, `${bytes} bytes sent`);
});

test('a body longer than its Content-Range says is an error saying so', { timeout: 30000 }, async () => {
  const [long] = urls(volvox, 'long');
  const e = await failure(exportTrack({ sources: [long], regions: bed(volvox) }));
  assert.match(e.message, new RegExp(`^${long}: the response is longer than its Content-Range says \\(bytes \\d+-\\d+\\)$`));
});

test('a body that is not the gzip its Content-Encoding says is a decoding error', { timeout: 30000 }, async () => {
  const [gz] = urls(volvox, 'badgzip');
  const e = await failure(exportTrack({ sources: [gz], regions: bed(volvox) }));
  assert.match(e.message, new RegExp(`^${gz}: cannot decode the response \\(Content-Encoding: gzip\\): incorrect header check$`));
});

test('a custom fetch returning something other than a Response is named', async () => {
  for (const [junk, said] of [[undefined, 'undefined'], ['<html>', 'a string'], [{ ok: true }, 'an Object']]) {
    const e = await failure(exportTrack({ sources: ['https://example.invalid/a.bw'], regions: bed(volvox), fetch: async () => junk }));
    assert.equal(e.message, `https://example.invalid/a.bw: the fetch option returned ${said}, not a Response`);
  }
});

test('an abort rejects with the signal\'s own reason', { timeout: 30000 }, async () => {
  const ac = new AbortController();
  const reason = new Error('user closed the tab');
  const p = exportTrack({
    sources: urls(seed, 'range'), regions: bed(seed), signal: ac.signal,
    onProgress: (e) => { if (e.regionsDone > 0) ac.abort(reason); },
  });
  await assert.rejects(p, (e) => e === reason);
  await assert.rejects(exportTrack({ sources: urls(seed, 'range'), regions: bed(seed), signal: AbortSignal.abort('why') }), (e) => e === 'why');
  await assert.rejects(exportTrack({ sources: urls(seed, 'range'), regions: bed(seed), signal: AbortSignal.abort() }), { name: 'AbortError' });
});

test('a server stalling before headers or mid-body times out (timeoutMs), with bounded retries', { timeout: 30000 }, async () => {
  for (const mode of ['stall', 'stallbody']) {
    await server.reset();
    const [url] = urls(volvox, mode);
    const t0 = Date.now();
    const e = await failure(exportTrack({ sources: [url], regions: bed(volvox), timeoutMs: 300 }));
    const ms = Date.now() - t0;
    assert.match(e.message, new RegExp(`^${url}: timed out: no data for 300 ms \\(3 attempts\\)$`));
    assert.equal((await server.stats()).byMode[mode], 3, 'one request and two retries');
    assert.ok(ms < 3000, `${ms} ms`);
    console.log(`${mode}: failed after ${ms} ms (timeoutMs 300, 3 attempts)`);
    assert.ok(await waitFor(async () => (await server.stats()).stalledOpen === 0, 2000), 'stalled sockets closed');
  }
});

test('dropped connections are retried: byte-identical output', { timeout: 30000 }, async () => {
  await server.reset();
  const r = await exportTrack({ sources: urls(seed, 'flaky'), regions: bed(seed), format: 'raw' });
  await assertHashes(r, seed, 'flaky server');
  assert.ok((await server.stats()).byMode.flaky < 3 * (r.requests + 10));
});

test('when one source fails, reads in flight on the others are aborted and their sockets closed', { timeout: 30000 }, async () => {
  await server.reset();
  const sources = [`${server.base}/stall/bigwig/volvox.bw`, `${server.base}/range/bigwig/nope.bw`];
  // The 404 comes once the other request reached the server.
  const fetch404Late = async (u, init) => {
    if (String(u).includes('nope')) await new Promise((ok) => setTimeout(ok, 300));
    return fetch(u, init);
  };
  const t0 = Date.now();
  const e = await failure(exportTrack({ sources, regions: bed(volvox), fetch: fetch404Late }));
  assert.equal(e.message, `${server.base}/range/bigwig/nope.bw: HTTP 404 Not Found`);
  assert.ok(Date.now() - t0 < 2000);
  assert.equal((await server.stats()).stalled, 1);
  assert.ok(await waitFor(async () => (await server.stats()).stalledOpen === 0, 2000), 'the stalled socket is closed');

  // And nothing keeps a Node process alive after the failed export.
  const script = `
    import { exportTrack } from ${JSON.stringify(`${ROOT}/pkg/index.js`)};
    exportTrack({ sources: ${JSON.stringify(sources)}, regions: 'ctgA\\t0\\t1000\\n', fetch: ${fetch404Late} })
      .then(() => console.log('resolved'), (e) => console.log(e.message));
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  const t1 = Date.now();
  const exited = await Promise.race([
    new Promise((ok) => child.on('exit', () => ok(true))),
    new Promise((ok) => setTimeout(() => ok(false), 5000)),
  ]);
  if (!exited) child.kill();
  assert.ok(exited, `the process exits on its own (waited ${Date.now() - t1} ms)`);
  assert.equal(out.trim(), `${server.base}/range/bigwig/nope.bw: HTTP 404 Not Found`);
});

test('headers go with every request (indexes and data blocks), through same-origin redirects; bad ones are refused unsent', { timeout: 60000 }, async () => {
  const plain = await exportTrack({ sources: urls(seed, 'range'), regions: bed(seed), format: 'raw' });
  for (const headers of [{ Authorization: 'Bearer s3cret', 'X-Trace': '1' }, [['Authorization', 'Bearer s3cret']], new Headers({ authorization: 'Bearer s3cret' })]) {
    for (const mode of ['auth', 'authredirect']) {
      await server.reset();
      // A request without the token gets a 401, which fails the export at once.
      const r = await exportTrack({ sources: urls(seed, mode), regions: bed(seed), format: 'raw', headers });
      await assertHashes(r, seed, `${mode} with headers`);
      const { byMode } = await server.stats();
      assert.equal(byMode.auth, plain.requests, `${mode}: every request of the export, through the auth mode`);
    }
  }
  // A presigned URL is asked for exactly as given, query and escapes and all
  // (tests/server/modes.rs SIGNED).
  const signed = await exportTrack({ sources: urls(seed, 'signed', '?X-Amz-Expires=60&X-Amz-Signature=ab%2Fc%3D%3D&x=%20+'), regions: bed(seed), format: 'raw' });
  await assertHashes(signed, seed, 'presigned');
  // Without them: the server's answer, naming the URL.
  const [url] = urls(seed, 'auth');
  const e = await failure(exportTrack({ sources: [url], regions: bed(seed) }));
  assert.equal(e.message, `${url}: HTTP 401 Unauthorized`);
  // Headers the network rules own, and malformed ones, are refused before any request;
  // a message never shows a value.
  await server.reset();
  for (const [headers, why] of [
    [{ Range: 'bytes=0-10' }, 'headers: header Range: set by bigwig-npy itself (the network rules need it), not by an option'],
    [{ 'X Y': 's3cret' }, "headers: header name 'X Y': not an HTTP header name (letters, digits and !#$%&'*+-.^_`|~)"],
    [{ 'X-Token': 's3cret\r\nInjected: 1' }, 'headers: header X-Token: its value has a line break or a NUL character'],
    [[['X-Token']], 'headers: entry 0: expected a [name, value] pair of strings'],
    ['Authorization: Bearer s3cret', 'headers: expected an object of name: value, [name, value] pairs or a Headers, got a string'],
  ]) {
    const err = await failure(exportTrack({ sources: [url], regions: bed(seed), headers }));
    assert.equal(err.message, why);
    assert.ok(!err.message.includes('s3cret'));
  }
  assert.equal((await server.stats()).requests, 0, 'nothing sent for a refused header');
});

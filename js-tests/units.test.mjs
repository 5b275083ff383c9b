// The package's pure pieces, on their own: the reads it starts for the core's plan, the
// genome-order reorder (with a spill), pacing, and the counting and recording wrappers of
// the ByteSource contract.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reads, Pacer } from '../pkg/reads.js';
import { using } from '../pkg/module.js';
import { Reorder, concat } from '../pkg/reorder.js';
import { counted, recorded } from '../pkg/sources/index.js';
import { directorySink } from '../pkg/sinks/directory.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

test('reads: the JS driver starts the reads the core plans, and none while one covering it is under way', async () => {
  // The planning cases themselves are the core's tests (src/reads/tests.rs).
  await using(async (m) => {
    const session = new m.Session(['a', 'b'], 'raw', 'aos', 0, 0);
    try {
      const started = [];
      const source = (i, size, minRead) => ({
        size, minRead, async read(o, n) { started.push([i, o, n]); return new Uint8Array(n); },
      });
      // Source 0 has no minimum; source 1 reads at least 1000 bytes, up to its end.
      const sources = [source(0, 1e6), source(1, 2000, 1000)];
      const reads = new Reads(sources, session);
      // The core plans (`session.planReads`, as `session.next` does); JS starts the reads.
      const plan = (ranges) => reads.start([1, ...session.planReads(ranges, ...reads.known())]);
      const flat = [1, 1800, 10, 0, 100, 50, 1, 0, 10, 0, 0, 20];
      assert.equal(plan(flat), 2);
      // Source 1: 0+10 grows to 1000 and 1800+10 to the end (200); 800 apart, they merge.
      assert.deepEqual(started, [[1, 0, 2000], [0, 0, 150]]);
      assert.equal(plan(flat), 0, 'under way');
      await reads.settled();
      assert.equal(plan([0, 0, 20]), 1, 'landed: no longer under way');
      await reads.settled();
      reads.close();
      assert.equal(session.readConcurrency, 16);
    } finally {
      session.free();
    }
  });
});

test('reorder: opaque encoded regions come back in input order, spilled or not', async () => {
  // Regions of 3..7 bytes with distinct content; the core gives bytes and spans, and keeps
  // the books of the buckets (a session with as many regions).
  const n = 100;
  const seg = (r) => Uint8Array.from({ length: 3 + (r % 5) }, (_, k) => (r * 7 + k) & 255);
  const order = Array.from({ length: n }, (_, r) => (r * 37) % n); // a permutation
  await using(async (m) => {
    // A spill that writes at once, and one that writes a few milliseconds later (the
    // memory of a spilled bucket must not be used again before it is written).
    for (const mode of ['none', 'at once', 'later']) {
      const spillOn = mode !== 'none';
      const session = new m.Session(['a'], 'raw', 'aos', 0, 0);
      try {
        session.setRegionsArrays(Array(n).fill('chr1'), order.map((r) => r * 10), order.map((r) => r * 10 + 5));
        /** @type {Uint8Array[]} */
        const disk = [];
        const writes = [];
        const spill = spillOn ? {
          async append(parts) {
            const at = disk.length;
            disk.push(new Uint8Array(0));
            const write = () => { disk[at] = concat(parts).slice(); };
            const written = mode === 'later' ? new Promise((ok) => setTimeout(ok, 3)).then(write) : Promise.resolve(write());
            writes.push(written);
            return { at, written };
          },
          // Reads land after a few milliseconds, out of order: a buffer read into again
          // before its bucket was put in order would change bytes.
          async read(off, into) {
            started++;
            await Promise.all(writes);
            if (mode === 'later') await new Promise((ok) => setTimeout(ok, (off * 7) % 4));
            into.set(disk[off]);
          },
        } : null;
        let started = 0;
        // A staging budget of 0 bytes: every non-empty bucket spills after each add.
        const ro = new Reorder(session, spill, spillOn ? 0 : undefined);
        for (let k = 0; k < n; k += 10) {
          const part = order.slice(k, k + 10);
          const bytes = concat(part.map(seg));
          const spans = new Uint32Array(part.flatMap((r) => [r, seg(r).length]));
          await ro.add(bytes, spans);
        }
        const out = [];
        let startedFirst;
        for await (const b of ro.inOrder(16)) {
          startedFirst ??= started;
          out.push(b.slice()); // a view of a reused buffer
        }
        assert.deepEqual(concat(out), concat(Array.from({ length: n }, (_, r) => seg(r))), `spill: ${mode}`);
        if (spillOn) assert.ok(disk.length > 0, 'buckets were spilled');
        // Spilled parts are read ahead (8 MiB of buckets), not a bucket at a time: all of
        // these few bytes are asked for before the first batch comes out.
        if (spillOn) assert.equal(startedFirst, disk.length, 'reads started before the first batch');
        assert.throws(() => session.reorderAdd(new Uint32Array([n, 1])), /region 100 is not in the reorder books/);
      } finally {
        session.free();
      }
    }
  });
});

test('reorder: through the directory sink\'s scratch file, its memory used again, the bytes come back in order', async () => {
  // Regions of up to ~50 KiB and two larger than a piece of a bucket's memory (64 KiB),
  // arriving shuffled; a 150 KiB budget spills buckets of several pieces, whose memory is
  // used again once written: a piece reused too early would change bytes read back.
  const n = 90;
  const len = (r) => (r === 7 || r === 50 ? 100_000 + r : 1 + ((r * 7919) % 50_000));
  const seg = (r) => Uint8Array.from({ length: len(r) }, (_, k) => (r * 31 + k * 7) & 255);
  const order = Array.from({ length: n }, (_, r) => (r * 37) % n);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bigwig-npy-reorder-'));
  try {
    await using(async (m) => {
      // Read ahead: everything at once, a bucket at a time, or a few (buffers read into
      // again once their bucket is in order: too early would change bytes).
      for (const readAhead of [undefined, 0, 300_000]) {
        const session = new m.Session(['a'], 'raw', 'aos', 0, 0);
        const sink = await directorySink({ outDir: dir });
        try {
          session.setRegionsArrays(Array(n).fill('chr1'), order.map((r) => r * 10), order.map((r) => r * 10 + 5));
          const ro = new Reorder(session, await sink.spill(), 150_000);
          for (let k = 0; k < n; k += 5) {
            const part = order.slice(k, k + 5);
            await ro.add(concat(part.map(seg)), new Uint32Array(part.flatMap((r) => [r, len(r)])));
          }
          const out = [];
          for await (const b of ro.inOrder(200_000, readAhead)) out.push(b.slice()); // a view of a reused buffer
          assert.ok(Buffer.from(concat(out)).equals(Buffer.from(concat(Array.from({ length: n }, (_, r) => seg(r))))), `read ahead ${readAhead}`);
          assert.deepEqual(fs.readdirSync(dir), [], 'the scratch file is unlinked at once');
        } finally {
          await sink.abort();
          session.free();
        }
      }
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('pacer: yields a macrotask once its slice is used up, and throws once aborted', async () => {
  const ac = new AbortController();
  const p = new Pacer(ac.signal);
  let timer = false;
  setImmediate(() => { timer = true; });
  const t = performance.now();
  while (performance.now() - t < 30) { /* a slice of synchronous work */ }
  await p.tick();
  assert.ok(timer, 'a macrotask ran at the tick');
  ac.abort(new Error('stop'));
  await assert.rejects(p.tick(), /stop/);
});

test('reads: a buffer read into is used again only once its bytes landed in the session', async () => {
  // A session that keeps a copy of what lands; a source that fills the buffer it is given
  // with its offset, half of it a few milliseconds later: a buffer shared by two reads
  // under way would land another read's bytes.
  const landed = [];
  const session = { readConcurrency: 4, setSize() {}, readDone() {}, addRange(s, o, buf) { landed.push([o, buf.slice()]); } };
  const given = new Set();
  const source = {
    size: 1 << 30,
    readsInto: true,
    async read(o, n, signal, into) {
      if (into) given.add(into);
      const buf = into ? into.subarray(0, n) : new Uint8Array(n);
      // Filled in two halves with a wait between, as a file read fills it meanwhile.
      buf.fill(o % 251, 0, n >> 1);
      await new Promise((ok) => setTimeout(ok, (o / 1000) % 5));
      return buf.fill(o % 251, n >> 1);
    },
  };
  const reads = new Reads([source], session);
  for (let k = 0; k < 40; k++) {
    reads.start([1, 0, k * 1000, 1000 + k]);
    if (k % 8 === 7) await reads.settled();
  }
  reads.start([1, 0, 99_000, 5 << 20]); // past 4 MiB: a buffer of its own
  await reads.settled();
  reads.close();
  assert.equal(landed.length, 41);
  for (const [o, bytes] of landed) assert.ok(bytes.every((x) => x === o % 251), `read at ${o}`);
  assert.ok(given.size <= 8, `buffers read into: ${given.size}`);
  // Recording keeps the bytes: it never reads into a buffer the caller uses again.
  let inner;
  const rec = recorded({ name: 'r', size: 10, async read(o, n, signal, into) { inner = into; return new Uint8Array(n); }, async close() {} }, []);
  await rec.read(0, 4, undefined, new Uint8Array(8));
  assert.equal(inner, undefined);
});

test('sources: counting and recording wrap a source, and a size learned later shows through', async () => {
  const raw = { name: 'x', size: null, async read(o, n) { raw.size = 100; return new Uint8Array(n).fill(o); }, async close() {} };
  const ranges = [];
  const src = recorded(counted(raw), ranges);
  assert.equal(src.size, null);
  const b = await src.read(5, 3);
  assert.deepEqual(Array.from(b), [5, 5, 5]);
  assert.equal(src.size, 100);
  assert.deepEqual(src.stats, { fetched: 3, requests: 1 });
  assert.deepEqual(ranges.map(([o, bytes]) => [o, bytes.length]), [[5, 3]]);
  assert.equal(counted(src), src, 'a counted source is not counted twice');
});

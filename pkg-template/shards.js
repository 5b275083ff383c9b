// @ts-check
// Contiguous region shards: which regions a part keeps (the `shard` option: the core's
// `shardRange`, the rule of `dataset --shard`) and how the parts' raw exports merge into
// the files one export writes. The page's Web Workers, Node's worker threads and
// `mergeShards` all go through here: one split, one merge.

import { fail, describe, printable } from './errors.js';
import { using } from './module.js';
import { concat } from './reorder.js';
import { memorySink } from './sinks/memory.js';

/** Keep only part `shard.index` of `shard.count` of the session's regions (contiguous,
 * as even as can be: the core's `shardRange`, the rule of `dataset --shard`); BED lines
 * stay, so messages name the user's lines. `m`: the wasm module. */
export function keepShard(m, session, shard) {
  const whole = (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (!shard || typeof shard !== 'object' || !whole(shard.index) || !whole(shard.count) || shard.index >= shard.count) {
    throw fail(`shard: expected { index, count } with 0 <= index < count, got ${shard && typeof shard === 'object' ? `{ index: ${printable(shard.index)}, count: ${printable(shard.count)} }` : describe(shard)}`);
  }
  const [from, to] = m.shardRange(session.nRegions, shard.index, shard.count);
  session.keepRegions(from, to);
}

/** Bytes of a piece of a shard's file (a Uint8Array, or a Blob as kept in memory). */
const bytesOf = async (p) => (p instanceof Uint8Array ? p : new Uint8Array(await p.arrayBuffer()));

/** A shard's offsets (int64, each shard's from 0), shifted by `base` and without the
 * leading 0 unless `first`, piece by piece (pieces may split a value). */
async function* shiftedOffsets(pieces, base, first) {
  let carry = new Uint8Array(0);
  let skip = first ? 0 : 8;
  for await (const piece of pieces) {
    const raw = carry.length ? concat([carry, await bytesOf(piece)]) : await bytesOf(piece);
    const whole = raw.length - (raw.length % 8);
    carry = raw.slice(whole);
    const from = Math.min(skip, whole);
    skip -= from;
    if (whole === from) continue;
    // A copy: aligned for BigInt64Array, and the caller's bytes stay as they were.
    const out = raw.slice(from, whole);
    const o = new BigInt64Array(out.buffer);
    if (base) for (let k = 0; k < o.length; k++) o[k] += base;
    yield out;
  }
  if (carry.length) throw fail('mergeShards: an offsets file is not a whole number of int64 values', 'InternalError');
}

/** Begin `sink` for a merge into files `names` in `format` (before the shards run: a
 * directory sink makes the directory its shards' scratch files go to). */
export function beginMerge(m, sink, names, format) {
  return sink.begin(names, names.map((n) => (format === 'npy' ? m.npyHeader(n, 0).length : 0)), 1 << 20);
}

/**
 * Merge raw exports of contiguous region shards (in region order, same sources and
 * layout) into `sink` (begun by `beginMerge`; write / finish, as the driver's sinks), as
 * one export in `format` would have written them: data files concatenated, offsets
 * shifted by the intervals before them, NPY headers (the core's) for the totals.
 * `shards` (an array, or an async iterable as they finish, in order) holds `nRegions`,
 * `nSamples`, `nIntervals`, `bytesFetched`, `requests` each; `pieces(shard, k, name)`
 * yields the bytes of its file `name` in order (none for a shard exported into the sink
 * itself: the first, whose bytes need no shift). `m`: the wasm module.
 */
export async function mergeInto(m, sink, names, shards, format, pieces) {
  const t = { nRegions: 0, nIntervals: 0, bytesFetched: 0, requests: 0 };
  let nSamples;
  let k = 0;
  // Shard by shard, each as soon as it is there: files are appended to in order.
  for await (const shard of shards) {
    const base = BigInt(t.nIntervals);
    for (let i = 0; i < names.length; i++) {
      const src = pieces(shard, k, names[i]);
      const out = names[i] === 'offsets.npy' ? shiftedOffsets(src, base, k === 0) : src;
      for await (const p of out) await sink.write(i, p);
    }
    for (const key of Object.keys(t)) t[key] += shard[key] ?? 0;
    nSamples ??= shard.nSamples;
    k += 1;
  }
  if (!k) throw fail('mergeShards: no shards');
  const counts = (n) => (n === 'offsets.npy' ? t.nRegions * nSamples + 1 : t.nIntervals);
  const headers = names.map((n) => (format === 'npy' ? m.npyHeader(n, counts(n)) : new Uint8Array(0)));
  const files = await sink.finish(headers);
  return { files, nSamples, ...t };
}

/** A file's pieces as an export in memory gives them: a chunk list or one Blob. */
async function* memoryPieces(f) {
  if (Array.isArray(f)) yield* f;
  else yield f;
}

/**
 * Merge raw exports of contiguous region shards (given in region order, all with the same
 * sources) into the files a single export writes, in `format` and the shards' layout.
 * Shards exported with `output: 'chunks'` merge into chunk lists, others into Blobs.
 * @param {import('./index.js').ExportResult<Blob | Uint8Array[]>[]} shards
 * @param {Parameters<typeof import('./index.js').mergeShards>[1]} [options]
 * @returns {Promise<import('./index.js').ExportResult<Blob | Uint8Array[]>>}
 */
export async function mergeShards(shards, { format = 'npy' } = {}) {
  if (!shards?.length) throw fail('mergeShards: no shards');
  const names = Object.keys(shards[0].files);
  const output = Array.isArray(shards[0].files[names[0]]) ? 'chunks' : 'blob';
  return using(async (m) => {
    const sink = memorySink({ output });
    await beginMerge(m, sink, names, format);
    return mergeInto(m, sink, names, shards, format, (shard, k, name) => memoryPieces(shard.files[name]));
  });
}

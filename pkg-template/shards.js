// @ts-check
// mergeShards: the exports of contiguous region shards (Web Workers) merged into the
// files one export writes.

import { fail } from './errors.js';
import { using } from './module.js';
import { concat } from './reorder.js';

/**
 * Merge raw exports of contiguous region shards (given in region order, all with the same
 * sources) into the files a single export writes, in `format` and the shards' layout.
 * Shards exported with `output: 'chunks'` merge into chunk lists, others into Blobs.
 * @param {import('./index.js').ExportResult<Blob | Uint8Array[]>[]} shards
 * @param {Parameters<typeof import('./index.js').mergeShards>[1]} [options]
 * @returns {Promise<import('./index.js').ExportResult<Blob | Uint8Array[]>>}
 */
export async function mergeShards(shards, { format = 'npy' } = {}) {
  return using((m) => merge(m, shards, format));
}

async function merge(m, shards, format) {
  if (!shards.length) throw fail('mergeShards: no shards');
  const names = Object.keys(shards[0].files);
  const offsets = [new BigInt64Array([0n])];
  let base = 0n;
  const asChunks = Array.isArray(shards[0].files[names[0]]);
  const bytesOf = async (f) => (Array.isArray(f) ? concat(f) : new Uint8Array(await f.arrayBuffer()));
  for (const sh of shards) {
    const raw = await bytesOf(sh.files['offsets.npy']);
    const o = new BigInt64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    const shifted = o.slice(1);
    for (let k = 0; k < shifted.length; k++) shifted[k] += base;
    if (shifted.length) base = shifted[shifted.length - 1];
    offsets.push(shifted);
  }
  const nIntervals = Number(base);
  const nGroups = offsets.reduce((n, o) => n + o.length, 0);
  const header = (name, n) => (format === 'npy' ? [m.npyHeader(name, n)] : []);
  const files = {};
  for (const name of names) {
    const parts = name === 'offsets.npy'
      ? [...header(name, nGroups), ...offsets.map((o) => new Uint8Array(o.buffer, o.byteOffset, o.byteLength))]
      : [...header(name, nIntervals), ...shards.flatMap((s) => (asChunks ? s.files[name] : [s.files[name]]))];
    files[name] = asChunks ? parts : new Blob(parts, { type: 'application/octet-stream' });
  }
  const sum = (k) => shards.reduce((n, s) => n + (s[k] ?? 0), 0);
  return { files, nRegions: sum('nRegions'), nSamples: shards[0].nSamples, nIntervals, bytesFetched: sum('bytesFetched'), requests: sum('requests') };
}

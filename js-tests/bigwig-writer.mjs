// A minimal bigWig writer for tests that need files the fixtures lack (e.g. half a million
// records in one region): bedGraph sections, zlib-compressed, one chromosome-tree leaf and
// one R-tree leaf, a total summary, no zoom levels. Little-endian, version 4.
import zlib from 'node:zlib';

/**
 * `chroms`: [{ name, length, starts, ends, values }] (array-likes of equal length, sorted,
 * non-overlapping). Returns the file's bytes.
 */
export function writeBigWig(chroms, { itemsPerBlock = 1024 } = {}) {
  const parts = [];
  let at = 0;
  const put = (buf) => { parts.push(buf); at += buf.length; return at - buf.length; };

  const keySize = Math.max(...chroms.map((c) => Buffer.byteLength(c.name)));
  const header = Buffer.alloc(64);
  put(header);
  const summaryAt = put(Buffer.alloc(40));

  // Chromosome B+ tree: a header and one leaf holding every chromosome.
  const chromTreeAt = at;
  const tree = Buffer.alloc(32 + 4 + chroms.length * (keySize + 8));
  tree.writeUInt32LE(0x78ca8c91, 0);
  tree.writeUInt32LE(chroms.length, 4);
  tree.writeUInt32LE(keySize, 8);
  tree.writeUInt32LE(8, 12);
  tree.writeBigUInt64LE(BigInt(chroms.length), 16);
  tree.writeUInt8(1, 32);
  tree.writeUInt16LE(chroms.length, 34);
  chroms.forEach((c, id) => {
    const o = 36 + id * (keySize + 8);
    tree.write(c.name, o);
    tree.writeUInt32LE(id, o + keySize);
    tree.writeUInt32LE(c.length, o + keySize + 4);
  });
  put(tree);

  // Data: a count, then bedGraph sections of up to `itemsPerBlock` records.
  const dataAt = at;
  const leaves = [];
  let maxBlock = 0;
  let covered = 0;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sumSquares = 0;
  put(Buffer.alloc(8));
  chroms.forEach((c, id) => {
    for (let k = 0; k < c.starts.length; k += itemsPerBlock) {
      const n = Math.min(itemsPerBlock, c.starts.length - k);
      const raw = Buffer.alloc(24 + 12 * n);
      raw.writeUInt32LE(id, 0);
      raw.writeUInt32LE(c.starts[k], 4);
      raw.writeUInt32LE(c.ends[k + n - 1], 8);
      raw.writeUInt8(1, 20);
      raw.writeUInt16LE(n, 22);
      for (let j = 0; j < n; j++) {
        const s = c.starts[k + j];
        const e = c.ends[k + j];
        const v = c.values[k + j];
        raw.writeUInt32LE(s, 24 + 12 * j);
        raw.writeUInt32LE(e, 28 + 12 * j);
        raw.writeFloatLE(v, 32 + 12 * j);
        covered += e - s;
        min = Math.min(min, v);
        max = Math.max(max, v);
        sum += v * (e - s);
        sumSquares += v * v * (e - s);
      }
      maxBlock = Math.max(maxBlock, raw.length);
      const block = zlib.deflateSync(raw);
      leaves.push({ id, start: c.starts[k], end: c.ends[k + n - 1], offset: put(block), size: block.length });
    }
  });
  parts[parts.length - leaves.length - 1].writeBigUInt64LE(BigInt(leaves.length));
  if (leaves.length > 0xffff) throw new Error('writeBigWig: more blocks than one R-tree leaf holds');

  // R-tree index: a header and one leaf holding every block.
  const indexAt = at;
  const index = Buffer.alloc(48 + 4 + 32 * leaves.length);
  index.writeUInt32LE(0x2468ace0, 0);
  index.writeUInt32LE(Math.max(1, leaves.length), 4);
  index.writeBigUInt64LE(BigInt(leaves.length), 8);
  index.writeUInt32LE(leaves[0]?.id ?? 0, 16);
  index.writeUInt32LE(leaves[0]?.start ?? 0, 20);
  index.writeUInt32LE(leaves.at(-1)?.id ?? 0, 24);
  index.writeUInt32LE(leaves.at(-1)?.end ?? 0, 28);
  index.writeBigUInt64LE(BigInt(indexAt), 32);
  index.writeUInt32LE(itemsPerBlock, 40);
  index.writeUInt8(1, 48);
  index.writeUInt16LE(leaves.length, 50);
  leaves.forEach((l, j) => {
    const o = 52 + 32 * j;
    index.writeUInt32LE(l.id, o);
    index.writeUInt32LE(l.start, o + 4);
    index.writeUInt32LE(l.id, o + 8);
    index.writeUInt32LE(l.end, o + 12);
    index.writeBigUInt64LE(BigInt(l.offset), o + 16);
    index.writeBigUInt64LE(BigInt(l.size), o + 24);
  });
  put(index);

  header.writeUInt32LE(0x888ffc26, 0);
  header.writeUInt16LE(4, 4);
  header.writeUInt16LE(0, 6);
  header.writeBigUInt64LE(BigInt(chromTreeAt), 8);
  header.writeBigUInt64LE(BigInt(dataAt), 16);
  header.writeBigUInt64LE(BigInt(indexAt), 24);
  header.writeBigUInt64LE(BigInt(summaryAt), 44);
  header.writeUInt32LE(maxBlock, 52);
  const summary = parts[1];
  summary.writeBigUInt64LE(BigInt(covered), 0);
  summary.writeDoubleLE(Number.isFinite(min) ? min : 0, 8);
  summary.writeDoubleLE(Number.isFinite(max) ? max : 0, 16);
  summary.writeDoubleLE(sum, 24);
  summary.writeDoubleLE(sumSquares, 32);
  return Buffer.concat(parts);
}

// bigWig index walking for bench/remote.mjs: what a range reader needs of local files (the
// whole index, or lazily the nodes a breadth-first walk for the regions touches).
import fs from 'node:fs';

function readAt(fd, pos, n) {
  const b = Buffer.alloc(n);
  const got = fs.readSync(fd, b, 0, n, pos);
  if (got !== n) throw new Error(`short read at ${pos}`);
  return b;
}

/** Header offsets, chrom ids by name, and a reader of R-tree nodes, for one local file. */
export function openIndex(file) {
  const fd = fs.openSync(file, 'r');
  const h = readAt(fd, 0, 64);
  if (h.readUInt32LE(0) !== 0x888ffc26) throw new Error(`${file}: not a little-endian bigWig`);
  const zooms = h.readUInt16LE(6);
  const size = fs.fstatSync(fd).size;
  const chromTree = Number(h.readBigUInt64LE(8));
  const data = Number(h.readBigUInt64LE(16));
  const index = Number(h.readBigUInt64LE(24));
  const indexEnd = zooms > 0 ? Number(readAt(fd, 64 + 8, 8).readBigUInt64LE(0)) : size;
  const ct = readAt(fd, chromTree, 32);
  const keySize = ct.readUInt32LE(8);
  const chroms = new Map();
  const walkChroms = (node) => {
    const hd = readAt(fd, node, 4);
    const n = hd.readUInt16LE(2);
    const b = readAt(fd, node + 4, n * (keySize + 8));
    for (let i = 0; i < n; i++) {
      const p = i * (keySize + 8);
      if (hd[0] === 1) chroms.set(b.subarray(p, p + keySize).toString('latin1').replace(/\0+$/, ''), b.readUInt32LE(p + keySize));
      else walkChroms(Number(b.readBigUInt64LE(p + keySize)));
    }
  };
  walkChroms(chromTree + 32);
  const node = (at) => {
    const hd = readAt(fd, at, 4);
    const leaf = hd[0] === 1;
    const n = hd.readUInt16LE(2);
    const itemSize = leaf ? 32 : 24;
    const b = readAt(fd, at + 4, n * itemSize);
    const items = [];
    for (let i = 0; i < n; i++) {
      const p = i * itemSize;
      items.push({
        c0: b.readUInt32LE(p), s0: b.readUInt32LE(p + 4), c1: b.readUInt32LE(p + 8), e1: b.readUInt32LE(p + 12),
        off: Number(b.readBigUInt64LE(p + 16)), size: leaf ? Number(b.readBigUInt64LE(p + 24)) : 0,
      });
    }
    return { leaf, items, bytes: 4 + n * itemSize };
  };
  return { fd, size, chromTree, data, index, indexEnd, chroms, node, close: () => fs.closeSync(fd) };
}

/** `(item) => bool`: does an index item overlap some query `[chromId, start, end]`, by the
 * lexicographic half-open rule (item start < query end, item end > query start)? A binary
 * search over the queries sorted by start with their running largest end: a linear scan
 * is items x queries, hours for 10,000 loci on an 8 MB index. */
function querySet(qs) {
  const key = (c, b) => c * 2 ** 32 + b;
  const sorted = qs.map(([c, s, e]) => [key(c, s), key(c, e)]).sort((a, b) => a[0] - b[0]);
  const starts = sorted.map(([s]) => s);
  const endsMax = [];
  for (const [, e] of sorted) endsMax.push(Math.max(e, endsMax.at(-1) ?? -1));
  return (it) => {
    const hi = key(it.c1, it.e1);
    let lo = 0;
    let n = starts.length;
    while (lo < n) { const m = (lo + n) >> 1; if (starts[m] < hi) lo = m + 1; else n = m; }
    return lo > 0 && endsMax[lo - 1] > key(it.c0, it.s0);
  };
}

/** Sum over files of { whole: floor's needed, lazy: with only the touched index nodes }. */
export function needed(files, regions) {
  let whole = 0;
  let lazy = 0;
  let blocks = 0;
  for (const file of files) {
    const ix = openIndex(file);
    try {
      const qs = regions.filter(([c]) => ix.chroms.has(c)).map(([c, s, e]) => [ix.chroms.get(c), s, e]);
      const overlaps = querySet(qs);
      const touched = new Map(); // block offset -> size
      let nodeBytes = 0;
      let level = [ix.index + 48];
      while (level.length) {
        const next = [];
        for (const at of level) {
          const nd = ix.node(at);
          nodeBytes += nd.bytes;
          for (const it of nd.items) {
            if (!overlaps(it)) continue;
            if (nd.leaf) touched.set(it.off, it.size); else next.push(it.off);
          }
        }
        level = next;
      }
      const blockBytes = [...touched.values()].reduce((a, b) => a + b, 0);
      whole += ix.data + (ix.indexEnd - ix.index) + blockBytes;
      lazy += ix.data + 48 + nodeBytes + blockBytes;
      blocks += touched.size;
    } finally {
      ix.close();
    }
  }
  return { whole, lazy, blocks };
}

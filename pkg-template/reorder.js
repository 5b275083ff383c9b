// Genome order: the core decodes shuffled regions in genome order (each block fetched and
// inflated once) and hands over encoded regions ([region u32][count u32 x S][records]).
// They wait in buckets of consecutive regions (spilled to a scratch file past a budget when
// the sink has one) and go back to the core in input order for the track writer.

/** Encoded regions held in memory before the buckets spill (Node, to a directory). */
const STAGING_BUDGET = 32 << 20;

export function concat(parts) {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

export class Reorder {
  constructor(nRegions, nSamples, spill) {
    this.s = nSamples;
    const nBuckets = Math.min(1024, Math.max(1, Math.floor(nRegions / 16)));
    this.per = Math.ceil(nRegions / nBuckets);
    this.buckets = Array.from({ length: Math.ceil(nRegions / this.per) }, () => ({ segs: [], bytes: 0, spilled: [] }));
    this.spill = spill;
    this.staged = 0;
  }

  /** Call fn(region, subarray) for every encoded region in `chunk`. */
  each(chunk, fn) {
    const dv = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (let at = 0; at < chunk.length;) {
      let n = 0;
      for (let k = 0; k < this.s; k++) n += dv.getUint32(at + 4 + 4 * k, true);
      const len = 4 + 4 * this.s + 12 * n;
      fn(dv.getUint32(at, true), chunk.subarray(at, at + len));
      at += len;
    }
  }

  async add(chunk) {
    this.each(chunk, (r, seg) => {
      const b = this.buckets[Math.floor(r / this.per)];
      b.segs.push(seg);
      b.bytes += seg.length;
      this.staged += seg.length;
    });
    while (this.spill && this.staged > STAGING_BUDGET) {
      const b = this.buckets.reduce((x, y) => (y.bytes > x.bytes ? y : x));
      const data = concat(b.segs);
      b.spilled.push([await this.spill.append(data), data.length]);
      this.staged -= b.bytes;
      b.segs = [];
      b.bytes = 0;
    }
  }

  /** Encoded regions in input order, about `batchBytes` at a time. */
  async *inOrder(batchBytes) {
    // A bucket's spilled parts are read while the one before it is written out.
    const load = (bi) => Promise.all((this.buckets[bi]?.spilled ?? []).map(([off, len]) => this.spill.read(off, len)));
    let next = load(0);
    for (let bi = 0; bi < this.buckets.length; bi++) {
      const b = this.buckets[bi];
      const parts = await next;
      next = load(bi + 1);
      next.catch(() => {}); // awaited (and thrown) at the next bucket
      for (const seg of b.segs) parts.push(seg); // no spread: a bucket may hold 100k+ segments
      this.buckets[bi] = null;
      const first = bi * this.per;
      const at = new Array(this.per);
      for (const p of parts) this.each(p, (r, seg) => { at[r - first] = seg; });
      let batch = [];
      let size = 0;
      for (const seg of at) {
        if (!seg) continue;
        batch.push(seg);
        size += seg.length;
        if (size >= batchBytes) { yield concat(batch); batch = []; size = 0; }
      }
      if (batch.length) yield concat(batch);
    }
  }
}

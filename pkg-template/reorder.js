// Genome order: the core decodes shuffled regions in genome order (each block fetched and
// inflated once) and hands over encoded regions as opaque bytes with their spans
// ([region, length, ...]). They wait in buckets of consecutive regions (the core says how
// many a bucket holds; spilled to a scratch file past a budget when the sink has one) and
// go back to the core in input order for the track writer.

export function concat(parts) {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

export class Reorder {
  /** `per`: regions per bucket (`session.bucketRegions`); `budget`: encoded bytes held in
   * memory before the buckets spill (`session.stagingBudget`; Node, to a directory). */
  constructor(nRegions, per, spill, budget) {
    this.per = per;
    // Per bucket: segments in memory with their regions, and spilled parts as
    // [offset, length, regions, lengths] (the bytes on disk, their spans here).
    this.buckets = Array.from({ length: Math.ceil(nRegions / per) }, () => ({ segs: [], regions: [], bytes: 0, spilled: [] }));
    this.spill = spill;
    this.budget = budget;
    this.staged = 0;
  }

  /** Take `bytes` of encoded regions described by `spans`. */
  async add(bytes, spans) {
    for (let k = 0, at = 0; k < spans.length; k += 2) {
      const [r, len] = [spans[k], spans[k + 1]];
      const b = this.buckets[Math.floor(r / this.per)];
      b.segs.push(bytes.subarray(at, at + len));
      b.regions.push(r);
      b.bytes += len;
      this.staged += len;
      at += len;
    }
    while (this.spill && this.staged > this.budget) {
      const b = this.buckets.reduce((x, y) => (y.bytes > x.bytes ? y : x));
      const data = concat(b.segs);
      const lengths = b.segs.map((s) => s.length);
      b.spilled.push([await this.spill.append(data), data.length, b.regions, lengths]);
      this.staged -= b.bytes;
      b.segs = [];
      b.regions = [];
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
      const loaded = await next;
      next = load(bi + 1);
      next.catch(() => {}); // awaited (and thrown) at the next bucket
      this.buckets[bi] = null;
      const first = bi * this.per;
      const at = new Array(this.per);
      loaded.forEach((data, p) => {
        const [, , regions, lengths] = b.spilled[p];
        for (let k = 0, o = 0; k < regions.length; o += lengths[k], k++) at[regions[k] - first] = data.subarray(o, o + lengths[k]);
      });
      for (let k = 0; k < b.segs.length; k++) at[b.regions[k] - first] = b.segs[k];
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

// @ts-check
// Genome order: the core decodes shuffled regions in genome order (each block fetched and
// inflated once) and hands over encoded regions as opaque bytes with their spans
// ([region, length, ...]). They wait in the core's buckets of consecutive regions: the
// core keeps the books (`session.reorderBuckets`, `reorderAdd`) and says which bucket goes
// to the sink's scratch file when (`session.nextSpill`, past its staging budget); this
// keeps the bytes, and gives them back to the core in input order for the track writer.

export function concat(parts) {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** One of the core's buckets, here: segments in memory with their regions, and spilled
 * parts as `[offset, length, regions, lengths]`.
 * @typedef {{ segs: Uint8Array[], regions: number[], spilled: [number, number, number[], number[]][] }} Bucket */

export class Reorder {
  /** `spill`: the sink's scratch file (Node, to a directory), if it has one; `budget`
   * lowers the core's staging budget (tests). */
  constructor(session, spill, budget) {
    this.session = session;
    this.spill = spill;
    // Per bucket: segments in memory with their regions, and spilled parts as
    // [offset, length, regions, lengths] (the bytes on disk, their spans here).
    const n = session.reorderBuckets(!!spill, budget);
    /** @type {(Bucket | null)[]} null once written out */
    this.buckets = Array.from({ length: n }, () => ({ segs: [], regions: [], spilled: [] }));
  }

  /** Take `bytes` of encoded regions described by `spans` (`[region, length, ...]`), each
   * into the bucket the core books it in. */
  async add(bytes, spans) {
    const into = this.session.reorderAdd(spans);
    for (let k = 0, at = 0; k < spans.length; k += 2) {
      const [r, len] = [spans[k], spans[k + 1]];
      const b = /** @type {Bucket} */ (this.buckets[into[k / 2]]); // none written out before every add
      b.segs.push(bytes.subarray(at, at + len));
      b.regions.push(r);
      at += len;
    }
    for (let bi; this.spill && (bi = this.session.nextSpill()) >= 0;) {
      const b = /** @type {Bucket} */ (this.buckets[bi]);
      const data = concat(b.segs);
      const lengths = b.segs.map((s) => s.length);
      b.spilled.push([await this.spill.append(data), data.length, b.regions, lengths]);
      b.segs = [];
      b.regions = [];
    }
  }

  /** Encoded regions in input order, about `batchBytes` at a time. */
  async *inOrder(batchBytes) {
    // A bucket's spilled parts are read while the one before it is written out.
    const load = (bi) => Promise.all((this.buckets[bi]?.spilled ?? []).map(([off, len]) => this.spill.read(off, len)));
    let next = load(0);
    for (let bi = 0; bi < this.buckets.length; bi++) {
      const b = /** @type {Bucket} */ (this.buckets[bi]);
      const loaded = await next;
      next = load(bi + 1);
      next.catch(() => {}); // awaited (and thrown) at the next bucket
      this.buckets[bi] = null;
      // Each region of the bucket at its place: in region order.
      /** @type {[number, Uint8Array][]} */
      const at = [];
      loaded.forEach((data, p) => {
        const [, , regions, lengths] = b.spilled[p];
        for (let k = 0, o = 0; k < regions.length; o += lengths[k], k++) at.push([regions[k], data.subarray(o, o + lengths[k])]);
      });
      for (let k = 0; k < b.segs.length; k++) at.push([b.regions[k], b.segs[k]]);
      at.sort((x, y) => x[0] - y[0]);
      /** @type {Uint8Array[]} */
      let batch = [];
      let size = 0;
      for (const [, seg] of at) {
        batch.push(seg);
        size += seg.length;
        if (size >= batchBytes) { yield concat(batch); batch = []; size = 0; }
      }
      if (batch.length) yield concat(batch);
    }
  }
}

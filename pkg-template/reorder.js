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

/** A bucket's memory comes in pieces of this size (a larger region gets one of its own);
 * a spilled bucket's pieces are used again once written: no fresh memory per step (in
 * Node, fresh buffers this size made the collector run every few dozen milliseconds). */
const PIECE = 64 << 10;

/** Spilled bytes read ahead of the bucket being put in order. */
const READ_AHEAD = 8 << 20;

/** One of the core's buckets, here: the regions it holds in memory (`regions`, their
 * byte `lengths`) one after the other in its own `pieces` of memory (`fill` bytes of each
 * used; a region never straddles two), and its spilled parts as
 * `[offset, length, regions, lengths]`.
 * @typedef {{ regions: number[], lengths: number[], pieces: Uint8Array[], fill: number[],
 *   spilled: [number, number, number[], number[]][] }} Bucket */

export class Reorder {
  /** `spill`: the sink's scratch file (Node, to a directory), if it has one; `budget`
   * lowers the core's staging budget (tests). */
  constructor(session, spill, budget) {
    this.session = session;
    this.spill = spill;
    const n = session.reorderBuckets(!!spill, budget);
    /** @type {(Bucket | null)[]} null once written out */
    this.buckets = Array.from({ length: n }, () => ({ regions: [], lengths: [], pieces: [], fill: [], spilled: [] }));
    /** What the driver takes the core's output into, reused step after step. */
    this.stage = new Uint8Array(0);
    /** Pieces free to use again. @type {Uint8Array[]} */
    this.free = [];
  }

  /** Take the encoded regions session `from` decoded since its last take: this export's,
   * or a genome slice's decoded in this thread (slices.js). */
  async take(from = this.session) {
    const need = from.unorderedBytes;
    if (this.stage.length < need) this.stage = new Uint8Array(Math.max(need, 2 * this.stage.length));
    const spans = /** @type {Uint32Array} */ (from.takeUnorderedInto(this.stage));
    await this.add(this.stage, spans);
  }

  /** Take `bytes` of encoded regions described by `spans` (`[region, length, ...]`), each
   * into the bucket the core books it in. The bytes are copied: a region's bytes are kept
   * in its bucket's own memory, so what is held is what the core's staging budget counts
   * (a view of the step's bytes would keep all of them for as long as one region waits). */
  async add(bytes, spans) {
    const into = this.session.reorderAdd(spans);
    for (let k = 0, at = 0; k < spans.length; k += 2) {
      const r = spans[k];
      const len = spans[k + 1];
      const b = /** @type {Bucket} */ (this.buckets[into[k / 2]]); // none written out before every add
      let p = b.pieces.length - 1;
      if (p < 0 || b.fill[p] + len > b.pieces[p].length) {
        b.pieces.push((len <= PIECE && this.free.pop()) || new Uint8Array(Math.max(len, PIECE)));
        b.fill.push(0);
        p++;
      }
      b.pieces[p].set(bytes.subarray(at, at + len), b.fill[p]);
      b.fill[p] += len;
      b.regions.push(r);
      b.lengths.push(len);
      at += len;
    }
    for (let bi; this.spill && (bi = this.session.nextSpill()) >= 0;) {
      const b = /** @type {Bucket} */ (this.buckets[bi]);
      // The pieces as they are (one vectored write): no copy joined first.
      const parts = b.pieces.map((piece, p) => piece.subarray(0, b.fill[p]));
      const { at, written } = await this.spill.append(parts);
      b.spilled.push([at, b.fill.reduce((n, f) => n + f, 0), b.regions, b.lengths]);
      const pieces = b.pieces.filter((piece) => piece.length === PIECE);
      written.then(() => this.free.push(...pieces), () => {}); // a failed write fails the export
      Object.assign(b, { regions: [], lengths: [], pieces: [], fill: [] });
    }
  }

  /** Encoded regions in input order, about `batchBytes` at a time, each batch a view of a
   * buffer reused by the next: the caller takes it before asking for more. Reused
   * memory, not a fresh copy per batch: in Node fresh buffers of this size made the
   * collector run every few dozen milliseconds. Spilled parts are read up to READ_AHEAD
   * bytes of buckets ahead (at least the bucket being put in order) into buffers used
   * again: a bucket's parts are small (a thousand buckets of 200 KiB on medium), and read
   * one bucket at a time each read's trip through Node's thread pool left this thread
   * idle for a quarter of a second. `readAhead` lowers READ_AHEAD (tests). */
  async *inOrder(batchBytes, readAhead = READ_AHEAD) {
    const n = this.buckets.length;
    const spilledBytes = (bi) => (this.buckets[bi]?.spilled ?? []).reduce((t, [, len]) => t + len, 0);
    /** Buffers free to read into again. @type {Uint8Array[]} */
    const free = [];
    /** Buckets being read or read, in order: their buffer and a view of each part. */
    const loads = new Map();
    let ahead = 0;
    let held = 0;
    const load = (bi) => {
      const parts = this.buckets[bi]?.spilled ?? [];
      const total = spilledBytes(bi);
      let into = free.pop() ?? new Uint8Array(0);
      if (into.length < total) into = new Uint8Array(total);
      let at = 0;
      const views = parts.map(([, len]) => into.subarray(at, (at += len)));
      const read = Promise.all(parts.map(([off], p) => this.spill.read(off, views[p]))).then(() => views);
      read.catch(() => {}); // awaited (and thrown) at its bucket
      loads.set(bi, { into, total, read });
      held += total;
    };
    const fillAhead = (bi) => {
      while (ahead < n && (ahead <= bi || held + spilledBytes(ahead) <= readAhead)) load(ahead++);
    };
    let batch = new Uint8Array(batchBytes);
    let size = 0;
    for (let bi = 0; bi < n; bi++) {
      const b = /** @type {Bucket} */ (this.buckets[bi]);
      fillAhead(bi);
      const { into, total, read } = loads.get(bi);
      const loaded = await read;
      loads.delete(bi);
      // Where each region of the bucket is: by its place in the bucket (the core's), the
      // data holding it, where in it, how long.
      /** @type {[Uint8Array, number, number][]} */
      const place = [];
      const first = this.session.reorderFirst(bi);
      b.spilled.forEach(([, , regions, lengths], p) => {
        for (let k = 0, o = 0; k < regions.length; o += lengths[k], k++) place[regions[k] - first] = [loaded[p], o, lengths[k]];
      });
      for (let k = 0, p = 0, o = 0; k < b.regions.length; o += b.lengths[k], k++) {
        if (o + b.lengths[k] > b.fill[p]) { p++; o = 0; } // the region starts the next piece
        place[b.regions[k] - first] = [b.pieces[p], o, b.lengths[k]];
      }
      for (const [data, o, len] of place) {
        if (size + len > batch.length) {
          if (size) { yield batch.subarray(0, size); size = 0; }
          if (len > batch.length) batch = new Uint8Array(len);
        }
        batch.set(data.subarray(o, o + len), size);
        size += len;
        if (size >= batchBytes) { yield batch.subarray(0, size); size = 0; }
      }
      // Its bytes are copied into batches: its buffer can take another bucket's.
      this.buckets[bi] = null;
      held -= total;
      free.push(into);
      fillAhead(bi + 1);
    }
    if (size) yield batch.subarray(0, size);
  }
}

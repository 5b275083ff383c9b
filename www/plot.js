// @ts-check
// The results' plots: the first region's records per sample, drawn from the raw files held
// as chunk lists (read without joining them).

export const sizeOf = (chunks) => chunks.reduce((n, c) => n + c.length, 0);

/** Bytes [a, b) of a file held as a list of chunks. */
export function sliceChunks(chunks, a, b) {
  const out = new Uint8Array(Math.max(0, b - a));
  let at = 0;
  for (const c of chunks) {
    const lo = Math.max(a, at);
    const hi = Math.min(b, at + c.length);
    if (lo < hi) out.set(c.subarray(lo - at, hi - at), lo - a);
    at += c.length;
    if (at >= b) break;
  }
  return out;
}

/** A step plot of the first region's records for each sample. */
export function renderPlots(plots, r, region, labels) {
  plots.replaceChildren();
  const S = r.nSamples;
  const offsets = Array.from(new BigInt64Array(sliceChunks(r.raw.files['offsets.npy'], 0, (S + 1) * 8).buffer), Number);
  for (let s = 0; s < S; s++) {
    const [a, b] = [offsets[s], offsets[s + 1]];
    const n = b - a;
    // Columns, not one array per record: a first region may hold a whole chromosome.
    const recs = { n, starts: new Int32Array(n), ends: new Int32Array(n), values: new Float32Array(n) };
    if (r.layout === 'aos') {
      const dv = new DataView(sliceChunks(r.raw.files['intervals.npy'], a * 12, b * 12).buffer);
      for (let k = 0; k < n; k++) {
        recs.starts[k] = dv.getInt32(k * 12, true);
        recs.ends[k] = dv.getInt32(k * 12 + 4, true);
        recs.values[k] = dv.getFloat32(k * 12 + 8, true);
      }
    } else {
      const col = (name) => sliceChunks(r.raw.files[name], a * 4, b * 4).buffer;
      recs.starts = new Int32Array(col('starts.npy'));
      recs.ends = new Int32Array(col('ends.npy'));
      recs.values = new Float32Array(col('values.npy'));
    }
    const canvas = document.createElement('canvas');
    canvas.dataset.sample = String(s);
    plots.append(canvas);
    drawPlot(canvas, recs, region, labels[s] ?? `sample ${s}`);
  }
}

/** The records as an envelope: the lowest and highest value in each pixel column, found
 * in one loop (no spread or apply over data-sized arrays: they overflow the stack). */
function drawPlot(canvas, recs, region, label) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 900;
  const h = canvas.clientHeight || 90;
  canvas.width = w * dpr;
  canvas.height = h * dpr;
  const g = canvas.getContext('2d');
  g.scale(dpr, dpr);
  const x0 = Math.max(0, region.start);
  const x1 = Math.max(x0 + 1, region.end);
  const cols = Math.max(1, Math.ceil(w));
  const colMin = new Float64Array(cols).fill(Infinity);
  const colMax = new Float64Array(cols).fill(-Infinity);
  const col = (x) => Math.min(cols - 1, Math.max(0, Math.floor(((x - x0) / (x1 - x0)) * cols)));
  let lo = 0;
  let hi = 0;
  for (let k = 0; k < recs.n; k++) {
    const v = recs.values[k];
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    // Records do not overlap, so the columns visited add up to at most records + columns.
    const last = col(Math.max(recs.starts[k], recs.ends[k] - 1));
    for (let c = col(recs.starts[k]); c <= last; c++) {
      if (v < colMin[c]) colMin[c] = v;
      if (v > colMax[c]) colMax[c] = v;
    }
  }
  if (hi <= lo) hi = lo + 1e-9;
  const Y = (v) => h - 14 - ((v - lo) / (hi - lo)) * (h - 22);
  g.fillStyle = '#4a7bb0';
  for (let c = 0; c < cols; c++) {
    if (colMin[c] > colMax[c]) continue; // no record here
    const top = Y(Math.max(0, colMax[c]));
    const bottom = Y(Math.min(0, colMin[c]));
    g.fillRect((c / cols) * w, top, Math.max(1, w / cols), Math.max(1, bottom - top));
  }
  g.fillStyle = '#1d232b';
  g.font = '11px system-ui, sans-serif';
  g.fillText(`${label} · ${region.contig}:${region.start}-${region.end} · ${recs.n} intervals · [${lo.toPrecision(3)}, ${hi.toPrecision(3)}]`, 4, h - 3);
}

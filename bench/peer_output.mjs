// What the bbi-js peers (bench/bbi_remote.mjs, bench/bbi11_remote.mjs) write: raw AoS
// intervals clipped to each region, and int64 offsets, as the other exporters write them.
import fs from 'node:fs'
import path from 'node:path'

/** Records (start, end, score) clipped to [s0, e0), those left empty dropped, as
 * 12-byte AoS records (bbi-js also returns records that only touch a query's edge). */
export function clippedRecords (n, at, s0, e0) {
  const buf = new ArrayBuffer(n * 12)
  const dv = new DataView(buf)
  let j = 0
  for (let x = 0; x < n; x++) {
    const [start, end, score] = at(x)
    const s = Math.max(start, s0), e = Math.min(end, e0)
    if (e <= s) continue
    dv.setInt32(j * 12, s, true); dv.setInt32(j * 12 + 4, e, true); dv.setFloat32(j * 12 + 8, score, true)
    j++
  }
  return new Uint8Array(buf, 0, j * 12)
}

/** The (region, sample) groups in order, written to `out`; prints the seconds since `t0`. */
export function writeExport (out, groups, t0) {
  const secs = (performance.now() - t0) / 1000
  const offsets = new BigInt64Array(groups.length + 1)
  groups.forEach((g, k) => { offsets[k + 1] = offsets[k] + BigInt(g.length / 12) })
  fs.mkdirSync(out, { recursive: true })
  fs.writeFileSync(path.join(out, 'intervals.npy'), Buffer.concat(groups))
  fs.writeFileSync(path.join(out, 'offsets.npy'), new Uint8Array(offsets.buffer))
  console.log(secs.toFixed(4))
}

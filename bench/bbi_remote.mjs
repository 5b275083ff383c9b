// The peer run of bench/remote.mjs: ../shared/tools/peers/bbijs_export.mjs with URL sources
// and a given BED. The same region x sample export done with @gmod/bbi 8.1.1 (JBrowse's
// bigWig reader, through its RemoteFile: fetch with Range requests), packing GVL-layout
// intervals + offsets in memory.
// usage: node bbi_remote.mjs REGIONS_BED OUT_DIR URL...   (run where @gmod/bbi is installed)
// Prints wall seconds (open + all queries + packing); writes intervals.npy/offsets.npy raw.
import { BigWig } from '@gmod/bbi'
import fs from 'node:fs'
import path from 'node:path'

const [bed, out, ...urls] = process.argv.slice(2)
const regions = fs.readFileSync(bed, 'utf8').trim().split('\n')
  .map(l => { const [c, s, e] = l.split('\t'); return [c, +s, +e] })
const t0 = performance.now()
const bws = urls.map(url => new BigWig({ url }))
const headers = await Promise.all(bws.map(b => b.getHeader()))
const chunks = []
const offsets = new BigInt64Array(regions.length * bws.length + 1)
let acc = 0n, k = 1
for (const [c, s0, e0] of regions) {
  const per = await Promise.all(bws.map((b, i) => {
    const ref = headers[i].refsByName[c]
    if (ref === undefined) return []
    const len = headers[i].refsByNumber[ref].length
    return b.getFeatures(c, Math.max(s0, 0), Math.min(e0, len), { scale: 1 })
  }))
  for (const feats of per) {
    // bbi-js also returns records that only touch the query edge; keep true overlaps
    const buf = new ArrayBuffer(feats.length * 12)
    const dv = new DataView(buf)
    let j = 0
    for (const f of feats) {
      const s = Math.max(f.start, s0), e = Math.min(f.end, e0)
      if (e <= s) continue
      dv.setInt32(j * 12, s, true); dv.setInt32(j * 12 + 4, e, true); dv.setFloat32(j * 12 + 8, f.score, true)
      j++
    }
    chunks.push(new Uint8Array(buf, 0, j * 12))
    acc += BigInt(j); offsets[k++] = acc
  }
}
const secs = (performance.now() - t0) / 1000
fs.mkdirSync(out, { recursive: true })
fs.writeFileSync(path.join(out, 'intervals.npy'), Buffer.concat(chunks))
fs.writeFileSync(path.join(out, 'offsets.npy'), new Uint8Array(offsets.buffer))
console.log(secs.toFixed(4))

// The peer run of bench/remote.mjs: ../shared/tools/peers/bbijs_export.mjs with URL sources
// and a given BED. The same region x sample export done with @gmod/bbi 8.1.1 (JBrowse's
// bigWig reader, through its RemoteFile: fetch with Range requests), packing GVL-layout
// intervals + offsets in memory.
// usage: node bbi_remote.mjs REGIONS_BED OUT_DIR URL...   (run where @gmod/bbi is installed)
// Prints wall seconds (open + all queries + packing); writes intervals.npy/offsets.npy raw.
import { BigWig } from '@gmod/bbi'
import fs from 'node:fs'
import { clippedRecords, writeExport } from './peer_output.mjs'

const [bed, out, ...urls] = process.argv.slice(2)
const regions = fs.readFileSync(bed, 'utf8').trim().split('\n')
  .map(l => { const [c, s, e] = l.split('\t'); return [c, +s, +e] })
const t0 = performance.now()
const bws = urls.map(url => new BigWig({ url }))
const headers = await Promise.all(bws.map(b => b.getHeader()))
const groups = []
for (const [c, s0, e0] of regions) {
  const per = await Promise.all(bws.map((b, i) => {
    const ref = headers[i].refsByName[c]
    if (ref === undefined) return []
    const len = headers[i].refsByNumber[ref].length
    return b.getFeatures(c, Math.max(s0, 0), Math.min(e0, len), { scale: 1 })
  }))
  for (const feats of per) groups.push(clippedRecords(feats.length, (x) => [feats[x].start, feats[x].end, feats[x].score], s0, e0))
}
writeExport(out, groups, t0)

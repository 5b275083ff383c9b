// The @gmod/bbi 11.0.0 run of bench/remote.mjs (issue 19): the same region x sample export as
// bbi_remote.mjs, through bbi 11's best call for many regions, `getFeaturesAsArraysMulti`
// (one R-tree walk per region over a node cache shared by all of them, the union of
// blocks deduplicated, neighbours within 2000 bytes read together), one call per file,
// the files at once. 11.0.0 is not on this machine's npm registry: it is built from its
// repository into a folder outside ours (recipe: docs/BENCHMARKS.md, "@gmod/bbi 11.0.0").
// usage: node bbi11_remote.mjs BBI_ESM_ENTRY REGIONS_BED OUT_DIR URL...
// Prints wall seconds (open + all queries + packing); writes intervals.npy/offsets.npy raw.
import fs from 'node:fs'
import { clippedRecords, writeExport } from './peer_output.mjs'
import { pathToFileURL } from 'node:url'

const [entry, bed, out, ...urls] = process.argv.slice(2)
// Imported by path: bbi's own imports (generic-filehandle2, @gmod/shared-read-cache)
// resolve from the node_modules it was built into.
const { BigWig } = await import(pathToFileURL(entry).href)
const regions = fs.readFileSync(bed, 'utf8').trim().split('\n')
  .map(l => { const [c, s, e] = l.split('\t'); return [c, +s, +e] })
const t0 = performance.now()
const perFile = await Promise.all(urls.map(async url => {
  const bw = new BigWig({ url })
  const h = await bw.getHeader()
  // Regions on chroms the file lacks get no query (and no records); the rest are cut at
  // the chrom's end, as bbi_remote.mjs does.
  const asked = []
  const queries = []
  regions.forEach(([c, s, e], i) => {
    const ref = h.refsByName[c]
    if (ref === undefined) return
    asked.push(i)
    queries.push({ refName: c, start: Math.max(s, 0), end: Math.min(e, h.refsByNumber[ref].length) })
  })
  const r = await bw.getFeaturesAsArraysMulti(queries, { scale: 1 })
  const slices = new Array(regions.length).fill(null)
  asked.forEach((i, q) => { slices[i] = [r.regionOffsets[q], r.regionOffsets[q + 1]] })
  return { r, slices }
}))
const groups = []
regions.forEach(([, s0, e0], i) => {
  for (const { r, slices } of perFile) {
    const [a, b] = slices[i] ?? [0, 0]
    // bbi 11 keeps strict overlaps only; clipped to the region as the other exporters do
    groups.push(clippedRecords(b - a, (x) => [r.starts[a + x], r.ends[a + x], r.scores[a + x]], s0, e0))
  }
})
writeExport(out, groups, t0)

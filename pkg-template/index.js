// @ts-check
// bigwig-npy: export bigWig signal over regions into GenVarLoader's ragged .npy arrays, in
// browsers and Node. The Rust core (wasm) decodes one region at a time and says which byte
// ranges it still needs; the driver (driver.js) reads them from the sources (sources/) and
// moves the encoded output out of wasm memory into a sink (sinks/) after every step.

import { fail } from './errors.js';
import { IS_NODE, outputPath } from './node.js';
import { using, translate } from './module.js';
import { run } from './driver.js';
import { memorySink } from './sinks/memory.js';
import { directorySink } from './sinks/directory.js';
import { setRegions } from './regions.js';
import { Pacer } from './reads.js';
import { buildDataset, memoryTarget } from './dataset.js';
import { datasetDirTarget } from './sinks/dataset-dir.js';
import { exportOnWorkers } from './workers.js';

export { BigwigNpyError } from './errors.js';
export { wasmMemoryBytes } from './module.js';
export { inspectSource } from './inspect.js';
export { mergeShards } from './shards.js';

/**
 * Export every (region, sample) into GenVarLoader's arrays, returned as Blobs keyed by file
 * name (`intervals.npy`, `offsets.npy`, or `starts.npy`, `ends.npy`, `values.npy`).
 * (The types are index.d.ts's, the one declaration of the API.)
 * @param {import('./index.js').ExportOptions} opts
 * @returns {Promise<import('./index.js').ExportResult<Blob | Uint8Array[]>>}
 */
export async function exportTrack(opts) {
  return (await exportOnWorkers(opts, () => memorySink(opts))) ?? run(opts, memorySink(opts));
}

/**
 * Node only: export into `outDir` (a path, or a `file:` URL), streaming to files written
 * under temporary names and renamed into place when the whole export succeeded. Returns
 * the paths by file name.
 * @param {Parameters<typeof import('./index.js').exportTrackToDir>[0]} opts
 * @returns {ReturnType<typeof import('./index.js').exportTrackToDir>}
 */
export async function exportTrackToDir(opts) {
  if (!IS_NODE) throw fail('exportTrackToDir needs Node.js; in browsers use exportTrack');
  if (!opts?.outDir) throw fail('exportTrackToDir: `outDir` is required');
  const outDir = await outputPath(opts.outDir, 'outDir');
  const sink = () => directorySink({ ...opts, outDir });
  return (await exportOnWorkers(opts, sink)) ?? run(opts, await sink());
}

/**
 * A GenVarLoader dataset (what `gvl.write` writes for bigWig tracks, in format 2 by default,
 * `gvlFormat: 1` for GenVarLoader 0.35): every file of its directory as Blobs keyed by
 * relative path (`metadata.json`, `regions.npy`, `input_regions.arrow`,
 * `intervals/<track>/...`, `annot_intervals/<name>/...`).
 * @param {import('./index.js').DatasetOptions} opts
 * @returns {Promise<import('./index.js').DatasetResult<Blob | Uint8Array[]>>}
 */
export async function exportDataset(opts) {
  return buildDataset(opts, () => memoryTarget(opts));
}

/**
 * Node only: write the dataset directory `outDir` (a path, or a `file:` URL) whole or not
 * at all, by the CLI's protocol (a staging directory with an owner record, moved into
 * place); what is there is replaced only with `overwrite`, and only if it is a dataset (or
 * empty) at that moment. Returns the paths by relative path.
 * @param {Parameters<typeof import('./index.js').exportDatasetToDir>[0]} opts
 * @returns {ReturnType<typeof import('./index.js').exportDatasetToDir>}
 */
export async function exportDatasetToDir(opts) {
  if (!IS_NODE) throw fail('exportDatasetToDir needs Node.js; in browsers use exportDataset');
  if (!opts?.outDir) throw fail('exportDatasetToDir: `outDir` is required');
  const outDir = await outputPath(opts.outDir, 'outDir');
  return buildDataset(opts, (m) => datasetDirTarget(m, { ...opts, outDir }));
}

/** Check regions the way an export reads them; returns `{ count, contigs: [{ name, regions
 * }], first: { contig, start, end } | null, lines }` (`lines[i]`: the BED line of region i,
 * to split a BED into shards without parsing it) or throws naming the line.
 * @type {typeof import('./index.js').parseRegions} */
export async function parseRegions(regions, opts = {}) {
  return using(async (m) => {
    const session = new m.Session(['check'], 'raw', 'aos', 0, 0);
    try {
      await setRegions(session, regions, new Pacer(opts.signal));
      const summary = session.regionsSummary();
      return { ...summary, lines: Uint32Array.from(summary.lines) };
    } catch (e) {
      throw translate(e);
    } finally {
      try { session.free(); } catch { /* discarded */ }
    }
  });
}

/** The region contigs (names) that a source with contigs `chroms` (names) lacks, by the
 * export's own matching rule (the name, or `chr` + the name, exactly once).
 * @type {typeof import('./index.js').unmatchedContigs} */
export async function unmatchedContigs(contigs, chroms) {
  return using((m) => m.unmatchedContigs(Array.from(contigs, String), Array.from(chroms, String)));
}

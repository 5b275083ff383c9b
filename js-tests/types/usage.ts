// Type-checked (never run) by js-tests/types.test.mjs: the package as a TypeScript user
// calls it, against pkg/index.d.ts. A declaration that drifts from this use fails the test.
import {
  BigwigNpyError,
  exportDataset,
  exportDatasetToDir,
  exportTrack,
  exportTrackToDir,
  inspectSource,
  mergeShards,
  parseRegions,
  unmatchedContigs,
  wasmMemoryBytes,
  type DatasetResult,
  type ExportResult,
  type InspectedSource,
  type Progress,
} from '../../pkg/index.js';

export async function usage(file: Blob, bytes: Uint8Array): Promise<number> {
  const controller = new AbortController();
  const head: InspectedSource = await inspectSource('https://example.org/a.bw', {
    headers: { Authorization: 'Bearer TOKEN' },
    timeoutMs: 30_000,
  });
  const onProgress = (p: Progress): void => void (p.regionsDone / p.regionsTotal);
  const blobs: ExportResult<Blob> = await exportTrack({
    sources: [head, file, bytes, new URL('https://example.org/b.bw')],
    regions: 'chr1\t0\t100\n',
    format: 'raw',
    layout: 'soa',
    maxMem: 1 << 30,
    headers: [['X-Trace', '1']],
    onProgress,
    signal: controller.signal,
  });
  const chunks: ExportResult<Uint8Array[]> = await exportTrack({
    sources: [bytes],
    regions: { contigs: ['chr1'], starts: [0n], ends: [100] },
    output: 'chunks',
  });
  const merged = await mergeShards([blobs, blobs], { format: 'npy' });
  const onDisk: ExportResult<string> = await exportTrackToDir({ sources: ['a.bw'], regions: bytes, outDir: 'out', workers: 4 });
  const part: ExportResult<Blob> = await exportTrack({ sources: [file], regions: 'chr1\t0\t100\n', format: 'raw', shard: { index: 1, count: 3 } });
  const ds: DatasetResult<Blob> = await exportDataset({
    regions: 'chr1\t0\t100\n',
    tracks: { signal: { s1: file, s2: 'https://example.org/c.bw' } },
    annot: [['cons', bytes]],
    maxJitter: 8,
    gvlFormat: 2,
    headers: new Headers({ Authorization: 'Bearer TOKEN' }),
    onProgress: (p) => void p.track,
  });
  const dir: DatasetResult<string> = await exportDatasetToDir({
    regions: 'chr1\t0\t100\n',
    tracks: new Map([['signal', [['s1', 'a.bw'] as [string, string]]]]),
    outDir: new URL('file:///tmp/sig.gvl'),
    overwrite: true,
    gvlFormat: 1,
    workers: 2,
  });
  const summary = await parseRegions('chr1\t0\t100\n', { signal: controller.signal });
  const missing: string[] = await unmatchedContigs(['chr1'], ['1']);
  try {
    await exportTrack({ sources: [bytes], regions: 'x' });
  } catch (e) {
    if (e instanceof BigwigNpyError) {
      const kind: 'InputError' | 'MaxMemError' | 'OutputError' | 'InternalError' = e.kind;
      void [kind, e.name, e.message];
    }
  }
  return merged.nIntervals + chunks.nRegions + onDisk.nSamples + ds.nTracks + dir.nAnnot
    + summary.count + missing.length + wasmMemoryBytes() + ds.samples.length + head.contigs.length + part.nRegions;
}

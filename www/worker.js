// @ts-check
// One export shard (the package's `shard` option: part `index` of `count` of the regions),
// or one GenVarLoader dataset, off the main thread. Raw format: the page merges shards in
// order (mergeShards).
import { exportTrack, exportDataset, parseRegions } from '/pkg/index.js';

/** Progress posted at most every 50 ms, and at the end. */
function progress(shard) {
  let last = 0;
  return (p) => {
    const now = performance.now();
    if (now - last > 50 || p.regionsDone === p.regionsTotal) {
      last = now;
      self.postMessage({ type: 'progress', shard, progress: p });
    }
  };
}

/** Hand the output buffers over without copying them. */
function done(shard, result) {
  const buffers = Object.values(result.files).flatMap((chunks) => chunks.map((c) => c.buffer));
  self.postMessage({ type: 'done', shard, result }, [...new Set(buffers)]);
}

self.onmessage = async ({ data }) => {
  if (data.type === 'warm') {
    // Load and compile the module now, so the first export does not wait for it.
    await parseRegions('warm\t0\t1').catch(() => {});
    return;
  }
  const { shard } = data;
  try {
    if (data.type === 'dataset') {
      const { regions, tracks, annot, maxJitter, gvlFormat, maxMem } = data;
      done(shard, await exportDataset({ regions, tracks, annot, maxJitter, gvlFormat, maxMem, output: 'chunks', onProgress: progress(shard) }));
      return;
    }
    const { sources, regions, layout, maxMem, part } = data;
    done(shard, await exportTrack({ sources, regions, layout, maxMem, shard: part, format: 'raw', output: 'chunks', onProgress: progress(shard) }));
  } catch (e) {
    self.postMessage({ type: 'error', shard, message: e?.message ?? String(e), name: e?.name });
  }
};

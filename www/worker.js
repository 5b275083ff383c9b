// One export shard, off the main thread. Raw format: the page merges shards in order.
import { exportTrack, parseRegions } from '/pkg/index.js';

self.onmessage = async ({ data }) => {
  if (data.type === 'warm') {
    // Load and compile the module now, so the first export does not wait for it.
    await parseRegions('warm\t0\t1').catch(() => {});
    return;
  }
  const { shard, sources, regions, layout, maxMem } = data;
  let last = 0;
  try {
    const result = await exportTrack({
      sources, regions, layout, maxMem, format: 'raw', output: 'chunks',
      onProgress: (p) => {
        const now = performance.now();
        if (now - last > 50 || p.regionsDone === p.regionsTotal) {
          last = now;
          self.postMessage({ type: 'progress', shard, progress: p });
        }
      },
    });
    // Hand the output buffers over without copying them.
    const buffers = Object.values(result.files).flatMap((chunks) => chunks.map((c) => c.buffer));
    self.postMessage({ type: 'done', shard, result }, [...new Set(buffers)]);
  } catch (e) {
    self.postMessage({ type: 'error', shard, message: e?.message ?? String(e), name: e?.name });
  }
};

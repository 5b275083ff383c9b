// One export shard, off the main thread. Raw format: the page merges shards in order.
import { exportTrack } from '/pkg/index.js';

self.onmessage = async ({ data }) => {
  const { shard, sources, regions, layout, maxMem } = data;
  let last = 0;
  try {
    const result = await exportTrack({
      sources, regions, layout, maxMem, format: 'raw',
      onProgress: (p) => {
        const now = performance.now();
        if (now - last > 50 || p.regionsDone === p.regionsTotal) {
          last = now;
          self.postMessage({ type: 'progress', shard, progress: p });
        }
      },
    });
    self.postMessage({ type: 'done', shard, result });
  } catch (e) {
    self.postMessage({ type: 'error', shard, message: e?.message ?? String(e), name: e?.name });
  }
};

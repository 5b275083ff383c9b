// @ts-check
// A Node worker thread of a sharded export (workers.js): each job is one contiguous shard
// of the regions (the `shard` option), exported raw by the same driver as in the calling
// thread, over this thread's own wasm instance, into memory (chunks transferred back) or
// into scratch files under temporary names (`out`), which the calling thread merges and
// removes.

import { parentPort as maybePort, workerData } from 'node:worker_threads';
import { run } from './driver.js';
import { using, usingDataset, adoptCompiled } from './module.js';
import { setRegions } from './regions.js';
import { Pacer } from './reads.js';
import { memorySink } from './sinks/memory.js';
import { directorySink } from './sinks/directory.js';
import { unportable, errorMessage } from './workers.js';

/** This module runs only as a worker thread: its port to the parent is there. */
const parentPort = /** @type {import('node:worker_threads').MessagePort} */ (maybePort);

// The parent's compiled module: its code is shared, not compiled again here.
adoptCompiled(workerData?.module);
// The module stays loaded while the thread lives (it lives for one export only).
using(() => new Promise(() => {}));

/** A dataset's sorted regions, made once per export: its tracks are jobs one after another. */
let dataset = null;

async function datasetPlan(setup) {
  if (!dataset) {
    // In the dataset module (the plan and the Sessions its tracks export through live in
    // one instance), kept loaded while the thread lives.
    dataset = new Promise((resolve, reject) => {
      usingDataset(async (m) => {
        const plan = new m.DatasetPlan(setup.maxJitter, setup.gvlFormat);
        await setRegions(plan, setup.regions, new Pacer());
        resolve(plan);
        await new Promise(() => {});
      }).catch(reject);
    });
  }
  return dataset;
}

/** Progress goes to the main thread as often as the driver reports it (every ~1 MiB of
 * output), where it is summed over the shards. */
const progress = (on) => (on ? (p) => parentPort.postMessage({ type: 'progress', progress: p }) : undefined);

async function exportShard(job) {
  const opts = {
    ...job.opts,
    sources: job.opts.sources.map(unportable),
    regions: job.regions,
    shard: job.shard,
    format: 'raw',
    output: 'chunks',
    onProgress: progress(job.progress),
  };
  const sink = job.out
    ? await directorySink({ outDir: job.out.dir, shownDir: job.out.shownDir, tag: job.out.tag, keep: true })
    : memorySink(opts);
  // A dataset's track: the plan's sorted regions (BED lines kept, so messages name them).
  const regions = job.dataset && (async (session) => session.setRegionsFromDataset(await datasetPlan(job.dataset)));
  return run(opts, sink, { regions, sourceLabels: job.sourceLabels, using: job.dataset ? usingDataset : undefined });
}

parentPort.on('message', async (job) => {
  try {
    const result = await exportShard(job);
    // Output buffers are handed over, not copied.
    const buffers = job.out ? [] : Object.values(result.files).flatMap((chunks) => chunks.map((c) => c.buffer));
    parentPort.postMessage({ type: 'done', result }, [...new Set(buffers)]);
  } catch (e) {
    parentPort.postMessage(errorMessage(e));
  }
});

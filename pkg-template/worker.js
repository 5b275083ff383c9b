// @ts-check
// A Node worker thread of an export on several threads (workers.js), over this thread's
// own wasm instance. A shard job is one contiguous shard of the regions (the `shard`
// option), exported raw by the same driver as in the calling thread into memory (chunks
// transferred back) or into scratch files under temporary names (`out`), which the calling
// thread merges and removes. A slice job (slices.js) decodes one genome slice of the
// regions, and sends its encoded regions to the calling thread's Reorder as they come.

import { parentPort as maybePort, workerData } from 'node:worker_threads';
import { run } from './driver.js';
import { using, usingDataset, adoptCompiled } from './module.js';
import { setRegions } from './regions.js';
import { Pacer } from './reads.js';
import { memorySink } from './sinks/memory.js';
import { directorySink } from './sinks/directory.js';
import { unportable, errorMessage } from './workers.js';
import { decodeSlice, IN_FLIGHT } from './slices.js';

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

/** A slice's flow: bytes sent and not yet taken in by the calling thread, buffers it gave
 * back, and the step waiting for them. */
const flow = { inFlight: 0, free: /** @type {ArrayBuffer[]} */ ([]), wake: /** @type {null | (() => void)} */ (null) };

/** Send a step's encoded regions (`session.takeUnordered`, into a buffer given back by the
 * calling thread when there is one), transferred; first wait while too many are in flight. */
async function sendEncoded(session) {
  while (flow.inFlight > IN_FLIGHT) await new Promise((resolve) => { flow.wake = () => resolve(undefined); });
  const need = session.unorderedBytes;
  let buffer = flow.free.pop();
  if (!buffer || buffer.byteLength < need) buffer = new ArrayBuffer(need + (need >> 3));
  const bytes = new Uint8Array(buffer, 0, need);
  const spans = session.takeUnorderedInto(bytes);
  flow.inFlight += need;
  parentPort.postMessage({ type: 'encoded', bytes, spans }, [buffer, spans.buffer]);
}

/** The slice a slice job decodes: sent once the calling thread has cut them, while this
 * thread reads the regions and opens its sources (one job per thread and export). */
/** @type {(regions: Uint32Array) => void} */
let sliceArrived = () => {};
/** @type {Promise<Uint32Array>} */
const slice = new Promise((resolve) => { sliceArrived = resolve; });

async function decodeSliceJob(job) {
  const opts = { ...job.opts, sources: job.opts.sources.map(unportable), regions: job.regions, onProgress: progress(job.progress) };
  return decodeSlice(opts, slice, sendEncoded);
}

parentPort.on('message', async (job) => {
  if (job?.type === 'slice') {
    sliceArrived(job.regions);
    return;
  }
  if (job?.type === 'ack') {
    flow.inFlight -= job.length;
    flow.free.push(job.buffer);
    const wake = flow.wake;
    flow.wake = null;
    wake?.();
    return;
  }
  try {
    const result = job.kind === 'slice' ? await decodeSliceJob(job) : await exportShard(job);
    // Output buffers are handed over, not copied.
    const buffers = job.out || job.kind === 'slice' ? [] : Object.values(result.files).flatMap((chunks) => chunks.map((c) => c.buffer));
    parentPort.postMessage({ type: 'done', result }, [...new Set(buffers)]);
  } catch (e) {
    parentPort.postMessage(errorMessage(e));
  }
});

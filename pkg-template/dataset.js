// @ts-check
// GenVarLoader datasets: exportDataset and exportDatasetToDir. Every dataset rule (the
// format, sorted order, jitter, the tracks' samples and names, each track's directory and
// layout, regions.npy, input_regions.arrow, metadata.json) is the core's (DatasetPlan, in
// wasm), shared with the CLI's `dataset`; each track is a raw export of the plan's sorted
// regions through the export driver, its sources in the dataset's sample order (an
// annotation track: its one source). A target (memory, or a staging directory in Node)
// takes the files.

import { BigwigNpyError, fail, abortError, describe, printable } from './errors.js';
import { usingDataset, translate } from './module.js';
import { run, callSignal, checkSourceOptions } from './driver.js';
import { setRegions } from './regions.js';
import { Pacer } from './reads.js';
import { memorySink } from './sinks/memory.js';
import { beginMerge } from './shards.js';
import { Pool, workerCount, portableOptions, runShards, fileNames } from './workers.js';

/** `[name, value]` pairs of an object, a Map or an array of pairs.
 * @returns {[any, any][]} */
function pairs(x, what) {
  if (x instanceof Map) return [...x.entries()];
  if (Array.isArray(x)) {
    return x.map((e, i) => {
      if (!Array.isArray(e) || e.length !== 2) throw fail(`${what}[${i}]: expected a [name, value] pair, got ${describe(e)}`);
      return /** @type {[any, any]} */ (e);
    });
  }
  if (x && typeof x === 'object') return Object.entries(x);
  throw fail(`${what}: expected { name: value }, a Map or [name, value] pairs, got ${describe(x)}`);
}

/** The tracks as given: `[{ name, rows: [[sample, source], ...] }]` (checked by the core). */
function datasetTracks(opts) {
  if (!opts || typeof opts !== 'object') throw fail('exportDataset: expected an options object');
  if (opts.regions == null) throw fail('no regions given: pass BED text or bytes, or { contigs, starts, ends }, in `regions`');
  if (opts.tracks == null) throw fail('no tracks given: pass at least one in `tracks` ({ name: { sample: source } })');
  return pairs(opts.tracks, 'tracks').map(([name, samples]) => {
    if (typeof name !== 'string') throw fail(`tracks: track name ${describe(name)} is not a string`);
    const rows = pairs(samples, `track '${printable(name)}'`);
    for (const [s] of rows) {
      if (typeof s !== 'string') throw fail(`track '${printable(name)}': sample name ${describe(s)} is not a string`);
    }
    return { name, rows };
  });
}

/** The annotation tracks as given: `[[name, source], ...]` (names checked by the core). */
function datasetAnnot(opts) {
  if (opts.annot == null) return [];
  const annot = pairs(opts.annot, 'annot');
  for (const [name] of annot) {
    if (typeof name !== 'string') throw fail(`annot: annotation track name ${describe(name)} is not a string`);
  }
  return annot;
}

/** A track's input or memory error, named after the track as the CLI names it (`what`:
 * the plan's "track" or "annotation track"); output errors name their path already. */
function inTrack(what, name, e) {
  if (!(e instanceof BigwigNpyError) || !['InputError', 'MaxMemError'].includes(e.kind)) return e;
  return fail(`${what} '${printable(name)}': ${e.message}`, e.kind);
}

/** Export a dataset into the target `makeTarget(m)` (`m`: the wasm module) makes once the
 * options are checked. */
export async function buildDataset(opts, makeTarget) {
  const tracks = datasetTracks(opts);
  const annot = datasetAnnot(opts);
  checkSourceOptions(opts);
  await workerCount(opts); // checked with the other options
  if (opts.onProgress != null && typeof opts.onProgress !== 'function') throw fail(`onProgress: expected a function, got ${describe(opts.onProgress)}`);
  if (opts.signal?.aborted) throw abortError(opts.signal);
  const call = callSignal(opts.signal);
  try {
    return await usingDataset(async (m) => {
      let plan;
      let target;
      let pool;
      try {
        plan = new m.DatasetPlan(opts.maxJitter, opts.gvlFormat);
        // Tracks first, as the CLI checks its tables before the BED: cheap mistakes first.
        const samples = plan.setTracks(tracks.map((t) => [t.name, t.rows.map(([s]) => s)]));
        plan.setAnnotations(annot.map(([name]) => name));
        // Names are distinct now (the core checked them).
        const bySample = new Map(tracks.map((t) => [t.name, new Map(t.rows)]));
        const annotSource = new Map(annot);
        const jobs = plan.trackExports();
        await setRegions(plan, opts.regions, new Pacer(call.signal));
        const n = plan.nRegions;
        target = await makeTarget(m);
        await target.put('regions.npy', plan.regionsNpy());
        await target.put('input_regions.arrow', plan.inputRegionsArrow());
        const done = { nIntervals: 0, bytesFetched: 0, requests: 0 };
        const sourcesOf = (name, perSample) => (perSample ? samples.map((s) => /** @type {Map<any, any>} */ (bySample.get(name)).get(s)) : [annotSource.get(name)]);
        pool = await datasetPool(opts, jobs, sourcesOf, n, call.signal);
        for (let k = 0; k < jobs.length; k++) {
          const { name, dir, what, perSample } = jobs[k];
          const progress = opts.onProgress && ((p) => opts.onProgress({
            track: name,
            regionsDone: k * n + p.regionsDone,
            regionsTotal: n * jobs.length,
            intervals: done.nIntervals + p.intervals,
            bytesFetched: done.bytesFetched + p.bytesFetched,
          }));
          // Byte sources have no name of their own: a sample's is its name.
          const sourceLabels = perSample ? samples.map((s) => `sample '${printable(s)}'`) : undefined;
          const trackOpts = {
            sources: sourcesOf(name, perSample),
            format: 'raw',
            layout: plan.layout,
            maxMem: opts.maxMem,
            blockCacheBytes: opts.blockCacheBytes,
            fetch: opts.fetch,
            wholeFileLimit: opts.wholeFileLimit,
            timeoutMs: opts.timeoutMs,
            headers: opts.headers,
            output: opts.output,
            signal: call.signal,
            onProgress: progress,
          };
          const internal = {
            // The dataset's sorted regions (BED lines kept, so messages name them).
            regions: (session) => session.setRegionsFromDataset(plan),
            // In the dataset module: the Session takes the plan's regions.
            using: usingDataset,
            sourceLabels,
          };
          let r;
          try {
            const sink = await target.track(dir);
            if (pool) {
              // The track in shards of the plan's sorted regions: the first here, the
              // others on the workers (each makes the plan's sorted regions again).
              const names = fileNames(m, 'raw', plan.layout);
              await beginMerge(m, sink, names, 'raw');
              r = await runShards(m, pool, {
                job: {
                  opts: await portableOptions(trackOpts, trackOpts.sources),
                  dataset: { regions: opts.regions, maxJitter: opts.maxJitter, gvlFormat: opts.gvlFormat },
                  sourceLabels,
                },
                here: (shard, into, onProgress) => run({ ...trackOpts, shard, onProgress }, into, internal),
                nRegions: n, names, format: 'raw', sink, onProgress: progress,
              });
            } else r = await run(trackOpts, sink, internal);
          } catch (e) {
            throw inTrack(what, name, e);
          }
          for (const key of Object.keys(done)) done[key] += r[key];
        }
        // Last, as gvl.write and the CLI write it: a directory with metadata.json is whole.
        await target.put('metadata.json', plan.metadataJson());
        const files = await target.finish();
        return {
          files, gvlFormat: plan.gvlFormat, nRegions: n, nSamples: samples.length,
          nTracks: tracks.length, nAnnot: annot.length, samples, ...done,
        };
      } catch (e) {
        call.end();
        // Workers stop before their scratch files (in the target) go.
        await pool?.close();
        await target?.abort();
        throw translate(e);
      } finally {
        await pool?.close();
        try { plan?.free(); } catch { /* a trapped instance is discarded anyway */ }
      }
    });
  } finally {
    call.end();
  }
}

/** Worker threads for the dataset's tracks (Node, `workers` > 1, more than one region,
 * every source able to cross to a thread), or null: the tracks run in this thread. */
async function datasetPool(opts, jobs, sourcesOf, nRegions, signal) {
  const sources = jobs.flatMap(({ name, perSample }) => sourcesOf(name, perSample));
  const n = Math.min(await workerCount(opts, sources), nRegions);
  if (n <= 1) return null;
  for (const { name, perSample } of jobs) {
    if (!(await portableOptions(opts, sourcesOf(name, perSample)).catch(() => undefined))) return null;
  }
  return Pool.start(n, signal);
}

/** The dataset's files in memory: Blobs (or chunk lists) keyed by relative path. */
export function memoryTarget(opts) {
  const files = {};
  const wrap = (bytes) => (opts.output === 'chunks' ? [bytes] : new Blob([bytes], { type: 'application/octet-stream' }));
  return {
    put(name, bytes) { files[name] = wrap(bytes); },
    /** A track's sink; `dir` is its directory in the dataset (the plan's, `/`-separated). */
    track(dir) {
      const sink = memorySink(opts);
      return {
        ...sink,
        finish(headers) {
          const out = sink.finish(headers);
          for (const [f, v] of Object.entries(out)) files[`${dir}/${f}`] = v;
          return out;
        },
      };
    },
    finish() {
      // metadata.json was put last; list it first, as a reader looks for it first.
      const { 'metadata.json': meta, ...rest } = files;
      return { 'metadata.json': meta, ...rest };
    },
    abort() {},
  };
}

// @ts-check
// The page's workers (worker.js): warm ones (module loaded, wasm compiled) kept across
// exports, and one job's round trip with a worker. Both the track export (a shard per
// worker) and the dataset download (one worker) run their jobs through here.

const pool = [];

/** `n` warm workers, started as needed. */
export function workers(n) {
  while (pool.length < n) {
    const w = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    w.postMessage({ type: 'warm' });
    pool.push(w);
  }
  return pool.slice(0, n);
}

/** Stop a worker and drop it from the pool (a failed or cancelled job's: the next job
 * gets a fresh one). */
export function retire(w) {
  w.terminate();
  const i = pool.indexOf(w);
  if (i >= 0) pool.splice(i, 1);
}

/** Send `job` to worker `w`; resolves with its result, rejects with its error message.
 * `onProgress` gets the progress it posts. A worker that crashes is retired. */
export function runJob(w, job, onProgress) {
  return new Promise((resolve, reject) => {
    w.onmessage = ({ data }) => {
      if (data.type === 'progress') onProgress?.(data.progress);
      if (data.type === 'done') resolve(data.result);
      if (data.type === 'error') reject(new Error(data.message));
    };
    w.onerror = (e) => {
      e.preventDefault?.();
      retire(w);
      reject(new Error(e.message || 'a worker failed'));
    };
    w.postMessage(job);
  });
}

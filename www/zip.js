// @ts-check
// The zips the page makes, with client-zip: entries are streamed into the zip (ZIP64 past
// 4 GB, where fflate wrote corrupt files) and the zip into a Blob, which the browser may
// keep on disk: no second copy of the output is built in JS memory.
import { downloadZip } from '/vendor/client-zip.js';

/**
 * A zip Blob of `files`: `[path, chunks]` pairs (chunks: Uint8Array[]). With `consume`,
 * each chunk is dropped from its list once in the zip, so the output is held once while
 * it is zipped, not twice.
 */
export function zipBlob(files, { consume = false } = {}) {
  const lastModified = new Date();
  const entries = files.map(([name, chunks]) => ({
    name,
    lastModified,
    size: chunks.reduce((n, c) => n + c.length, 0),
    input: consume
      ? (async function* take() { while (chunks.length) yield chunks.shift(); })()
      : new Blob(chunks),
  }));
  return downloadZip(entries).blob();
}

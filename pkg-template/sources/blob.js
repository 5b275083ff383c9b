// @ts-check
// Blob and File sources, read by slices.
import { fail, reason } from '../errors.js';

/** Blob/File reads are latency-bound (measured in Chromium: ~4 ms a round for 8 parallel
 * reads of 16 or 64 KiB alike, ~640 MB/s beyond), so each is extended forward to at least
 * this many bytes, the next blocks in file order (`minRead`, which the core's read planner
 * honours: src/reads.rs). */
const BLOB_MIN_READ = 256 << 10;

export function blobSource(blob, name) {
  const src = {
    name,
    size: blob.size,
    minRead: BLOB_MIN_READ,
    async read(o, n) {
      try {
        return new Uint8Array(await blob.slice(o, o + n).arrayBuffer());
      } catch (e) {
        throw fail(`${name}: cannot read the file: ${reason(e)}`);
      }
    },
    async close() {},
  };
  return src;
}

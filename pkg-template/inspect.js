// @ts-check
// inspectSource: a source's contigs, and the header and index bytes its open read (its
// `head`), which exports given the result start from instead of reading them again.

import { abortError, fail } from './errors.js';
import { using, translate } from './module.js';
import { makeSource, recorded, isBytes, isInspected } from './sources/index.js';
import { callSignal, checkSourceOptions, openSources, prime } from './driver.js';

/** Bytes an inspected source may carry for exports to start from (its header, chrom tree
 * and index as read by inspectSource); larger heads are not kept. */
const HEAD_LIMIT = 8 << 20;

/**
 * Read a source's header and chromosome list: `{ name, contigs: [{ name, length }] }`.
 * Only the header and chrom tree are fetched, and the index when it is at most 64 KiB
 * (a larger one is read by the export, only the nodes its regions need).
 * @param {import('./index.js').SourceInput} source
 * @param {Parameters<typeof import('./index.js').inspectSource>[1]} [opts]
 * @returns {Promise<import('./index.js').InspectedSource>}
 */
export async function inspectSource(source, opts = {}) {
  if (!opts || typeof opts !== 'object') throw fail('inspectSource: expected an options object');
  checkSourceOptions(opts);
  if (opts.signal?.aborted) throw abortError(opts.signal);
  const call = callSignal(opts.signal);
  /** @type {import('./sources/index.js').ByteSource | undefined} */
  let src;
  try {
    return await using(async (m) => {
      let session;
      // Keep what the open reads (not for in-memory bytes, which are there already), so that
      // exports given this object, in this thread or in workers, start without reading it again.
      const ranges = [];
      const given = isInspected(source) ? source.source : source;
      src = await makeSource(source, 0, opts);
      if (!isBytes(given)) src = recorded(src, ranges);
      try {
        session = new m.Session([src.name], 'raw', 'aos', 0, 0);
        prime(session, 0, src);
        await openSources(session, [src], call.signal);
        const contigs = session.contigs(0);
        let kept = 0;
        for (const [, b] of ranges) kept += b.length;
        // A URL's validators go with its head: an export finding them changed fails.
        const head = src.head ?? (ranges.length && kept <= HEAD_LIMIT && src.size != null
          ? { size: src.size, ranges, ...(src.version ? { version: src.version } : {}) } : null);
        return { name: src.name, contigs, source: given, head };
      } catch (e) {
        call.end();
        throw translate(e);
      } finally {
        try { session?.free(); } catch { /* discarded */ }
      }
    });
  } finally {
    call.end();
    await src?.close().catch(() => {});
  }
}

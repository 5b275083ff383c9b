// @ts-check
// Node file paths, read through one file handle.
import { BigwigNpyError, fail } from '../errors.js';
import { nodeImport, fsReason } from '../node.js';

export async function pathSource(path, name) {
  const fs = await nodeImport('node:fs/promises');
  let fh;
  try {
    fh = await fs.open(path, 'r');
    const st = await fh.stat();
    if (st.isDirectory()) throw Object.assign(new Error('is a directory, not a bigWig file'), { code: 'EISDIR' });
    const size = st.size;
    const src = {
      name,
      size,
      readsInto: true,
      /** Into `into` when given and long enough (the caller uses it again once the bytes
       * are consumed), else a fresh buffer. */
      async read(o, n, signal, into) {
        const buf = into && into.length >= n ? into.subarray(0, n) : new Uint8Array(n);
        let done = 0;
        while (done < n) {
          const { bytesRead } = await fh.read(buf, done, n - done, o + done);
          if (bytesRead === 0) throw fail(`${name}: file ended early (changed while reading?)`);
          done += bytesRead;
        }
        return buf;
      },
      async close() { await fh.close(); },
    };
    return src;
  } catch (e) {
    await fh?.close();
    if (e instanceof BigwigNpyError) throw e;
    throw fail(`${name}: cannot open: ${e.code === 'EISDIR' ? 'is a directory, not a bigWig file' : fsReason(e)}`);
  }
}

// @ts-check
// Node-only helpers, imported lazily so browsers and bundlers never load node: modules.

import { fail, reason, printable, describe } from './errors.js';

export const IS_NODE = typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';

// Hidden from bundlers: only Node ever takes these paths.
export const nodeImport = (name) => import(/* webpackIgnore: true */ /* @vite-ignore */ name);

const nodeEvents = IS_NODE ? await nodeImport('node:events') : null;

/** No MaxListenersExceededWarning for `target` in Node: an export's own signal has a
 * listener for each request under way (16 at once), past Node's threshold of 10. */
export function unlimitedListeners(target) {
  nodeEvents?.setMaxListeners(0, target);
}

/** Node's file-system errors as the short phrases a shell prints. */
export function fsReason(e) {
  const known = {
    ENOENT: 'No such file or directory', EACCES: 'Permission denied', EPERM: 'Operation not permitted',
    EROFS: 'Read-only file system', ENOSPC: 'No space left on device', EDQUOT: 'Disk quota exceeded',
    ENOTDIR: 'Not a directory', EISDIR: 'Is a directory', EEXIST: 'File exists', ENOTEMPTY: 'Directory not empty',
    EMFILE: 'Too many open files', ENAMETOOLONG: 'File name too long', EIO: 'Input/output error', ELOOP: 'Too many levels of symbolic links',
  };
  return known[e?.code] ?? reason(e);
}

/** An output path as Node's fs takes one: a string is a path, as given (`'file:...'` too,
 * as fs reads it), and a URL object must be a `file:` URL. Anything else is an InputError
 * naming `what`. */
export async function outputPath(v, what) {
  if (typeof v === 'string') return v;
  if (v instanceof URL || (typeof v?.href === 'string' && typeof v?.protocol === 'string')) {
    if (v.protocol !== 'file:') throw fail(`${what}: expected a path or a file: URL, got ${printable(v.href)}`);
    const { fileURLToPath } = await nodeImport('node:url');
    try {
      return fileURLToPath(String(v.href));
    } catch (e) {
      throw fail(`${what}: ${printable(v.href)}: ${reason(e)}`);
    }
  }
  throw fail(`${what}: expected a path or a file: URL, got ${describe(v)}`);
}

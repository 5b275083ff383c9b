// Node-only helpers, imported lazily so browsers and bundlers never load node: modules.

import { reason } from './errors.js';

export const IS_NODE = typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';

// Hidden from bundlers: only Node ever takes these paths.
export const nodeImport = (name) => import(/* webpackIgnore: true */ /* @vite-ignore */ name);

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

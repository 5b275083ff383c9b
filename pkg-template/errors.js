// @ts-check
// Errors of the package: one line each, naming the input they are about.

export class BigwigNpyError extends Error {
  /**
   * @param {string} message
   * @param {import('./index.js').BigwigNpyError['kind']} [kind]
   */
  constructor(message, kind) {
    super(message);
    this.name = kind === 'MaxMemError' ? 'MaxMemError' : 'BigwigNpyError';
    this.kind = kind ?? 'InputError';
  }
}

export function fail(message, kind) {
  return new BigwigNpyError(message, kind);
}

/** What an aborted operation rejects with: the signal's reason as given (as fetch does). */
export function abortError(signal) {
  return signal?.reason !== undefined ? signal.reason : new DOMException('The export was aborted', 'AbortError');
}

/** `s` with control characters, BOMs and line separators escaped, so a name can neither
 * break a message over lines nor hide in it. */
export function printable(s) {
  return String(s).replace(/[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]/g, (c) => {
    const h = c.charCodeAt(0).toString(16).toUpperCase();
    return c.charCodeAt(0) < 0x100 ? `\\x${h.padStart(2, '0')}` : `\\u${h.padStart(4, '0')}`;
  });
}

/** A short description of an unexpected value, for messages ("a string", "an Object"). */
export function describe(x) {
  if (x === null || x === undefined) return String(x);
  if (typeof x !== 'object' && typeof x !== 'function') return /^[aeiou]/.test(typeof x) ? `an ${typeof x}` : `a ${typeof x}`;
  const name = typeof x === 'function' ? 'function' : (x.constructor?.name || 'object');
  return /^[aeiouAEIOU]/.test(name) ? `an ${name}` : `a ${name}`;
}

/** The first line of an error's message, with its cause's when that says more. */
export function reason(e) {
  const m = e?.cause?.message ?? e?.message ?? String(e);
  return printable(String(m).split('\n')[0]);
}

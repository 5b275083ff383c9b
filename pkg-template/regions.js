// @ts-check
// Regions handed to the core: BED text or bytes, or parallel arrays, in pieces the driver
// yields between. The core parses and checks them (one owner for BED rules).

import { fail, printable, describe } from './errors.js';
import { isBytes } from './sources/index.js';

/** Region coordinates as numbers: integers (numbers or bigints) only, no coercion of
 * strings, null or booleans (Number('') is 0, Number('0x1388') is 5000). `first` is the
 * index of `list[from]` among all regions, for messages. */
export function coordinates(list, what, from = 0, to = list.length) {
  const out = new Float64Array(to - from);
  for (let i = from; i < to; i++) {
    const v = list[i];
    const x = typeof v === 'bigint' && v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : v;
    if (typeof x !== 'number' || !Number.isSafeInteger(x)) {
      const shown = typeof v === 'string' ? JSON.stringify(printable(v)) : typeof v === 'number' || typeof v === 'bigint' ? String(v) : describe(v);
      throw fail(`regions index ${i}: ${what} ${shown} is not an integer`);
    }
    out[i - from] = x;
  }
  return out;
}

/** BED bytes (or characters) and array entries handed to the core per call: small enough
 * that the driver can yield between pieces (a 10M-line BED is seconds of parsing). */
const BED_PIECE = 1 << 20;
const ARRAY_PIECE = 1 << 16;

/** Give the session (or a dataset plan: the same three methods) its regions, piece by
 * piece, yielding to the event loop by time. */
export async function setRegions(session, regions, pacer) {
  if (typeof regions === 'string') {
    const enc = new TextEncoder();
    let at = 0;
    do {
      let end = Math.min(regions.length, at + BED_PIECE);
      // Never split a surrogate pair: each half alone would encode as U+FFFD.
      const c = regions.charCodeAt(end - 1);
      if (end < regions.length && c >= 0xd800 && c <= 0xdbff) end += 1;
      session.feedRegionsBed('regions', enc.encode(regions.slice(at, end)));
      at = end;
      await pacer.tick();
    } while (at < regions.length);
    return session.finishRegions();
  }
  if (isBytes(regions)) {
    const u8 = regions instanceof ArrayBuffer ? new Uint8Array(regions) : new Uint8Array(regions.buffer, regions.byteOffset, regions.byteLength);
    let at = 0;
    do {
      session.feedRegionsBed('regions', u8.subarray(at, at + BED_PIECE));
      at += BED_PIECE;
      await pacer.tick();
    } while (at < u8.length);
    return session.finishRegions();
  }
  const { contigs, starts, ends } = regions;
  if (!contigs || !starts || !ends) throw fail('regions: expected BED text, BED bytes or { contigs, starts, ends }');
  if (contigs.length !== starts.length || starts.length !== ends.length) {
    throw fail(`regions: contigs, starts and ends differ in length (${contigs.length}, ${starts.length}, ${ends.length})`);
  }
  let at = 0;
  do {
    const to = Math.min(contigs.length, at + ARRAY_PIECE);
    const names = new Array(to - at);
    for (let i = at; i < to; i++) {
      const c = contigs[i];
      if (typeof c !== 'string') throw fail(`regions index ${i}: contig ${describe(c)} is not a string`);
      names[i - at] = c;
    }
    session.addRegionArrays(names, coordinates(starts, 'start', at, to), coordinates(ends, 'end', at, to));
    at = to;
    await pacer.tick();
  } while (at < contigs.length);
  return session.finishRegions();
}

// @ts-check
// The Node host of atomic output, as the CLI's (src/native/atomic.rs, sweep.rs): the Rust
// core decides through wasm (names, the owner record, who is gone, what may be replaced,
// the messages); this file only looks at the file system and acts. A run writes into a
// staging directory with an owner record beside it, touched every heartbeat (Node has no
// file locks); it commits by setting aside what is at the target, looking at what it set
// aside, and moving its own in, again when another run's output landed meanwhile (the
// last wins); it sweeps what dead runs left, the CLI's too, and the CLI sweeps its.

import { fail, printable } from '../errors.js';
import { nodeImport, fsReason } from '../node.js';

const outputError = (p, e) => fail(`${printable(p)}: cannot write output: ${fsReason(e)}`, 'OutputError');

/** What this machine is: its boot and pid namespace ids, empty without /proc (the core
 * then judges records by their age). */
async function here(fs) {
  const bootId = (await fs.readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => '')).trim();
  const pidNs = await fs.readlink('/proc/self/ns/pid').catch(() => '');
  return { bootId, pidNs };
}

/** What is at `p`, as the core's `may_replace` takes it (`marker`: the file that makes a
 * directory a dataset). Another run may move what is there while it is looked at: the
 * directory is listed once, and looked at again when it went meanwhile, so a moment's
 * absence is never taken for the user's directory. */
async function inspect(fs, path, marker, p) {
  const gone = (e) => e.code === 'ENOENT' || e.code === 'ENOTDIR';
  for (let i = 0; i < 8; i++) {
    const st = await fs.lstat(p).catch(() => null);
    if (!st) return 'missing';
    if (!st.isDirectory()) return 'file';
    const names = await fs.readdir(p).catch((e) => e);
    if (names instanceof Error) {
      if (gone(names)) continue;
      return 'otherDir';
    }
    if (names.length === 0) return 'emptyDir';
    if (!names.includes(marker)) return 'otherDir';
    const m = await fs.stat(path.join(p, marker)).catch((e) => e);
    if (m instanceof Error && gone(m)) continue;
    return m instanceof Error || !m.isFile() ? 'otherDir' : 'ours';
  }
  return 'otherDir';
}

async function ageMs(fs, p) {
  const st = await fs.stat(p).catch(() => null);
  // A clock ahead of ours (another machine's) makes a fresh record, not a stale one.
  return st ? Math.max(0, Date.now() - st.mtimeMs) : undefined;
}

/** Remove a tree; concurrent sweepers may remove parts of it at the same time. */
const removeTree = (fs, p) => fs.rm(p, { recursive: true, force: true, maxRetries: 3 }).catch(() => {});

/** Claim `entry` of `parent` (target `name`) under a stale name, then remove it: a run that
 * was only paused can never move a half-removed directory into place. */
async function claimAndRemove(fs, path, m, parent, entry, name) {
  const claimed = path.join(parent, m.atomicName('stale', name, newToken(m)));
  if (await fs.rename(path.join(parent, entry), claimed).then(() => true, () => false)) await removeTree(fs, claimed);
}

function newToken(m) {
  return m.atomicToken(process.pid, (Math.random() * 2 ** 32) >>> 0);
}

/** Remove what dead runs left in `parent`: staging directories and their owner records,
 * sweepers' claims, and targets set aside mid-commit (put back where their run died
 * before moving its output in). */
export async function sweep(m, fs, path, parent) {
  let names;
  try { names = await fs.readdir(parent); } catch { return; }
  const me = await here(fs);
  const proc = await fs.access('/proc/self').then(() => true, () => false);
  const entries = names.map((e) => ({ entry: e, ...m.atomicParse(e) })).filter((e) => e.kind);
  const gone = async (name, token, entry, pid) => {
    const owner = path.join(parent, m.atomicName('owner', name, token));
    const record = await fs.readFile(owner, 'utf8').catch(() => null);
    const ev = {};
    if (record !== null) {
      Object.assign(ev, { record, ageMs: await ageMs(fs, owner) });
      const local = m.atomicLocalPid(me, record);
      if (local !== undefined) ev.pidStat = await fs.readFile(`/proc/${local}/stat`, 'utf8').catch(() => undefined);
    } else {
      // An older version's entry: its pid is all there is.
      ev.ageMs = await ageMs(fs, path.join(parent, entry));
      if (proc && pid != null) ev.pidExists = await fs.access(`/proc/${pid}`).then(() => true, () => false);
    }
    return m.atomicOwnerGone(me, ev);
  };
  const owners = entries.filter((e) => e.kind === 'owner');
  // Set-aside targets first: their run's record says whose they are, and the staging pass
  // below removes dead runs' records.
  for (const e of entries.filter((x) => x.kind === 'aside')) {
    const run = m.atomicRunOfAside(e.token, owners.filter((o) => o.name === e.name).map((o) => o.token)) ?? e.token;
    if (!(await gone(e.name, run, e.entry, e.pid))) continue;
    const target = path.join(parent, e.name);
    // Its run died between moving the old target aside and moving the new one in.
    if (!(await fs.lstat(target).catch(() => null)) && await fs.rename(path.join(parent, e.entry), target).then(() => true, () => false)) continue;
    await claimAndRemove(fs, path, m, parent, e.entry, e.name);
  }
  for (const e of entries) {
    if (e.kind === 'stale') {
      await removeTree(fs, path.join(parent, e.entry));
    } else if (e.kind === 'staging' && await gone(e.name, e.token, e.entry, e.pid)) {
      await claimAndRemove(fs, path, m, parent, e.entry, e.name);
      await fs.unlink(path.join(parent, m.atomicName('owner', e.name, e.token))).catch(() => {});
    }
  }
  for (const o of owners) {
    const staging = m.atomicName('staging', o.name, o.token);
    if (await fs.lstat(path.join(parent, staging)).then(() => false, () => true) && await gone(o.name, o.token, staging, o.pid)) {
      await fs.unlink(path.join(parent, o.entry)).catch(() => {});
    }
  }
}

/** Before any work: what dead runs left next to `out` is swept (a target one of them had
 * set aside is put back), then whether `out` may be replaced. */
export async function checkTarget(m, out, overwrite) {
  const fs = await nodeImport('node:fs/promises');
  const path = await nodeImport('node:path');
  await sweep(m, fs, path, path.dirname(out));
  const why = m.atomicMayReplace(await inspect(fs, path, m.atomicConfig().marker, out), overwrite);
  if (why !== undefined) throw fail(`${printable(out)}: ${why}`, 'OutputError');
}

/** A staging directory for `out` (whose parent exists), its owner record written first
 * and touched every heartbeat until `commit` or `discard`. Errors name `out`. */
export async function createStaging(m, out) {
  const fs = await nodeImport('node:fs/promises');
  const path = await nodeImport('node:path');
  const parent = path.dirname(out);
  const name = path.basename(out);
  const token = newToken(m);
  const dir = path.join(parent, m.atomicName('staging', name, token));
  const owner = path.join(parent, m.atomicName('owner', name, token));
  const record = m.atomicOwnerRecord(await here(fs), process.pid, await fs.readFile('/proc/self/stat', 'utf8').catch(() => ''));
  // The record first: a staging directory without one looks like an older version's.
  await fs.writeFile(owner, record, { flag: 'wx' }).catch(async (e) => {
    await fs.unlink(owner).catch(() => {});
    throw outputError(out, e);
  });
  const now = () => new Date();
  const beat = setInterval(() => { fs.utimes(owner, now(), now()).catch(() => {}); }, m.atomicConfig().heartbeatMs);
  beat.unref?.(); // never what keeps Node alive
  const s = { fs, path, m, out, parent, name, token, dir, owner, beat };
  await fs.mkdir(dir).catch(async (e) => {
    await discard(s);
    throw outputError(out, e);
  });
  return s;
}

/** Remove a staging directory that will not be committed, then its owner record. */
export async function discard(s) {
  clearInterval(s.beat);
  await removeTree(s.fs, s.dir);
  await s.fs.unlink(s.owner).catch(() => {});
}

/** What a rename fails with when something is at its destination. */
const OCCUPIED = new Set(['ENOTEMPTY', 'EEXIST', 'ENOTDIR', 'EISDIR']);

/** Move staging `s` into place; what is at the target is looked at when it is set aside
 * and replaced only if it may be then. Another run's output landing at the same moment
 * makes it try again (the last one wins, whole), a bounded number of times. */
export async function commit(s, overwrite) {
  const { fs, path, m, out, parent, name, token } = s;
  const refuse = (why) => fail(m.atomicChangedUnderUs(out, why), 'OutputError');
  const moved = (e) => fail(`${printable(out)}: cannot move the dataset into place: ${fsReason(e)}`, 'OutputError');
  const { marker } = m.atomicConfig();
  const look = (p) => inspect(fs, path, marker, p);
  // Everything set aside so far; the first is what was there when the commit began.
  const asides = [];
  const giveUp = async (err) => {
    // Older ones were other runs' whole datasets that a later one replaced anyway; the
    // newest goes back, unless another run's landed meanwhile (it replaced this one).
    const last = asides.pop();
    for (const a of asides) await claimAndRemove(fs, path, m, parent, path.basename(a), name);
    if (last && !(await fs.rename(last, out).then(() => true, () => false))) {
      if (await look(out) === 'ours') await claimAndRemove(fs, path, m, parent, path.basename(last), name);
      else err.message += `; what was there is at ${printable(last)} now`;
    }
    throw err;
  };
  for (let attempt = 0; attempt < 64; attempt++) {
    const found = await look(out);
    const why = m.atomicMayReplace(found, overwrite);
    if (why !== undefined) return giveUp(refuse(why));
    if (found !== 'missing') {
      const old = path.join(parent, m.atomicName('aside', name, token, attempt));
      const e = await fs.rename(out, old).then(() => null, (err) => err);
      if (!e) {
        // What was moved is what gets replaced: it must be replaceable now.
        const now = m.atomicMayReplace(await look(old), overwrite);
        if (now !== undefined) {
          const err = refuse(now);
          if (!(await fs.rename(old, out).then(() => true, () => false))) err.message += `; it is at ${printable(old)} now`;
          return giveUp(err);
        }
        asides.push(old);
      } else if (e.code !== 'ENOENT') {
        // ENOENT: gone since we looked, nothing to set aside.
        return giveUp(moved(e));
      }
    }
    const e = await fs.rename(s.dir, out).then(() => null, (err) => err);
    if (!e) {
      clearInterval(s.beat);
      for (const a of asides) await claimAndRemove(fs, path, m, parent, path.basename(a), name);
      await fs.unlink(s.owner).catch(() => {});
      return;
    }
    // Something is at the target (a rename never replaces a directory that is not empty):
    // another run's output landed in between, and may have been set aside again since.
    // Look again: go on if it may be replaced now.
    if (!OCCUPIED.has(e.code)) return giveUp(moved(e));
    const now = m.atomicMayReplace(await look(out), overwrite);
    if (now !== undefined) return giveUp(refuse(now));
  }
  return giveUp(fail(m.atomicBusy(out), 'OutputError'));
}

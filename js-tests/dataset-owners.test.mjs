// What killed exports leave (issue 21): exportDatasetToDir writes the CLI's owner record
// beside its staging directory and sweeps by the Rust core's judgement of such records
// (boot id, pid namespace, pid start time, heartbeat), never by a pid alone, so a Node
// export killed as pid 1 (a container's) is swept too; the CLI and the npm package each
// sweep what the other left, and put back a target a dead run had set aside.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { exportDatasetToDir } from '../pkg/index.js';
import { DATA, readTree } from './helpers.mjs';
import { CLI, CAN_UNSHARE, SEED, bigBed, hiddenIn, snapshot, copyTree, waitMidRun, killTree, nodeExport, start, cliArgs } from './atomic-helpers.mjs';

let tmp;
before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bwnpy-owners-')); });
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const NAMED = path.join(DATA, 'gvl2', 'named_bed6');
const BED = path.join(NAMED, 'regions.bed');
const bed = fs.readFileSync(BED, 'utf8');
const tracks = { sig: SEED };
const PROC = fs.existsSync('/proc/self/stat');

/** A process's start time, `/proc/PID/stat` field 22 (after the command name). */
const startOf = (pid) => {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
};
const BOOT = PROC ? fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() : '';
const NS = PROC ? fs.readlinkSync('/proc/self/ns/pid') : '';
const PID_MAX = PROC ? Number(fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8')) : 4194304;

/** A staging directory `.NAME.partial-TOKEN` with an owner record as the CLI writes one,
 * last touched `ageS` seconds ago; returns its name. */
function staging(dir, name, token, { boot = BOOT, ns = NS, pid, start, ageS = 0 }) {
  const entry = `.${name}.partial-${token}`;
  fs.mkdirSync(path.join(dir, entry, 'intervals'), { recursive: true });
  const owner = path.join(dir, `${entry}.owner`);
  fs.writeFileSync(owner, JSON.stringify({ boot_id: boot, pid_ns: ns, pid, start, tool: 'test', locks: false }));
  const when = new Date(Date.now() - ageS * 1000);
  fs.utimesSync(owner, when, when);
  return entry;
}

const record = (dir, entry) => JSON.parse(fs.readFileSync(path.join(dir, `${entry}.owner`), 'utf8'));

test('leftovers are judged by their owner record (machine, pid namespace, start time, heartbeat), not by a pid', { skip: !PROC && 'no /proc' }, async () => {
  const t = path.join(tmp, 'judged');
  fs.mkdirSync(t);
  const me = process.pid;
  const dead = PID_MAX + 1;
  const pid1Later = startOf(1) + 1;
  const gone = [
    // Older versions' names, without records: a pid that cannot exist.
    `.x.gvl.partial-${dead}`,
    `.y.gvl.partial-${dead}-abc123`,
    // Pid 1 here, but a later process than the one that wrote it: a container's first
    // process, killed, then run again.
    staging(t, 'x.gvl', '1-aaaaaaaa', { pid: 1, start: pid1Later }),
    // This very pid, but not this process.
    staging(t, 'x.gvl', `${me}-bbbbbbbb`, { pid: me, start: startOf(me) + 1 }),
    // Another machine whose heartbeat stopped 10 minutes ago.
    staging(t, 'x.gvl', '8-dddddddd', { boot: 'another-boot', pid: 8, start: 1, ageS: 600 }),
    // Another container on this machine, its heartbeat stopped.
    staging(t, 'x.gvl', '3-cccccccc', { ns: 'pid:[1]', pid: 3, start: 1, ageS: 600 }),
    // A sweeper's claim.
    '.x.gvl.stale-5-ffff',
  ];
  for (const g of [gone[0], gone[1], gone[6]]) fs.mkdirSync(path.join(t, g, 'intervals'), { recursive: true });
  // A record whose staging directory is gone already, its owner dead.
  fs.writeFileSync(path.join(t, '.x.gvl.partial-1-99999999.owner'), JSON.stringify({ boot_id: BOOT, pid_ns: NS, pid: 1, start: pid1Later, tool: 't', locks: true }));
  const kept = [
    // An older version's, its process alive (this one).
    `.x.gvl.partial-${me}`,
    // This process: alive, however old its heartbeat.
    staging(t, 'x.gvl', `${me}-eeeeeeee`, { pid: me, start: startOf(me), ageS: 999 }),
    // Another machine (a requeued cluster job on a shared file system), heartbeat fresh.
    staging(t, 'x.gvl', '7-eeeeeeee', { boot: 'another-boot', pid: 7, start: 1, ageS: 5 }),
    // Another container on this machine (its own pid namespace), heartbeat fresh.
    staging(t, 'x.gvl', '1-gggggggg', { ns: 'pid:[1]', pid: 1, start: 1, ageS: 5 }),
    // The user's, not ours.
    '.x.gvl.notes',
    '.partial-1',
  ];
  for (const k of [kept[0], kept[4], kept[5]]) fs.mkdirSync(path.join(t, k));
  await exportDatasetToDir({ regions: bed, tracks, outDir: path.join(t, 'x.gvl') });
  const owners = kept.slice(1, 4).map((k) => `${k}.owner`);
  assert.deepEqual(hiddenIn(t), [...kept, ...owners].sort(), 'the dead runs\' entries and records went, the rest stayed');
  assert.ok(readTree(path.join(t, 'x.gvl'))['metadata.json']);
});

test('a target a dead run had set aside is put back, by the npm package and by the CLI', { skip: !PROC && 'no /proc' }, async () => {
  const old = path.join(NAMED, 'dataset.gvl');
  for (const who of ['node', 'cli']) {
    const t = path.join(tmp, `aside-${who}`);
    fs.mkdirSync(t);
    // Pid 1 (here, but a later process) died between setting the old dataset aside (its
    // first attempt) and moving its own in.
    copyTree(old, path.join(t, '.x.gvl.old-1-aaaaaaaa0'));
    staging(t, 'x.gvl', '1-aaaaaaaa', { pid: 1, start: startOf(1) + 1 });
    const out = path.join(t, 'x.gvl');
    if (who === 'node') {
      await assert.rejects(exportDatasetToDir({ regions: bed, tracks, outDir: out }), { message: `${out}: already exists; pass overwrite: true to replace it` });
    } else {
      const r = spawnSync(CLI, cliArgs(t, BED, out), { encoding: 'utf8' });
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /x\.gvl: already exists; pass --overwrite to replace it\n$/);
    }
    assert.deepEqual(snapshot(out), snapshot(old), `${who}: the old dataset is back`);
    assert.deepEqual(hiddenIn(t), [], `${who}: nothing hidden left`);
  }
});

test('a Node export killed as pid 1 (a container\'s) leaves a staging directory that is swept once its heartbeat is stale', { skip: !PROC && 'no /proc' }, async () => {
  const t = path.join(tmp, 'pid1');
  fs.mkdirSync(t);
  const big = bigBed(t, 12000);
  const out = path.join(t, 'k.gvl');
  const child = nodeExport(t, big, out, true);
  await waitMidRun(child, t, '.k.gvl.partial-');
  killTree(child);
  await child.exited;
  const left = hiddenIn(t);
  const entry = left.find((e) => !e.endsWith('.owner'));
  assert.deepEqual(left, [entry, `${entry}.owner`], 'the kill left a staging directory and its record');
  const owner = record(t, entry);
  assert.equal(owner.locks, false);
  assert.match(owner.tool, /^bigwig-npy .* \(npm package\)$/);
  if (CAN_UNSHARE) assert.equal(owner.pid, 1, 'it ran as pid 1');
  else assert.equal(owner.pid, child.pid);
  if (CAN_UNSHARE) {
    // Another pid namespace with a fresh heartbeat: it may still be running.
    await exportDatasetToDir({ regions: bed, tracks, outDir: out, overwrite: true });
    assert.deepEqual(hiddenIn(t), left, 'kept while its heartbeat is fresh');
    // A minute without a heartbeat: gone. The same command again, as pid 1 again.
    const when = new Date(Date.now() - 120000);
    fs.utimesSync(path.join(t, `${entry}.owner`), when, when);
  }
  const again = nodeExport(t, BED, out, true);
  assert.deepEqual(await again.exited, { code: 0, signal: null }, again.stderrText);
  assert.deepEqual(hiddenIn(t), [], 'the rerun removed the leftovers');
  assert.ok(readTree(out)['metadata.json']);
});

test('the CLI and the npm package sweep what the other left when killed mid-run', { skip: !PROC && 'no /proc' }, async () => {
  const t = path.join(tmp, 'both');
  fs.mkdirSync(t);
  const big = bigBed(t, 12000);
  // The CLI killed: its record holds a lock nobody holds now; Node cannot test locks and
  // judges it by its pid's start time (this machine, this pid namespace).
  const out = path.join(t, 'c.gvl');
  const cli = start(CLI, cliArgs(t, big, out, ['--threads', '1']));
  await waitMidRun(cli, t, '.c.gvl.partial-');
  killTree(cli);
  await cli.exited;
  const left = hiddenIn(t);
  assert.equal(left.length, 2, left.join(', '));
  assert.equal(record(t, left[0]).locks, true);
  await exportDatasetToDir({ regions: bed, tracks, outDir: out, overwrite: true });
  assert.deepEqual(hiddenIn(t), [], 'Node swept the CLI\'s leftovers');
  // Node killed: the CLI judges its record (no lock) by its pid's start time.
  const node = nodeExport(t, big, out);
  await waitMidRun(node, t, '.c.gvl.partial-');
  killTree(node);
  await node.exited;
  const nodeLeft = hiddenIn(t);
  assert.equal(nodeLeft.length, 2, nodeLeft.join(', '));
  assert.equal(record(t, nodeLeft[0]).locks, false);
  const r = spawnSync(CLI, cliArgs(t, BED, out, ['--overwrite']), { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(hiddenIn(t), [], 'the CLI swept Node\'s leftovers');
  assert.ok(readTree(out)['metadata.json']);
});

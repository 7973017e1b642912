// Density bench: starts small busybox sleeper groups in batches (4 creates in flight) until the
// target count (500; --smoke 5; OPENECI_BENCH_DENSITY_GROUPS overrides) or until the machine is
// short of memory, and after each batch records:
//   * the control plane's memory: VmRSS of the openeci process (/proc/<pid>/status);
//   * containerd's and the shims' memory: sum of RSS and PSS (/proc/<pid>/smaps_rollup) of this
//     stack's containerd and containerd-shim* processes;
//   * the batch's create rate (groups Running per second) and each group's create → Running.
// Then deletes every group and checks that containerd holds nothing of them any more.
//
//   node bench/density.mjs [--smoke] [--out FILE]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { REPO_ROOT, groupCgroupDirs, sleep } from '../tests/integration/lib/stack.mjs';
import { pidsMentioning } from '../tests/integration/lib/reap.mjs';
import { parseArgs, row, writeResult } from './lib/stats.mjs';
import {
  POLL_MS, createToRunning, inParallel, patientClient, serverBinary, withStack,
} from './lib/groups.mjs';

const args = parseArgs('density');
const TARGET = Number(process.env.OPENECI_BENCH_DENSITY_GROUPS ?? (args.smoke ? 5 : 500));
const BATCH = args.smoke ? TARGET : 50;
const IN_FLIGHT = 4;
// Creates that may fail (Failed or not Running in time, e.g. on an overloaded machine) before
// the bench stops adding groups.
const MAX_FAILURES = Math.max(2, Math.ceil(TARGET * 0.02));
// Stop adding groups when the machine has less than this available (it is shared).
const MIN_AVAILABLE_KIB = Math.max(2 * 2 ** 20, (os.totalmem() / 1024) * 0.1);

// One "Key:   123 kB" figure of a /proc file, in KiB (0 when the process is gone).
function procKib(file, key) {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(file, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

const memAvailableKib = () => procKib('/proc/meminfo', 'MemAvailable');

function comm(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

// This stack's containerd and shims: their command lines name its state directory.
function runtimePids(stack) {
  return pidsMentioning(stack.dir).filter((pid) => /^containerd(-shim.*)?$/.test(comm(pid)));
}

function sampleMemory(stack) {
  const pids = runtimePids(stack);
  return {
    openeciKib: procKib(`/proc/${stack.server.pid}/status`, 'VmRSS'),
    runtimeRssKib: pids.reduce((a, p) => a + procKib(`/proc/${p}/status`, 'VmRSS'), 0),
    runtimePssKib: pids.reduce((a, p) => a + procKib(`/proc/${p}/smaps_rollup`, 'Pss'), 0),
    shims: pids.filter((p) => comm(p).startsWith('containerd-shim')).length,
  };
}

const mib = (kib) => Number((kib / 1024).toFixed(1));

await withStack('density', {
  // Room for 500 groups: addresses, the per-account quota, and vCPU admission (0.25 each).
  OPENECI_SUBNET: '10.77.0.0/22',
  OPENECI_GROUP_QUOTA: '0',
  OPENECI_CPU_OVERCOMMIT: '1000',
  OPENECI_MEMORY_OVERCOMMIT: '100',
}, async (stack) => {
  const notes = [];
  const ids = []; // groups Running
  const latencies = [];
  const rates = [];
  const failures = []; // creates that ended Failed or timed out (deleted at once)
  const memory = [{ groups: 0, ...sampleMemory(stack) }];
  let attempts = 0;
  let stopReason = `reached the target of ${TARGET}`;

  while (ids.length < TARGET) {
    if (memAvailableKib() < MIN_AVAILABLE_KIB) {
      stopReason = `stopped at ${ids.length}: MemAvailable under ${mib(MIN_AVAILABLE_KIB)} MiB`;
      break;
    }
    const before = ids.length;
    const t0 = performance.now();
    await inParallel([...Array(Math.min(BATCH, TARGET - ids.length)).keys()], IN_FLIGHT, async () => {
      if (failures.length > MAX_FAILURES) return;
      const name = `bench-density-${attempts++}`;
      try {
        const r = await createToRunning(stack, stack.groupRequest(name));
        ids.push(r.id);
        latencies.push(r.ms);
      } catch (e) {
        // Why it failed, short: the containers' state messages when the group is Failed.
        const why = (e.group?.containers ?? []).map((c) => c.currentState?.message).filter(Boolean);
        failures.push(why.length ? `${e.groupId}: ${why.join('; ')}` : e.message);
        console.error(`# density: ${name} did not start: ${e.message}`);
        if (e.groupId) await stack.delete(e.groupId, patientClient(stack)).catch(() => {});
      }
    });
    const added = ids.length - before;
    if (added > 0) {
      const rate = added / ((performance.now() - t0) / 1000);
      rates.push([ids.length, Number(rate.toFixed(2))]);
      memory.push({ groups: ids.length, ...sampleMemory(stack) });
      console.error(`# density: ${ids.length} groups, ${rate.toFixed(2)} groups/s, openeci ` +
        `${mib(memory.at(-1).openeciKib)} MiB, containerd+shims ${mib(memory.at(-1).runtimePssKib)} MiB PSS`);
    }
    if (failures.length > MAX_FAILURES) {
      stopReason = `stopped at ${ids.length}: ${failures.length} creates did not reach Running`;
      break;
    }
  }
  console.error(`# density: ${stopReason}`);
  notes.push(`Groups: ${stopReason}.`);
  if (failures.length) {
    notes.push(`${failures.length} of ${attempts} creates did not reach Running (deleted at once; ` +
      `the bench goes on up to ${MAX_FAILURES}); the first: ${failures[0].slice(0, 400)}`);
  }

  // Delete them all (the API stops listing a group at once, the runtime tears it down after),
  // then wait until containerd holds nothing of them: no containers, tasks or shims.
  const t0 = performance.now();
  const client = patientClient(stack);
  const listed = async () => (await stack.listAll(client)).map((g) => g.containerGroupId);
  const created = [...new Set([...stack.groups, ...await listed()])];
  await inParallel(created, 8, (id) => stack.delete(id, client).catch(() => {}));
  const lines = async (cmd) => (await stack.ctr([cmd, 'ls', '-q'])).split('\n').filter(Boolean).length;
  const leftovers = async () => ({
    listed: (await listed()).length,
    containers: await lines('containers'),
    tasks: await lines('tasks'),
    shims: runtimePids(stack).filter((p) => comm(p).startsWith('containerd-shim')).length,
    cgroups: created.filter((id) => groupCgroupDirs(id).length > 0).length,
  });
  const deadline = Date.now() + 120000 + 500 * ids.length;
  let left = await leftovers();
  const total = (l) => l.listed + l.containers + l.tasks + l.shims + l.cgroups;
  while (total(left) > 0 && Date.now() < deadline) {
    await sleep(500);
    left = await leftovers().catch((e) => {
      console.error(`# density: looking for leftovers: ${e.message}`);
      return left;
    });
  }
  const deleteSeconds = (performance.now() - t0) / 1000;
  notes.push(`Delete all ${created.length}: ${deleteSeconds.toFixed(1)} s until nothing was left ` +
    `of them (or the wait gave up); left then: ${left.listed} listed groups, ${left.containers} ` +
    `containerd containers, ${left.tasks} tasks, ${left.shims} shims, ${left.cgroups} groups ` +
    'with pod cgroups.');

  if (ids.length === 0) throw new Error(`no group reached Running: ${failures[0]}`);
  const base = memory[0];
  const end = memory.at(-1);
  const count = end.groups || 1;
  const perGroup = (field, label) => ({
    case: label, n: end.groups, unit: 'KiB/group',
    p50: Number(((end[field] - base[field]) / count).toFixed(1)), p90: null, p99: null,
    baseline: null, ratio: null, goal: null, met: null,
    extra: { before_mib: mib(base[field]), after_mib: mib(end[field]) },
  });
  const rows = [
    row(`create → Running per group (${IN_FLIGHT} in flight)`, latencies),
    row(`create rate per batch of ${BATCH} (groups Running / s)`, rates.map(([, r]) => r),
      { unit: 'groups/s' }),
    perGroup('openeciKib', 'openeci RSS per group (control plane)'),
    perGroup('runtimeRssKib', 'containerd + shims RSS per group'),
    perGroup('runtimePssKib', 'containerd + shims PSS per group'),
    { case: 'creates that did not reach Running', n: Math.max(attempts, 1), unit: '',
      p50: failures.length, p90: null, p99: null, baseline: null, ratio: null, goal: null,
      met: null },
    { case: 'left after deleting all (groups, containers, tasks, shims, cgroups)',
      n: Math.max(created.length, 1),
      unit: '', p50: total(left), p90: null, p99: null,
      baseline: null, ratio: null, goal: 'none left', met: total(left) === 0,
      extra: { delete_all_s: Number(deleteSeconds.toFixed(1)) } },
  ];
  notes.push(
    `Each group: one busybox sleeper container, 0.25 vCPU / 0.25 GiB, restart policy Never; ` +
      `created in batches of ${BATCH}, ${IN_FLIGHT} creates in flight, each until Describe ` +
      `(polled every ${POLL_MS} ms) says Running.`,
    'Per-group memory: (figure after the last batch − figure with no groups) / groups. Memory ' +
      'rows have one figure (in the p50 column), not a distribution. PSS shares pages the ' +
      'shims have in common among them; RSS counts them in every shim.',
    `The stack was given room: subnet /22, no group quota, CPU overcommit 1000.`,
    `Server: ${path.relative(REPO_ROOT, serverBinary())}.`,
  );
  writeResult(args.out, {
    name: 'density',
    title: `Density: busybox sleep groups (${end.groups} of ${TARGET} running)`,
    smoke: args.smoke,
    notes,
    rows,
    charts: [
      { file: 'density-memory.png', title: 'Density: memory as groups are added', kind: 'line',
        xlabel: 'groups running', ylabel: 'MiB',
        series: [
          { label: 'openeci RSS', points: memory.map((m) => [m.groups, mib(m.openeciKib)]) },
          { label: 'containerd + shims RSS', points: memory.map((m) => [m.groups, mib(m.runtimeRssKib)]) },
          { label: 'containerd + shims PSS', points: memory.map((m) => [m.groups, mib(m.runtimePssKib)]) },
        ] },
      { file: 'density-rate.png', title: 'Density: create rate as groups are added', kind: 'line',
        xlabel: 'groups running (end of batch)', ylabel: 'groups Running per second',
        series: [{ label: `batch of ${BATCH}, ${IN_FLIGHT} in flight`, points: rates }] },
    ],
  });
});

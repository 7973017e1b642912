// Benchmark 7 (issue 5): parallel creates.
//
//   node bench/parallel.mjs [--smoke] [--out FILE]
//
// 100 CreateContainerGroup calls at once (smoke: 5), each then polling DescribeContainerGroups
// every POLL_MS until its group says Running; per group the time from sending its create until
// Running, and the wall time until the last one runs. Versus, on the same containerd right
// after (the groups deleted first), 100 raw CRI pods started with the same concurrency
// (bench/cri_start -n 100 -c 100: RunPodSandbox + CreateContainer + StartContainer each).
// Groups are small (0.25 vCPU / 0.5 GiB); the test stack overcommits CPU and memory so that
// admission does not limit the count on a small machine.
import { performance } from 'node:perf_hooks';
import { Stack, SLEEPER } from '../tests/integration/lib/stack.mjs';
import {
  POLL_MS, parseArgs, machine, writeResult, row, criStart, smallGroup, createUntilRunning,
  deleteAndWait, freshClient,
} from './lib/start_common.mjs';

const args = parseArgs('parallel');
const N = args.smoke ? 5 : 100;
const RAW = `raw CRI, ${N} pods at once`;
const OPENECI = `OpenECI, ${N} CreateContainerGroup at once`;

const stack = new Stack('bench-parallel');
const when = new Date().toISOString();
let openeci;
let cri;
try {
  await stack.start();
  const client = freshClient(stack);
  // Warm-up (not measured): the image pull and the first sandbox.
  const warm = await createUntilRunning(stack, smallGroup(stack, 'parallel-warmup'), client);
  await deleteAndWait(stack, [warm.id], client);
  await criStart(stack, { n: 1, command: SLEEPER });

  // One SDK client per group, as independent callers would have.
  const t0 = performance.now();
  const runs = await Promise.all(Array.from({ length: N }, (_, i) =>
    createUntilRunning(stack, smallGroup(stack, `parallel-${i}`), freshClient(stack), 300000)));
  const wallMs = performance.now() - t0;
  openeci = { samples: runs.map((r) => r.ms), answers: runs.map((r) => r.answerMs), wallMs };
  console.error(`# OpenECI: ${N} groups Running after ${wallMs.toFixed(0)} ms`);
  await deleteAndWait(stack, runs.map((r) => r.id), client, 300000);

  const res = await criStart(stack, { n: N, c: N, command: SLEEPER });
  if (res.errors) throw new Error(`cri_start: ${res.errors} pods failed: ${res.first_error}`);
  cri = { samples: res.total_ms, wallMs: res.wall_ms };
  console.error(`# raw CRI: ${N} pods running after ${res.wall_ms.toFixed(0)} ms`);
} finally {
  await stack.stop();
}

const round = (x) => Math.round(x * 10) / 10;
const rows = [
  row(OPENECI, openeci.samples, {
    baseline: RAW, baselineSamples: cri.samples,
    extra: {
      wall_ms: round(openeci.wallMs),
      wall_ratio: round(openeci.wallMs / cri.wallMs * 100) / 100,
      create_answer_p50_ms: row('', openeci.answers).p50,
      create_answer_p99_ms: row('', openeci.answers).p99,
    },
  }),
  row(RAW, cri.samples, { extra: { wall_ms: round(cri.wallMs) } }),
];
for (const r of rows) {
  console.error(`# ${r.case}: p50 ${r.p50} p90 ${r.p90} p99 ${r.p99} ms, wall ${r.extra.wall_ms} ms` +
    (r.ratio !== null ? ` (p50 ${r.ratio}× ${r.baseline})` : ''));
}
writeResult(args.out, {
  name: 'parallel',
  title: `Parallel creates: ${N} at once until all Running`,
  smoke: args.smoke,
  when,
  machine: machine(),
  notes: [
    `${N} CreateContainerGroup calls sent at once (official SDK, one client each); each group ` +
      `polled with DescribeContainerGroups every ${POLL_MS} ms until Running. Per-group time: ` +
      'its create sent → Running seen; wall: first create sent → last group Running.',
    `Baseline: bench/cri_start -n ${N} -c ${N} on the same containerd after the groups were ` +
      'deleted: per pod RunPodSandbox → StartContainer returned; wall: start → last pod started.',
    'Groups and pods: 0.25 vCPU / 0.5 GiB, one busybox sleeper; CPU and memory overcommitted ' +
      '(the test stack sets OPENECI_CPU_OVERCOMMIT / OPENECI_MEMORY_OVERCOMMIT).',
    `Server binary: ${process.env.OPENECI_BIN ?? 'tests/integration/lib/stack.mjs default'}.`,
  ],
  rows,
  charts: [{
    file: 'parallel-latency.png',
    title: `Parallel creates (${N} at once), CDF of per-group time to Running`,
    kind: 'cdf',
    xlabel: 'ms',
    series: [
      { label: 'OpenECI', samples: openeci.samples },
      { label: 'raw CRI', samples: cri.samples },
    ],
  }],
});

// Benchmark 1 (issue 5): start latency, create → Running, image present.
//
//   node bench/start.mjs [--smoke] [--out FILE]
//
// For each of 50 sequential groups (smoke: 3) it measures, interleaved so that all cases see
// the same machine load:
//   - OpenECI: from sending CreateContainerGroup (official SDK, V3 signature) until
//     DescribeContainerGroups says Running, polled every POLL_MS (5 ms) in a tight loop;
//   - raw CRI: bench/cri_start (our CRI client) against the same containerd: RunPodSandbox (same
//     CNI network, same sandbox settings) + CreateContainer + StartContainer of the same image
//     and command, timed inside the tool;
//   - runc: `runc run -d` of a bundle unpacked once from the same busybox image (umoci), with
//     its own runc root; timed around the command, then `runc delete -f`.
// Each OpenECI group is deleted (and gone from containerd) before the next one, so every
// sample starts from the same state. A second stack with OPENECI_SANDBOX_POOL_SIZE set gives
// the warm-pool row (see POOL_* below for how the pool is warmed).
import fs from 'node:fs';
import path from 'node:path';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { performance } from 'node:perf_hooks';
import { Stack, SLEEPER, sleep } from '../tests/integration/lib/stack.mjs';
import {
  POLL_MS, TRACE_ENV, parseArgs, machine, writeResult, row, criStart, smallGroup,
  createUntilRunning, deleteAndWait, freshClient, stepBreakdown,
} from './lib/start_common.mjs';

const execFileP = promisify(execFile);
const args = parseArgs('start');
// OPENECI_BENCH_N: another sample count (quick comparisons while working on the start path).
const N = Number(process.env.OPENECI_BENCH_N ?? (args.smoke ? 3 : 50));
// The pool stack: pool size, and how long to wait before each create so that the pool has
// refilled in the background (the first wait also lets the pool fill after server start).
const POOL_SIZE = Number(process.env.OPENECI_BENCH_POOL_SIZE ?? 2);
const POOL_FILL_MS = Number(process.env.OPENECI_BENCH_POOL_FILL_MS ?? (args.smoke ? 500 : 2000));
const RAW = 'raw CRI (RunPodSandbox + CreateContainer + StartContainer)';
const RUNC = 'runc run -d (prepared bundle)';
const PLAIN = 'OpenECI (SDK create → Describe says Running)';
const POOLED = 'OpenECI with warm sandbox pool';

// ---- runc floor ---------------------------------------------------------------------------

// Unpacks the stack's busybox archive into an OCI bundle running the same sleeper command.
function prepareBundle(stack) {
  const dir = path.join(stack.dir, 'runc-bench');
  const layout = path.join(dir, 'oci');
  const bundle = path.join(dir, 'bundle');
  fs.mkdirSync(layout, { recursive: true });
  execFileSync('tar', ['-xf', stack.imageArchives.busybox, '-C', layout]);
  const index = JSON.parse(fs.readFileSync(path.join(layout, 'index.json'), 'utf8'));
  const tag = index.manifests[0].annotations['org.opencontainers.image.ref.name'];
  execFileSync('umoci', ['unpack', '--image', `${layout}:${tag}`, bundle], { stdio: 'ignore' });
  const configFile = path.join(bundle, 'config.json');
  const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
  config.process.args = SLEEPER;
  config.process.terminal = false;
  fs.writeFileSync(configFile, JSON.stringify(config));
  return { root: path.join(dir, 'root'), bundle };
}

// `runc run -d` hands its stdio to the container: with pipes (execFile) the caller would wait
// for the container to exit, so it gets none.
function runDetached(args) {
  return new Promise((resolve, reject) => {
    const child = spawn('runc', args, { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`runc ${args.join(' ')}: exit ${code}`))));
  });
}

async function runcOnce({ root, bundle }, id) {
  const t0 = performance.now();
  await runDetached(['--root', root, 'run', '-d', '--bundle', bundle, id]);
  const ms = performance.now() - t0;
  await execFileP('runc', ['--root', root, 'delete', '-f', id], { timeout: 30000 });
  return ms;
}

// ---- one stack ----------------------------------------------------------------------------

// n sequential OpenECI groups on `stack`, each followed by one raw CRI pod (and a runc
// container when `bundle` is given). Returns the samples of each case.
async function measure(stack, label, { bundle, beforeEach }) {
  // A fresh SDK client per group: the server closes idle keep-alive connections, and a
  // sample waits a while (delete, raw CRI, runc) between creates.
  let client = freshClient(stack);
  const out = { openeci: [], answer: [], cri: [], runc: [], runs: [] };
  // Warm-up (not measured): the image pull, the first sandbox, the SDK's connection.
  const warm = await createUntilRunning(stack, smallGroup(stack, `${label}-warmup`), client);
  await deleteAndWait(stack, [warm.id], client);
  await criStart(stack, { n: 1, command: SLEEPER });
  for (let i = 0; i < N; ++i) {
    if (beforeEach) await beforeEach();
    client = freshClient(stack);
    const r = await createUntilRunning(stack, smallGroup(stack, `${label}-${i}`), client);
    out.openeci.push(r.ms);
    out.answer.push(r.answerMs);
    out.runs.push(r);
    await deleteAndWait(stack, [r.id], client);
    const cri = await criStart(stack, { n: 1, command: SLEEPER });
    out.cri.push(cri.total_ms[0]);
    (out.criSandbox ??= []).push(cri.sandbox_ms[0]);
    (out.criCreate ??= []).push(cri.create_ms[0]);
    (out.criStart ??= []).push(cri.start_ms[0]);
    if (bundle) out.runc.push(await runcOnce(bundle, `runc-bench-${i}`));
    console.error(`# ${label} ${i + 1}/${N}: OpenECI ${r.ms.toFixed(1)} ms, raw CRI ` +
      `${cri.total_ms[0].toFixed(1)} ms${bundle ? `, runc ${out.runc.at(-1).toFixed(1)} ms` : ''}`);
  }
  out.breakdown = stepBreakdown(out.runs, fs.readFileSync(stack.serverLog, 'utf8'));
  out.rawSteps = {
    RunPodSandbox: row('', out.criSandbox).p50, CreateContainer: row('', out.criCreate).p50,
    StartContainer: row('', out.criStart).p50,
  };
  return out;
}

async function withStack(name, env, fn) {
  const stack = new Stack(name, { env: { ...TRACE_ENV, ...env } });
  try {
    await stack.start();
    return await fn(stack);
  } finally {
    await stack.stop();
  }
}

// ---- main ---------------------------------------------------------------------------------

const when = new Date().toISOString();
const plain = await withStack('bench-start', {}, (stack) =>
  measure(stack, 'start', { bundle: prepareBundle(stack) }));
const pooled = await withStack('bench-start-pool',
  { OPENECI_SANDBOX_POOL_SIZE: String(POOL_SIZE) },
  (stack) => measure(stack, 'pool', { beforeEach: () => sleep(POOL_FILL_MS) }));

const rows = [
  row(PLAIN, plain.openeci, {
    baseline: RAW, baselineSamples: plain.cri, goalFactor: 1.10,
    extra: {
      create_answer_p50_ms: row('', plain.answer).p50,
      breakdown_p50_ms: plain.breakdown,
      raw_cri_steps_p50_ms: plain.rawSteps,
    },
  }),
  row(POOLED, pooled.openeci, {
    baseline: RAW, baselineSamples: plain.cri, goalFactor: 0.6,
    extra: {
      pool_size: POOL_SIZE,
      create_answer_p50_ms: row('', pooled.answer).p50,
      raw_cri_p50_same_stack_ms: row('', pooled.cri).p50,
      breakdown_p50_ms: pooled.breakdown,
    },
  }),
  row(RAW, plain.cri),
  row(RUNC, plain.runc, { baseline: RAW, baselineSamples: plain.cri }),
];
const result = {
  name: 'start',
  title: 'Start latency: create → Running (image present)',
  smoke: args.smoke,
  when,
  machine: machine(),
  notes: [
    `${N} sequential groups per stack (0.25 vCPU / 0.5 GiB, one busybox sleeper), each deleted ` +
      'before the next; OpenECI, raw CRI and runc samples are interleaved one by one.',
    `OpenECI: time from sending CreateContainerGroup (official SDK) until ` +
      `DescribeContainerGroups says Running, polled every ${POLL_MS} ms.`,
    'raw CRI: bench/cri_start (our CRI client) on the same containerd, same image, command, ' +
      'CNI network and sandbox settings; RunPodSandbox + CreateContainer + StartContainer.',
    'runc: `runc run -d` of a bundle unpacked once (umoci) from the same busybox image; no ' +
      'network beyond its own loopback namespace.',
    `Warm pool: a second stack with OPENECI_SANDBOX_POOL_SIZE=${POOL_SIZE}; before each create ` +
      `the bench waits ${POOL_FILL_MS} ms for the pool to refill (and before the first, to fill). ` +
      'Its ratio is against the raw CRI row of the first stack; extra.raw_cri_p50_same_stack_ms ' +
      'is the raw CRI median measured next to it.',
    'Where the time goes (extra.breakdown_p50_ms, medians): the client\'s timestamps joined ' +
      'with the controller\'s step trace (servers run with OPENECI_LOG_LEVEL=debug; ' +
      'controller.cc StepTrace), first reconcile pass of each group.',
    `Server binary: ${process.env.OPENECI_BIN ?? 'tests/integration/lib/stack.mjs default'}.`,
  ],
  rows,
  charts: [{
    file: 'start-latency.png',
    title: 'Start latency (create → Running), CDF',
    kind: 'cdf',
    xlabel: 'ms',
    series: [
      { label: 'OpenECI', samples: plain.openeci },
      { label: 'OpenECI + pool', samples: pooled.openeci },
      { label: 'raw CRI', samples: plain.cri },
      { label: 'runc run -d', samples: plain.runc },
    ],
  }],
};
for (const [name, b] of [['plain', plain.breakdown], ['pool', pooled.breakdown]]) {
  console.error(`# breakdown (${name}, p50 ms): ${JSON.stringify(b)}`);
}
console.error(`# raw CRI steps (p50 ms): ${JSON.stringify(plain.rawSteps)}`);
for (const r of rows) {
  console.error(`# ${r.case}: p50 ${r.p50} p90 ${r.p90} p99 ${r.p99} ms` +
    (r.ratio !== null ? ` (${r.ratio}× ${r.baseline})` : ''));
}
writeResult(args.out, result);

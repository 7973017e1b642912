// Benchmark 5, growth: DescribeContainerGroups (Limit 20) p99 with 1k, 10k and 100k groups
// stored, each size on a fresh stack whose store was seeded directly (bench/seed) before the
// server started. Goal: p99 at the largest size within 1.2x of p99 at the smallest.
//
//   node bench/growth.mjs [--smoke] [--out FILE]
import { parseArgs, writeResult } from './lib/stats.mjs';
import { SeededStack, loadgen, loadgenRow, DESCRIBE_PARAMS } from './loadgen/run.mjs';

const args = parseArgs('growth');
const SIZES = args.smoke ? [50, 500] : [1000, 10000, 100000];
const SECONDS = args.smoke ? 2 : 10;
const WARMUP_SECONDS = args.smoke ? 0.5 : 2;
const CONNECTIONS = 8;
const GOAL_RATIO = 1.2;

async function measure(size) {
  const stack = new SeededStack(`bench-growth-${size}`, { seed: size });
  try {
    await stack.start();
    return await loadgen(stack, {
      action: 'DescribeContainerGroups', params: DESCRIBE_PARAMS, connections: CONNECTIONS,
      duration: SECONDS, warmup: WARMUP_SECONDS,
    });
  } finally {
    await stack.stop();
  }
}

async function main() {
  const results = [];
  for (const size of SIZES) results.push([size, await measure(size)]);
  const [baseSize, base] = results[0];
  const baseCase = `Describe p99, ${baseSize} stored`;
  const rows = results.map(([size, r], i) => {
    const ratio = Number((r.latency_ms.p99 / base.latency_ms.p99).toFixed(3));
    const row = loadgenRow(`Describe p99, ${size} stored`, r, {
      baseline: i === 0 ? null : baseCase,
      ratio: i === 0 ? null : ratio,
      goal: i === 0 ? null : `p99 ≤ ${GOAL_RATIO}× p99 at ${baseSize}`,
      met: i === 0 ? null : r.non_2xx === 0 && ratio <= GOAL_RATIO,
    });
    return row;
  });
  writeResult(args.out, {
    name: 'growth', title: 'Describe latency as the store grows',
    smoke: args.smoke,
    notes: [
      'Each size runs on a fresh stack whose store was seeded directly: bench/seed ' +
        '(seed_store) writes the groups into the SQLite store before the server first opens ' +
        'it. All seeded groups are Succeeded (nothing left in containerd, no controller work); ' +
        'retention is turned off for them.',
      `Load: bench/loadgen, DescribeContainerGroups RegionId + Limit=20 (first page), ` +
        `${CONNECTIONS} keep-alive connections, ${SECONDS} s after ${WARMUP_SECONDS} s ` +
        'warm-up; every request signed ACS3-HMAC-SHA256 with a fresh nonce. The load ' +
        'generator shares the 2 cores with the server.',
      'ratio here is p99 / p99 at the smallest size (not p50: the goal is about p99).',
    ],
    rows,
    charts: [{
      file: 'growth-p99.png', title: 'Describe p99 by groups stored', kind: 'line',
      xlabel: 'groups stored', ylabel: 'p99 ms',
      series: [{ label: 'DescribeContainerGroups p99', points: results.map(([s, r]) => [s, r.latency_ms.p99]) }],
    }],
  });
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});

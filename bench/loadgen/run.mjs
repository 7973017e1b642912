// What bench/api.mjs and bench/growth.mjs share: a test stack whose store is seeded with
// finished groups before the server first opens it, and a runner for the C++ load generator
// (bench/loadgen/loadgen.cc) that returns its JSON result.
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Stack, REPO_ROOT, REGION, ZONE, VSWITCH, SECURITY_GROUP, $Eci, sleep }
  from '../../tests/integration/lib/stack.mjs';

const execFileP = promisify(execFile);

// A bench helper binary: next to the server binary the stack uses (release when scripts/bench
// set OPENECI_BIN), else release, else dev.
export function benchBinary(name) {
  const candidates = [
    process.env.OPENECI_BIN &&
      path.join(path.dirname(process.env.OPENECI_BIN), '../../bench', name),
    path.join(REPO_ROOT, 'build/release/bench', name),
    path.join(REPO_ROOT, 'build/dev/bench', name),
  ].filter(Boolean);
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new Error(`${name} not built (tried ${candidates.join(', ')})`);
  return found;
}

// Retention keeps finished records; these settings keep every seeded one, lift the group quota
// and capacity admission out of the way of the create runs (they are about the API, not the
// node's size).
export const SEEDED_ENV = {
  OPENECI_SUCCEEDED_RETENTION_COUNT: '100000000',
  OPENECI_GROUP_QUOTA: '0',
  OPENECI_CPU_OVERCOMMIT: '100000',
  OPENECI_MEMORY_OVERCOMMIT: '100000',
  OPENECI_LOG_LEVEL: 'warn',
};

// The stack with `seed` finished groups written straight into its store (bench/seed) before the
// server first starts. Teardown deletes only the groups the bench created itself: the seeded
// ones hold nothing in the runtime and go with the state directory.
export class SeededStack extends Stack {
  constructor(name, { seed, env = {} }) {
    super(name, { env: { ...SEEDED_ENV, ...env } });
    this.seedCount = seed;
    this.seeded = false;
  }

  async startServer(timeoutMs = 120000) {
    if (!this.seeded) {
      fs.mkdirSync(this.stateDir, { recursive: true });
      const t0 = Date.now();
      const { stdout } = await execFileP(benchBinary('seed_store'), [
        '--db', path.join(this.stateDir, 'openeci.db'), '--count', String(this.seedCount),
        '--region', REGION, '--zone', ZONE, '--vswitch', VSWITCH,
        '--security-group', SECURITY_GROUP, '--image', this.publicImage,
      ], { timeout: 600000 });
      this.seeded = true;
      console.error(`# ${this.name}: seeded ${this.seedCount} groups in ${Date.now() - t0} ms ` +
        stdout.trim());
    }
    return super.startServer(timeoutMs);
  }

  async deleteAllGroups(budgetMs = 30000) {
    const deadline = Date.now() + budgetMs;
    const ids = [...this.groups];
    await deleteGroups(this, ids);
    while (Date.now() < deadline) {
      if ((await listed(this, ids)).length === 0) return true;
      await sleep(300);
    }
    return false;
  }
}

// Deletes `ids` through the SDK, 8 at a time; ignores groups already gone.
export async function deleteGroups(stack, ids) {
  const client = stack.sdk();
  for (let i = 0; i < ids.length; i += 8) {
    await Promise.all(ids.slice(i, i + 8).map((id) => stack.delete(id, client).catch(() => {})));
  }
}

// Which of `ids` DescribeContainerGroups still lists.
export async function listed(stack, ids) {
  const client = stack.sdk();
  const out = [];
  for (let i = 0; i < ids.length; i += 20) {
    const res = await client.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({
      regionId: REGION, containerGroupIds: JSON.stringify(ids.slice(i, i + 20)), limit: 20,
    }));
    out.push(...(res.body.containerGroups ?? []));
  }
  return out;
}

// Runs the load generator against the stack; returns its JSON result.
//   opts: {action, params: {K: V}, connections, duration (s) | requests, warmup (s), threads}
export async function loadgen(stack, opts) {
  const args = [
    '--endpoint', stack.host, '--key-id', stack.accessKeyId, '--key-secret', stack.accessKeySecret,
    '--action', opts.action, '--connections', String(opts.connections),
    '--threads', String(opts.threads ?? 1),
  ];
  if (opts.duration) args.push('--duration', String(opts.duration));
  if (opts.requests) args.push('--requests', String(opts.requests));
  if (opts.warmup) args.push('--warmup', String(opts.warmup));
  if (opts.sign) args.push('--sign', opts.sign);
  for (const [k, v] of Object.entries(opts.params ?? {})) args.push('--param', `${k}=${v}`);
  const { stdout } = await execFileP(benchBinary('loadgen'), args, {
    timeout: 600000, maxBuffer: 64 * 1024 * 1024,
  });
  const result = JSON.parse(stdout);
  console.error(`# ${opts.action} x${opts.connections}: ${result.requests} requests, ` +
    `${result.rps} req/s, p50 ${result.latency_ms.p50} ms, p99 ${result.latency_ms.p99} ms, ` +
    `non-2xx ${result.non_2xx}, transport errors ${result.transport_errors}`);
  return result;
}

// A contract row from a loadgen result.
export function loadgenRow(caseName, r, { goal = null, met = null, baseline = null,
  ratio = null } = {}) {
  const l = r.latency_ms;
  return {
    case: caseName, n: l.n, unit: 'ms', p50: l.p50, p90: l.p90, p99: l.p99,
    baseline, ratio, goal, met,
    extra: {
      rps: r.rps, connections: r.connections, seconds: r.seconds, min: l.min, max: l.max,
      mean: l.mean, non_2xx: r.non_2xx, error_codes: r.error_codes,
      transport_errors: r.transport_errors,
    },
  };
}

// DescribeContainerGroups as the benches send it: the first page of 20.
export const DESCRIBE_PARAMS = { RegionId: REGION, Limit: '20' };

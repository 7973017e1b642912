// Benchmark 4, API throughput: signed DescribeContainerGroups (Limit 20) with 1,000 groups
// stored, and CreateContainerGroup acceptance (the answer, not Running), at 1, 8 and 64
// concurrent keep-alive connections, from the C++ load generator (bench/loadgen), which signs
// every request as the eci20180808 SDK does (ACS3-HMAC-SHA256, fresh nonce and timestamp).
//
//   node bench/api.mjs [--smoke] [--out FILE]
import { parseArgs, writeResult } from './lib/stats.mjs';
import { SeededStack, loadgen, loadgenRow, deleteGroups, listed, DESCRIBE_PARAMS }
  from './loadgen/run.mjs';
import { REGION, ZONE, VSWITCH, SECURITY_GROUP, $Eci, sleep }
  from '../tests/integration/lib/stack.mjs';

const args = parseArgs('api');
const SEED = args.smoke ? 50 : 1000;
const LEVELS = [1, 8, 64];
const DESCRIBE_SECONDS = args.smoke ? 2 : 10;
const WARMUP_SECONDS = args.smoke ? 0.5 : 2;
const CREATES_PER_LEVEL = args.smoke ? 5 : 200;
const CREATE_SECONDS_MAX = args.smoke ? 10 : 60;  // a level also ends after this long
const GOAL_RPS = 10000;
const GOAL_P99_MS = 10;
const CREATE_TAG = 'bench-api-create';

// A small group that exits at once (restart policy Never): it finishes and releases its sandbox
// quickly, so the controller's work on the created groups stays small.
function createParams(stack, level, runId) {
  return {
    RegionId: REGION, ZoneId: ZONE, VSwitchId: VSWITCH, SecurityGroupId: SECURITY_GROUP,
    ContainerGroupName: `bench-c${level}-{i}`,
    ClientToken: `${runId}-${level}-{i}`,
    RestartPolicy: 'Never',
    'Tag.1.Key': CREATE_TAG, 'Tag.1.Value': String(level),
    'Container.1.Name': 'main',
    'Container.1.Image': stack.publicImage,
    'Container.1.ImagePullPolicy': 'IfNotPresent',
    'Container.1.Command.1': '/bin/sh', 'Container.1.Command.2': '-c',
    'Container.1.Command.3': 'exit 0',
    'Container.1.Cpu': '0.25', 'Container.1.Memory': '0.5',
  };
}

// IDs of the groups a create level made (by their tag), all pages.
async function createdIds(stack, level) {
  const client = stack.sdk();
  const ids = [];
  let nextToken;
  do {
    const res = await client.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({
      regionId: REGION, limit: 20, nextToken,
      tag: [new $Eci.DescribeContainerGroupsRequestTag({ key: CREATE_TAG, value: String(level) })],
    }));
    ids.push(...(res.body.containerGroups ?? []).map((g) => g.containerGroupId));
    nextToken = res.body.nextToken || undefined;
  } while (nextToken);
  return ids;
}

async function main() {
  const stack = new SeededStack('bench-api', { seed: SEED });
  const rows = [];
  const describePoints = [];
  const createPoints = [];
  const notes = [
    `${SEED} groups stored before the run: written straight into the SQLite store by ` +
      'bench/seed (seed_store) before the server first opened it, all Succeeded (finished ' +
      'groups hold nothing in containerd, so the controller has no work for them); retention ' +
      `is turned off for them (OPENECI_SUCCEEDED_RETENTION_COUNT=${100000000}).`,
    'Load: bench/loadgen (C++, Boost.Beast, HTTP/1.1 keep-alive, one closed-loop request per ' +
      'connection), every request signed ACS3-HMAC-SHA256 as the eci20180808 SDK signs it, ' +
      'with a fresh nonce and timestamp, using the server\'s own signing code.',
    'The load generator runs on the same 2 cores as the server (and containerd): its CPU ' +
      'time is taken from the server\'s.',
    `Describe: DescribeContainerGroups RegionId + Limit=20 (a full page of 20 groups with ` +
      `events), ${DESCRIBE_SECONDS} s per level after ${WARMUP_SECONDS} s warm-up.`,
    `Create: CreateContainerGroup with a ClientToken, ${CREATES_PER_LEVEL} per level ` +
      `(a bounded count; a level also ends after ${CREATE_SECONDS_MAX} s), one busybox ` +
      'container that exits at once (RestartPolicy Never); ' +
      'the answer time is measured, not Running. The created groups are deleted and gone ' +
      'before the next level starts.',
  ];
  try {
    await stack.start();
    const runId = `b${Date.now().toString(36)}`;
    for (const c of LEVELS) {
      const r = await loadgen(stack, {
        action: 'DescribeContainerGroups', params: DESCRIBE_PARAMS, connections: c,
        duration: DESCRIBE_SECONDS, warmup: WARMUP_SECONDS,
      });
      describePoints.push([c, r.rps]);
      const met = r.non_2xx === 0 && r.rps >= GOAL_RPS && r.latency_ms.p99 <= GOAL_P99_MS;
      rows.push(loadgenRow(`Describe (Limit 20, ${SEED} stored), ${c} connection(s)`, r,
        { goal: `≥ ${GOAL_RPS} req/s, p99 ≤ ${GOAL_P99_MS} ms`, met }));
    }
    for (const c of LEVELS) {
      const r = await loadgen(stack, {
        action: 'CreateContainerGroup', params: createParams(stack, c, runId), connections: c,
        requests: CREATES_PER_LEVEL, duration: CREATE_SECONDS_MAX,
      });
      createPoints.push([c, r.rps]);
      rows.push(loadgenRow(`Create acceptance, ${c} connection(s)`, r));
      const ids = await createdIds(stack, c);
      for (const id of ids) stack.track(id);
      if (ids.length !== r.requests - r.non_2xx) {
        notes.push(`Create x${c}: ${r.requests - r.non_2xx} accepted but ${ids.length} listed.`);
      }
      await deleteGroups(stack, ids);
      const deadline = Date.now() + 180000;
      while ((await listed(stack, ids)).length > 0 && Date.now() < deadline) await sleep(500);
    }
    const best = Math.max(...describePoints.map(([, rps]) => rps));
    notes.push(`Peak Describe throughput ${best} req/s ` +
      `(goal ≥ ${GOAL_RPS} req/s with p99 ≤ ${GOAL_P99_MS} ms).`);
    writeResult(args.out, {
      name: 'api', title: 'API throughput: signed Describe and Create acceptance',
      smoke: args.smoke, notes, rows,
      charts: [{
        file: 'api-throughput.png', title: 'API throughput (requests/s by connections)',
        kind: 'line', xlabel: 'connections', ylabel: 'requests/s',
        series: [
          { label: `DescribeContainerGroups (Limit 20, ${SEED} stored)`, points: describePoints },
          { label: 'CreateContainerGroup acceptance', points: createPoints },
        ],
      }],
    });
  } finally {
    await stack.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});

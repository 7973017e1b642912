// The soak: a bounded, mixed load of every operation against one real stack through the
// official SDK (pop-core for the template export), while the server process and its containerd
// are sampled from /proc (RSS, open file descriptors, threads). Afterwards every group and image
// cache is deleted and the run checks that
//   - the figures are flat: the median of the last quarter of the samples is within a small
//     constant (fds, threads) or ratio (RSS) of the median of the second quarter (the first
//     quarter is warm-up);
//   - nothing is left: no listed group, no containerd container, task, shim, sandbox, network
//     namespace, CNI result or pod cgroup beyond the warm pool's sandboxes;
//   - no operation failed (5xx, timeouts, wrong answers). Refusals a race explains (a group
//     that finished or went away between choosing it and calling) are counted, not failed.
//
// Used two ways:
//   tests/integration/soak.test.mjs    2 minutes in scripts/test (OPENECI_SOAK_SECONDS)
//   scripts/soak [MINUTES]             30 minutes on the release build; writes
//                                      bench/results/soak.md with this module's CLI:
//   node tests/integration/lib/soak.mjs [--seconds N] [--out FILE.md]
// The caller holds /tmp/openeci-stack.lock.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import {
  Stack, $Eci, REGION, SLEEPER, SUBNET, BRIDGE, sleep, inSubnet, groupCgroupDirs,
} from './stack.mjs';
import { pidsMentioning } from './reap.mjs';
import { openExec } from './exec_ws.mjs';
import { quantile, machineInfo } from '../../../bench/lib/stats.mjs';

// Warm pool sandboxes of the soak stack (OPENECI_SOAK_POOL_SIZE, default 2; 0: no pool).
export const POOL_SIZE = Number(process.env.OPENECI_SOAK_POOL_SIZE ?? 2);

// Server settings of the soak stack: a warm pool (so claims and refills are soaked too) and a
// quick metrics sampler (so metric queries see fresh records).
export const SOAK_ENV = {
  OPENECI_SANDBOX_POOL_SIZE: String(POOL_SIZE),
  OPENECI_METRICS_INTERVAL_SECONDS: '2',
};

export const LIMITS = {
  maxGroups: 20,          // live groups at most
  maxFlaky: 3,            // of which crash-looping (OnFailure, exit 1)
  minAgeMs: 40000,        // a group that has not finished lives at least this long
  fdSlack: 8,             // last-quarter median fds ≤ second-quarter median + this
  threadSlack: 8,         // same for threads
  rssRatio: 1.2,          // last-quarter median RSS ≤ second-quarter median × this + rssSlackKib
  rssSlackKib: 8 * 1024,
};

const WORKERS = 3;
const PAUSE_MS = 150;            // each worker's pause between operations
const OP_TIMEOUT_MS = 60000;     // SDK read timeout: slower than this is a failure
const SETTLE_MS = 120000;        // after deleting all: how long leftovers may take to go

// Codes a race between choosing a group and acting on it explains (it finished, restarted or
// went away meanwhile). Anything else, any 5xx and any transport error is a failure.
const RACE_CODES = new Set(['IncorrectStatus', 'InvalidParameter.NotFound']);

// ---- /proc sampling -----------------------------------------------------------------------

function comm(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

// {rssKib, fds, threads} of a live process.
export function processFigures(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return {
    rssKib: field('VmRSS'),
    fds: fs.readdirSync(`/proc/${pid}/fd`).length,
    threads: field('Threads'),
  };
}

// The stack's containerd and shim processes (their command lines name its state directory).
function runtimeProcesses(stack) {
  const pids = pidsMentioning(stack.dir);
  return {
    containerd: pids.find((p) => comm(p) === 'containerd'),
    shims: pids.filter((p) => comm(p).startsWith('containerd-shim')).length,
  };
}

// What a process's open fds are: {socket: n, pipe: n, file: n, ...} (for the report).
function fdKinds(pid) {
  const kinds = {};
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    let target = '';
    try {
      target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    const kind = /^(socket|pipe):/.exec(target)?.[1] ??
      (/^anon_inode:\[?([a-z_]+)/.exec(target)?.[1]) ?? (target.startsWith('/') ? 'file' : 'other');
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return kinds;
}

// How many of the process's sockets are TCP connections accepted on `port` (the API clients'
// connections: how many there are is up to the clients and their keep-alive).
function connectionsTo(pid, port) {
  const inodes = new Set();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  let n = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let lines = [];
    try {
      lines = fs.readFileSync(table, 'utf8').split('\n').slice(1);
    } catch {
      continue;
    }
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] === '0A') continue; // 0A: listening
      if (parseInt(f[1].split(':')[1], 16) === port && inodes.has(f[9])) n++;
    }
  }
  return n;
}

// One sample of the stack's processes; `detail` adds the kinds of their fds. openeci's `fds`
// leaves out the API clients' connections, counted apart as `clientConns`.
function sampleStack(stack, t0, fleet, { detail = false } = {}) {
  const { containerd, shims } = runtimeProcesses(stack);
  const figures = (pid) => (detail ? { ...processFigures(pid), fdKinds: fdKinds(pid) } : processFigures(pid));
  const openeci = figures(stack.server.pid);
  openeci.clientConns = connectionsTo(stack.server.pid, stack.port);
  openeci.fds -= openeci.clientConns;
  return {
    t: Math.round((performance.now() - t0) / 100) / 10,
    groups: fleet.size,
    shims,
    openeci,
    containerd: containerd ? figures(containerd) : null,
  };
}

// ---- what the load knows about its groups -------------------------------------------------

// The groups the load created and has not deleted, with their last seen status, and which of
// them an operation holds (exec, restart and delete take a group for themselves so they do not
// race each other). Not thread-safe (one event loop).
class Fleet {
  constructor() {
    this.groups = new Map(); // id -> {id, kind, name, status, created, busy}
  }

  get size() {
    return this.groups.size;
  }

  add(id, kind, name) {
    this.groups.set(id, { id, kind, name, status: 'Pending', created: Date.now(), busy: false });
  }

  remove(id) {
    this.groups.delete(id);
  }

  // Records the statuses of described groups.
  saw(described) {
    for (const g of described ?? []) {
      const known = this.groups.get(g.containerGroupId);
      if (known) known.status = g.status;
    }
  }

  count(predicate) {
    return [...this.groups.values()].filter(predicate).length;
  }

  // A random group satisfying predicate (not held by an operation), or undefined.
  pick(predicate = () => true) {
    const fits = [...this.groups.values()].filter((g) => !g.busy && predicate(g));
    return fits[Math.floor(Math.random() * fits.length)];
  }

  // Like pick, and holds the group until release(group).
  claim(predicate) {
    const g = this.pick(predicate);
    if (g) g.busy = true;
    return g;
  }

  release(g) {
    g.busy = false;
  }

  ids(n) {
    return [...this.groups.keys()].sort(() => Math.random() - 0.5).slice(0, n);
  }
}

const isRunning = (g) => g.status === 'Running';
const isFinished = (g) => g.status === 'Succeeded' || g.status === 'Failed';

// ---- the operations -----------------------------------------------------------------------

// Thrown by an operation that found nothing to act on (counted as skipped).
class Skip extends Error {}

// Thrown when an answer is wrong (counted as an error).
class WrongAnswer extends Error {}

function check(condition, what) {
  if (!condition) throw new WrongAnswer(what);
}

// The operations of the mixed load, each `async (load) => void`, with how often each is chosen.
const OPERATIONS = {
  async create(load) {
    const { stack, fleet } = load;
    if (fleet.size >= LIMITS.maxGroups) throw new Skip();
    const n = ++load.serial;
    let kind = ['sleeper', 'job', 'job', 'sleeper', 'flaky'][n % 5];
    if (kind === 'flaky' && fleet.count((g) => g.kind === 'flaky') >= LIMITS.maxFlaky) kind = 'job';
    const spec = groupSpec(stack, kind, n);
    const id = await stack.create(spec, load.client);
    check(/^eci-/.test(id ?? ''), `CreateContainerGroup answered id ${id}`);
    fleet.add(id, kind, spec.containerGroupName);
  },

  async delete(load) {
    const { fleet } = load;
    const full = fleet.size >= LIMITS.maxGroups * 0.75;
    const oldest = () => [...fleet.groups.values()].filter((g) => !g.busy)
      .sort((a, b) => a.created - b.created)[0];
    const evictable = (x) => x === oldest() && Date.now() - x.created > LIMITS.minAgeMs;
    const g = fleet.claim(isFinished) ?? (full ? fleet.claim(evictable) : undefined);
    if (!g) throw new Skip();
    try {
      await load.stack.delete(g.id, load.client);
      fleet.remove(g.id);
    } finally {
      fleet.release(g);
    }
  },

  async listFiltered(load) {
    const filters = [
      {},
      { status: 'Running' },
      { tag: [{ key: 'soak', value: 'job' }] },
      { containerGroupName: load.fleet.pick()?.name ?? 'soak-none' },
    ];
    const filter = filters[Math.floor(Math.random() * filters.length)];
    let nextToken;
    let pages = 0;
    do {
      const res = await load.client.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({
        regionId: REGION, limit: 5, nextToken, ...filter,
      }));
      const groups = res.body.containerGroups ?? [];
      check(groups.length <= 5, `a page of Limit 5 held ${groups.length}`);
      if (filter.status) check(groups.every((g) => g.status === 'Running'), 'Status filter not applied');
      if (filter.containerGroupName) {
        check(groups.every((g) => g.containerGroupName === filter.containerGroupName), 'name filter not applied');
      }
      load.fleet.saw(groups);
      nextToken = res.body.nextToken || undefined;
      pages++;
    } while (nextToken && pages < 20);
  },

  async describeById(load) {
    const ids = load.fleet.ids(5);
    if (!ids.length) throw new Skip();
    const res = await load.client.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({
      regionId: REGION, containerGroupIds: JSON.stringify(ids),
    }));
    const groups = res.body.containerGroups ?? [];
    check(groups.every((g) => ids.includes(g.containerGroupId)), 'by id answered other groups');
    load.fleet.saw(groups);
  },

  async update(load) {
    const g = load.fleet.pick((x) => isRunning(x) && x.kind === 'sleeper');
    if (!g) throw new Skip();
    await load.client.updateContainerGroup(new $Eci.UpdateContainerGroupRequest({
      regionId: REGION, containerGroupId: g.id,
      tag: [{ key: 'soak', value: g.kind }, { key: 'generation', value: String(++load.serial) }],
    }));
  },

  async restart(load) {
    const g = load.fleet.claim((x) => isRunning(x) && x.kind === 'sleeper');
    if (!g) throw new Skip();
    try {
      await load.stack.restartGroup(g.id, load.client);
      g.status = 'Restarting';
    } finally {
      load.fleet.release(g);
    }
  },

  async log(load) {
    const g = load.fleet.pick((x) => x.status !== 'Pending');
    if (!g) throw new Skip();
    const res = await load.client.describeContainerLog(new $Eci.DescribeContainerLogRequest({
      regionId: REGION, containerGroupId: g.id, containerName: 'main', tail: 20,
    }));
    check(typeof (res.body.content ?? '') === 'string', 'DescribeContainerLog without content');
  },

  async exec(load) {
    const g = load.fleet.claim((x) => isRunning(x) && x.kind === 'sleeper');
    if (!g) throw new Skip();
    try {
      await execVariant(load, g.id, ++load.serial % 4);
    } finally {
      load.fleet.release(g);
    }
  },

  async metric(load) {
    const running = load.fleet.ids(LIMITS.maxGroups)
      .filter((id) => isRunning(load.fleet.groups.get(id)));
    if (!running.length) throw new Skip();
    if (Math.random() < 0.5) {
      const res = await load.client.describeContainerGroupMetric(
        new $Eci.DescribeContainerGroupMetricRequest({ regionId: REGION, containerGroupId: running[0] }));
      check(Array.isArray(res.body.records ?? []), 'metric without records');
    } else {
      const ids = running.slice(0, 5);
      const res = await load.client.describeMultiContainerGroupMetric(
        new $Eci.DescribeMultiContainerGroupMetricRequest({
          regionId: REGION, containerGroupIds: JSON.stringify(ids),
        }));
      check((res.body.monitorDatas ?? []).length <= ids.length, 'multi metric: more groups than asked');
    }
  },

  async imageCache(load) {
    if (load.cacheBusy) throw new Skip(); // one image cache operation at a time
    load.cacheBusy = true;
    try {
      await imageCacheStep(load);
    } finally {
      load.cacheBusy = false;
    }
  },

  async regions(load) {
    const res = await load.client.describeRegions(new $Eci.DescribeRegionsRequest({ regionId: REGION }));
    check((res.body.regions ?? []).some((r) => r.regionId === REGION), 'DescribeRegions lacks the region');
  },

  async exportTemplate(load) {
    const g = load.fleet.pick((x) => x.status !== 'Pending');
    if (!g) throw new Skip();
    const res = await load.pop.request('ExportContainerGroupTemplate',
      { RegionId: REGION, ContainerGroupId: g.id });
    check(res.Template, 'ExportContainerGroupTemplate without Template');
  },
};

const WEIGHTS = {
  create: 4, delete: 3, listFiltered: 3, describeById: 3, update: 1, restart: 1, log: 2,
  exec: 2, metric: 2, imageCache: 1, regions: 1, exportTemplate: 1,
};

// CreateContainerGroup of one kind: `sleeper` runs until stopped (Always; every other one has a
// second container), `job` prints and exits 0 (Never), `flaky` prints and exits 1 every few
// seconds (OnFailure: restarts with back-off).
function groupSpec(stack, kind, n) {
  const script = {
    job: 'echo soak job; sleep 2; echo done',
    flaky: 'echo flaky; sleep 3; exit 1',
  }[kind];
  const main = stack.mainContainer(script ? { command: ['/bin/sh', '-c', script] } : {});
  const containers = kind === 'sleeper' && n % 2 ? [main, stack.mainContainer({ name: 'side' })] : [main];
  return stack.groupRequest(`soak-${kind}-${n}`, {
    restartPolicy: { sleeper: 'Always', job: 'Never', flaky: 'OnFailure' }[kind],
    container: containers,
    tag: [{ key: 'soak', value: kind }],
  });
}

// The next step of the image cache cycle: create one, describe it until Ready, delete it.
async function imageCacheStep(load) {
  const { client, stack } = load;
  if (!load.cache) {
    const res = await client.createImageCache(new $Eci.CreateImageCacheRequest({
      regionId: REGION, imageCacheName: `soak-cache-${++load.serial}`, image: [stack.publicImage],
    }));
    check(/^imc-/.test(res.body.imageCacheId ?? ''), `CreateImageCache answered ${JSON.stringify(res.body)}`);
    load.cache = { id: res.body.imageCacheId, created: Date.now() };
    return;
  }
  const res = await client.describeImageCaches(new $Eci.DescribeImageCachesRequest({
    regionId: REGION, imageCacheId: load.cache.id,
  }));
  const cache = res.body.imageCaches?.[0];
  check(cache, `DescribeImageCaches does not list ${load.cache.id}`);
  check(cache.status !== 'Failed', `image cache failed: ${JSON.stringify(cache.events)}`);
  if (cache.status === 'Ready' && Date.now() - load.cache.created > 5000) {
    const id = load.cache.id;
    load.cache = undefined;
    await client.deleteImageCache(new $Eci.DeleteImageCacheRequest({ regionId: REGION, imageCacheId: id }));
  }
}

// ExecContainerCommand in four ways: a command over the WebSocket, an interactive TTY shell, a
// TTY shell the client abandons (closes without exiting), and Sync.
async function execVariant(load, groupId, variant) {
  const request = (command, extra = {}) => load.client.execContainerCommand(
    new $Eci.ExecContainerCommandRequest({
      regionId: REGION, containerGroupId: groupId, containerName: 'main',
      command: JSON.stringify(command), ...extra,
    }));
  const marker = `soak-${load.serial}`;
  if (variant === 3) {
    const res = await request(['sh', '-c', `echo ${marker}`], { sync: true });
    check(res.body.syncResponse === `${marker}\n`, `sync exec answered ${res.body.syncResponse}`);
    return;
  }
  const tty = variant !== 0;
  const res = await request(tty ? ['sh'] : ['sh', '-c', `echo ${marker}`], tty ? { TTY: true } : {});
  const s = openExec(res.body.webSocketUri);
  try {
    await s.opened;
    if (tty) {
      s.send(0, `echo ${marker}\n`);
      await s.until((x) => x.out[1].includes(marker));
      if (variant === 2) return; // abandoned: the finally closes the socket with the shell alive
      s.send(0, 'exit 0\n');
    }
    const closed = await Promise.race([s.closed, sleep(15000).then(() => null)]);
    check(closed?.code === 1000, `exec socket closed with ${JSON.stringify(closed)}`);
    check(s.exit?.ExitCode === 0, `exec exit frame ${JSON.stringify(s.exit)}`);
    if (!tty) check(s.out[1] === `${marker}\n`, `exec printed ${JSON.stringify(s.out)}`);
  } finally {
    s.ws.terminate();
  }
}

// ---- the load -----------------------------------------------------------------------------

function pickOperation() {
  const total = Object.values(WEIGHTS).reduce((a, b) => a + b, 0);
  let r = Math.random() * total;
  for (const [name, w] of Object.entries(WEIGHTS)) {
    r -= w;
    if (r < 0) return name;
  }
  return 'regions';
}

function errorCode(e) {
  return e.code ?? e.data?.Code;
}

function httpStatus(e) {
  return e.statusCode ?? e.data?.statusCode;
}

// An API error (an answer with an error body, below 500) whose code a race explains. pop-core's
// errors carry no HTTP status of their own.
function isRaceRefusal(e) {
  if (e instanceof WrongAnswer || !e.data?.Code && !e.data?.RequestId) return false;
  const status = httpStatus(e);
  return (status === undefined || status < 500) && RACE_CODES.has(errorCode(e));
}

// Per operation: ok, skipped, refused (by code), errors and latencies.
class Tally {
  constructor() {
    this.byOp = {};
    this.errors = []; // the first few failures, for the report
  }

  entry(op) {
    this.byOp[op] ??= { ok: 0, skipped: 0, refused: {}, errors: 0, ms: [] };
    return this.byOp[op];
  }

  record(op, ms, e) {
    const t = this.entry(op);
    if (!e) {
      t.ok++;
      t.ms.push(ms);
    } else if (e instanceof Skip) {
      t.skipped++;
    } else if (isRaceRefusal(e)) {
      t.refused[errorCode(e)] = (t.refused[errorCode(e)] ?? 0) + 1;
    } else {
      t.errors++;
      const what = `${op}: ${errorCode(e) ?? e.name} ${httpStatus(e) ?? ''} ${e.message}`.slice(0, 300);
      if (this.errors.length < 20) this.errors.push(what);
      console.error(`# soak error: ${what}`);
    }
  }

  summary() {
    const out = {};
    for (const [op, t] of Object.entries(this.byOp)) {
      const s = [...t.ms].sort((a, b) => a - b);
      out[op] = {
        ok: t.ok, skipped: t.skipped, refused: t.refused, errors: t.errors,
        p50ms: s.length ? Math.round(quantile(s, 0.5)) : null,
        p99ms: s.length ? Math.round(quantile(s, 0.99)) : null,
      };
    }
    return out;
  }
}

async function worker(load, deadline) {
  while (performance.now() < deadline) {
    const op = pickOperation();
    const t = performance.now();
    let err;
    try {
      await OPERATIONS[op](load);
    } catch (e) {
      err = e;
    }
    load.tally.record(op, performance.now() - t, err);
    await sleep(PAUSE_MS);
  }
}

// ---- leftovers ----------------------------------------------------------------------------

async function ctrIds(stack, ...filters) {
  return (await stack.ctr(['containers', 'ls', '-q', ...filters]))
    .split('\n').map((s) => s.trim()).filter(Boolean);
}

// Network namespaces holding an address of the test subnet.
function subnetNetns() {
  const run = (args) => {
    try {
      return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      return '';
    }
  };
  return run(['netns', 'list']).split('\n').map((l) => l.split(' ')[0]).filter(Boolean)
    .filter((ns) => [...run(['-n', ns, '-4', '-o', 'addr', 'show']).matchAll(/inet (\S+)\//g)]
      .some((m) => inSubnet(m[1], SUBNET)));
}

function cniResults() {
  try {
    return fs.readdirSync('/var/lib/cni/results').filter((f) => f.startsWith(`${BRIDGE}-`));
  } catch {
    return [];
  }
}

// What is left beyond the warm pool: each figure is 0 on a clean stack. Host-wide figures
// (netns, CNI results) minus `before`, what the host had before the stack's load.
export async function leftovers(stack, createdIds, before = {}) {
  const sandboxes = await ctrIds(stack, 'labels."io.cri-containerd.kind"==sandbox');
  const poolSandboxes = await ctrIds(stack, 'labels."io.cri-containerd.kind"==sandbox',
    'labels."openeci.pool-key"');
  const pool = Math.min(poolSandboxes.length, POOL_SIZE); // what may stay: the warm pool
  return {
    listedGroups: (await stack.listAll()).length,
    sandboxes: sandboxes.length - pool,
    containers: (await ctrIds(stack)).length - sandboxes.length,
    tasks: (await stack.ctrTasks()).size - pool,
    shims: runtimeProcesses(stack).shims - pool,
    netns: subnetNetns().length - pool - (before.netns ?? 0),
    cniResults: cniResults().length - pool - (before.cniResults ?? 0),
    podCgroups: createdIds.filter((id) => groupCgroupDirs(id).length).length,
    imageCaches: ((await stack.sdk().describeImageCaches(
      new $Eci.DescribeImageCachesRequest({ regionId: REGION }))).body.imageCaches ?? []).length,
  };
}

const nothingLeft = (l) => Object.values(l).every((v) => v === 0);

async function waitForPool(stack) {
  const deadline = Date.now() + 60000;
  while (Date.now() < deadline) {
    if ((await ctrIds(stack, 'labels."openeci.pool-key"')).length >= POOL_SIZE) return;
    await sleep(250);
  }
  throw new Error(`the warm pool did not fill to ${POOL_SIZE} sandboxes in 60 s`);
}

// Deletes every image cache and group, then waits until nothing is left (or SETTLE_MS).
async function drain(load, createdIds, before) {
  const { stack, client } = load;
  const caches = (await client.describeImageCaches(new $Eci.DescribeImageCachesRequest({ regionId: REGION })))
    .body.imageCaches ?? [];
  for (const c of caches) {
    await client.deleteImageCache(new $Eci.DeleteImageCacheRequest({ regionId: REGION, imageCacheId: c.imageCacheId }));
  }
  await stack.deleteAllGroups(SETTLE_MS);
  const deadline = Date.now() + SETTLE_MS;
  let left = await leftovers(stack, createdIds, before);
  while (!nothingLeft(left) && Date.now() < deadline) {
    await sleep(1000);
    left = await leftovers(stack, createdIds, before);
  }
  return left;
}

// ---- flatness -----------------------------------------------------------------------------

function median(xs) {
  return xs.length ? quantile([...xs].sort((a, b) => a - b), 0.5) : null;
}

// Which comparisons must hold (the others are shown only). containerd's fds and threads
// follow the number of live pods (a connection and pipes per shim and container), which the
// load varies on purpose, so containerd is judged at rest, where there are none; Go keeps the
// memory and threads it once needed, so containerd's RSS and threads are shown only.
const JUDGED = {
  load: { openeci: ['rssKib', 'fds', 'threads', 'clientConns'], containerd: [] },
  rest: { openeci: ['fds', 'threads'], containerd: ['fds'] },
};

function limitFor(figure, early) {
  if (figure === 'rssKib') return Math.round(early * LIMITS.rssRatio + LIMITS.rssSlackKib);
  return early + (figure === 'threads' ? LIMITS.threadSlack : LIMITS.fdSlack);
}

// Each figure of openeci and containerd compared twice: under load, the median of the second
// quarter of the samples (the first is warm-up) with the median of the last quarter; at rest
// (no groups, warm pool full), before the load with after deleting all. ok: true or false when
// judged, null when only shown.
export function flatness(samples, seconds, restBefore, restAfter) {
  const q2 = samples.filter((s) => s.t >= seconds / 4 && s.t < seconds / 2);
  const q4 = samples.filter((s) => s.t >= (seconds * 3) / 4);
  const rows = [];
  for (const proc of ['openeci', 'containerd']) {
    for (const figure of ['rssKib', 'fds', 'threads', 'clientConns']) {
      if (figure === 'clientConns' && proc !== 'openeci') continue;
      const of = (qs) => median(qs.map((s) => s[proc]?.[figure]).filter(Number.isFinite));
      const pairs = {
        load: [of(q2), of(q4)],
        rest: [restBefore[proc]?.[figure] ?? null, restAfter[proc]?.[figure] ?? null],
      };
      for (const [when, [early, late]] of Object.entries(pairs)) {
        const limit = early === null ? null : limitFor(figure, early);
        const judged = JUDGED[when][proc].includes(figure);
        const ok = judged ? early !== null && late !== null && late <= limit : null;
        rows.push({ when, proc, figure, early, late, limit, ok });
      }
    }
  }
  return rows;
}

// ---- the run ------------------------------------------------------------------------------

// Runs the load for `seconds` on a started stack (SOAK_ENV), then drains it. Returns the
// result; result.problems is empty when the soak passed.
export async function runSoak(stack, { seconds, sampleMs = Math.max(2000, (seconds * 1000) / 360) }) {
  const load = {
    stack, fleet: new Fleet(), tally: new Tally(), serial: 0, cache: undefined,
    client: stack.sdk({ readTimeout: OP_TIMEOUT_MS, connectTimeout: 10000 }),
    pop: stack.popPost(),
  };
  await waitForPool(stack);
  const before = await leftovers(stack, []);
  const t0 = performance.now();
  const samples = [];
  const restBefore = sampleStack(stack, t0, load.fleet, { detail: true });
  const deadline = t0 + seconds * 1000;
  const sampler = setInterval(() => {
    try {
      samples.push(sampleStack(stack, t0, load.fleet));
    } catch (e) {
      console.error(`# soak: sampling failed: ${e.message}`);
    }
  }, sampleMs);
  const progress = setInterval(() => {
    const s = samples.at(-1);
    if (s) {
      console.error(`# soak t=${s.t}s groups=${s.groups} openeci rss=${s.openeci.rssKib}KiB ` +
        `fds=${s.openeci.fds} threads=${s.openeci.threads} containerd fds=${s.containerd?.fds}`);
    }
  }, 60000);
  try {
    await Promise.all(Array.from({ length: WORKERS }, () => worker(load, deadline)));
  } finally {
    clearInterval(sampler);
    clearInterval(progress);
  }
  const elapsed = (performance.now() - t0) / 1000;
  const createdIds = [...stack.groups];
  const left = await drain(load, createdIds, before);
  await sleep(3000);
  const restAfter = sampleStack(stack, t0, load.fleet, { detail: true });
  const flat = flatness(samples, seconds, restBefore, restAfter);
  const ops = load.tally.summary();
  const problems = [
    ...flat.filter((r) => r.ok === false)
      .map((r) => `${r.proc} ${r.figure} grew (${r.when}): ${r.early} -> ${r.late} (limit ${r.limit})`),
    ...Object.entries(left).filter(([, v]) => v !== 0).map(([k, v]) => `left after deleting all: ${v} ${k}`),
    ...Object.entries(ops).filter(([, t]) => t.errors).map(([op, t]) => `${op}: ${t.errors} failed`),
    ...Object.keys(WEIGHTS).filter((op) => !ops[op]?.ok).map((op) => `${op} never succeeded`),
  ];
  return {
    when: new Date().toISOString(), machine: machineInfo(), binary: stack.bin,
    seconds, elapsed: Math.round(elapsed), sampleMs: Math.round(sampleMs), workers: WORKERS,
    limits: LIMITS, poolSize: POOL_SIZE, groupsCreated: createdIds.length,
    ops, errors: load.tally.errors, flat, leftovers: left, before, restBefore, restAfter, samples, problems,
  };
}

// ---- the report ---------------------------------------------------------------------------

const mib = (kib) => (kib === null ? '–' : (kib / 1024).toFixed(1));

function showFigure(figure, v) {
  return figure === 'rssKib' ? `${mib(v)} MiB` : String(v ?? '–');
}

// One-screen summary for the console.
export function summaryLines(r) {
  const lines = [`soak: ${r.elapsed} s of load, ${r.groupsCreated} groups created, ` +
    `${r.samples.length} samples every ${r.sampleMs} ms`];
  const verdict = { true: 'flat', false: 'GREW', null: '(shown only)' };
  for (const f of r.flat) {
    lines.push(`  ${f.proc} ${f.figure} ${f.when}: ${showFigure(f.figure, f.early)} -> ` +
      `${showFigure(f.figure, f.late)} (limit ${showFigure(f.figure, f.limit)}) ${verdict[f.ok]}`);
  }
  for (const [op, t] of Object.entries(r.ops)) {
    lines.push(`  ${op}: ok ${t.ok}, refused ${JSON.stringify(t.refused)}, skipped ${t.skipped}, errors ${t.errors}`);
  }
  lines.push(`  leftovers: ${JSON.stringify(r.leftovers)}`);
  lines.push(`  problems: ${r.problems.length ? r.problems.join('; ') : 'none'}`);
  return lines;
}

export function renderMarkdown(r) {
  const out = [
    '# Soak', '',
    `Written by \`scripts/soak\` (tests/integration/lib/soak.mjs) on ${r.when}. ` +
      `**${r.problems.length ? 'FAILED' : 'PASSED'}**${r.problems.length ? `: ${r.problems.join('; ')}` : ''}.`, '',
    `- Machine: ${r.machine}`,
    `- Server: \`${path.relative(process.cwd(), r.binary)}\``,
    `- Load: ${r.elapsed} s, ${r.workers} concurrent clients (official SDK @alicloud/eci20180808, ` +
      `template export through @alicloud/pop-core), at most ${r.limits.maxGroups} live groups ` +
      `(sleepers with Always, jobs with Never that finish, crash-looping OnFailure groups), ` +
      `${r.groupsCreated} groups created in all; warm pool of ${r.poolSize} sandboxes.`,
    `- Samples: every ${r.sampleMs} ms from /proc: VmRSS, entries of /proc/PID/fd, Threads. ` +
      'openeci\'s fds leave out the API clients\' TCP connections (how many the clients keep ' +
      'alive is up to them), which are the figure clientConns.',
    `- Flat means: the later figure ≤ the earlier + ${r.limits.fdSlack} fds, ` +
      `+ ${r.limits.threadSlack} threads, × ${r.limits.rssRatio} + ${mib(r.limits.rssSlackKib)} MiB RSS. ` +
      'Under load: median of the second quarter of the samples (the first is warm-up) against ' +
      'the median of the last quarter. At rest (no groups, warm pool full): before the load ' +
      'against after deleting all. containerd\'s fds and threads follow the number of live ' +
      'pods, which the load varies on purpose, so containerd is judged at rest; Go keeps the ' +
      'memory and threads it once needed, so its RSS and threads are shown only.', '',
    '| Process | Figure | When | Earlier | Later | Limit | Flat |',
    '|---|---|---|---|---|---|---|',
    ...r.flat.map((f) => `| ${f.proc} | ${f.figure === 'rssKib' ? 'RSS' : f.figure} | ` +
      `${f.when === 'load' ? 'under load' : 'at rest'} | ${showFigure(f.figure, f.early)} | ` +
      `${showFigure(f.figure, f.late)} | ${showFigure(f.figure, f.limit)} | ` +
      `${{ true: 'yes', false: '**no**', null: '(shown only)' }[f.ok]} |`),
    '',
    'Open fds at rest by kind:', '',
    '| Process | Before the load | After deleting all |', '|---|---|---|',
    ...['openeci', 'containerd'].map((proc) => `| ${proc} | ${JSON.stringify(r.restBefore[proc]?.fdKinds ?? {})} | ` +
      `${JSON.stringify(r.restAfter[proc]?.fdKinds ?? {})} |`),
    '',
    'Left after deleting all groups and image caches (beyond the warm pool; all must be 0):', '',
    `| ${Object.keys(r.leftovers).join(' | ')} |`,
    `|${Object.keys(r.leftovers).map(() => '---').join('|')}|`,
    `| ${Object.values(r.leftovers).join(' | ')} |`,
    '',
    'Operations (refused: an answer a race explains, e.g. the group finished meanwhile; ' +
      'skipped: nothing to act on):', '',
    '| Operation | OK | p50 ms | p99 ms | Refused | Skipped | Errors |', '|---|---|---|---|---|---|---|',
    ...Object.entries(r.ops).map(([op, t]) => `| ${op} | ${t.ok} | ${t.p50ms ?? '–'} | ${t.p99ms ?? '–'} | ` +
      `${Object.entries(t.refused).map(([c, n]) => `${c} ${n}`).join(', ') || 0} | ${t.skipped} | ${t.errors} |`),
    '',
  ];
  if (r.errors.length) out.push('Failures:', '', ...r.errors.map((e) => `- ${e}`), '');
  out.push('<details><summary>Samples (JSON)</summary>', '', '```json',
    JSON.stringify(r.samples.map((s) => [s.t, s.groups, s.shims,
      s.openeci.rssKib, s.openeci.fds, s.openeci.threads, s.openeci.clientConns,
      s.containerd?.rssKib ?? null, s.containerd?.fds ?? null, s.containerd?.threads ?? null])),
    '```', '',
    'Each sample: [seconds, live groups, shims, openeci RSS KiB, openeci fds (without client ' +
      'connections), openeci threads, openeci client connections, ' +
      'containerd RSS KiB, containerd fds, containerd threads].', '', '</details>', '');
  return out.join('\n');
}

// ---- CLI ----------------------------------------------------------------------------------

function parseCli(argv) {
  const args = { seconds: 1800, out: null };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--seconds') args.seconds = Number(argv[++i]);
    else if (argv[i] === '--out') args.out = path.resolve(argv[++i]);
    else throw new Error(`usage: node tests/integration/lib/soak.mjs [--seconds N] [--out FILE.md] (got ${argv[i]})`);
  }
  if (!(args.seconds >= 20)) throw new Error('--seconds must be at least 20');
  return args;
}

async function main() {
  const args = parseCli(process.argv.slice(2));
  const stack = new Stack('soak', { env: SOAK_ENV });
  let result;
  try {
    await stack.start();
    result = await runSoak(stack, { seconds: args.seconds });
  } finally {
    await stack.stop();
  }
  for (const line of summaryLines(result)) console.error(line);
  if (args.out) {
    fs.mkdirSync(path.dirname(args.out), { recursive: true });
    fs.writeFileSync(args.out, renderMarkdown(result));
    console.error(`# soak: wrote ${args.out}`);
  }
  process.exitCode = result.problems.length ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}

// Crash consistency (issue 6): a few careful SDK clients issue 200 creates, deletes and restarts
// (ClientToken on creates, the same token again on every retry after a connection error or a
// timeout) while a killer SIGKILLs the server at random moments and starts it again. Then:
//   - every acknowledged create exists once (one group per ClientToken, the id the client was
//     given) and reaches its state: Running and ready (Always), Succeeded (Never);
//   - every acknowledged delete is gone from the API and from containerd;
//   - containerd holds exactly the sandboxes of live groups, and containers only of those;
//   - nothing on the host is orphaned: network namespaces, CNI results and IP allocations,
//     CNI NAT rules and chains, pod cgroup directories, mounts below the stack's directory;
//   - the containerd the server started survived every kill and was adopted again;
// and after deleting everything the host holds nothing of the stack's pods.
// Durability design: docs/durability.md.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  startStack, sleep, alive, summarize, $Eci, REGION, BRIDGE, SLEEPER,
} from './lib/stack.mjs';
import { mountsBelow } from './lib/reap.mjs';

const OPS = 200;
const CLIENTS = 4;
const KILLS = 10;
const MAX_LIVE = 24; // live groups at once; beyond it a client deletes the oldest
const CNI_RESULTS = '/var/lib/cni/results';
const CGROUP_ROOT = '/sys/fs/cgroup';
const SHORT_LIVED = ['/bin/sh', '-c', 'sleep 1; exit 0'];

let stack;
before(async () => {
  stack = await startStack('crash', {
    env: {
      OPENECI_SANDBOX_POOL_SIZE: '0',
      OPENECI_STOP_GRACE_SECONDS: '1',
    },
  });
});
after(async () => {
  await stack?.stop();
});

const rand = (lo, hi) => lo + Math.floor(Math.random() * (hi - lo));
const pick = (list) => list[Math.floor(Math.random() * list.length)];

function sh(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}

// ---- the clients' side ----------------------------------------------------------------------

// An error is the transport's (no HTTP answer: refused, reset, timed out) or the server's.
function httpStatusOf(e) {
  return e?.data?.statusCode ?? e?.statusCode;
}

function isTransportError(e) {
  return httpStatusOf(e) === undefined;
}

// What the clients did, and what the server acknowledged.
class Ledger {
  constructor() {
    this.issued = 0;
    this.completed = 0;
    this.creates = new Map(); // ClientToken -> {token, name, policy, id, attempts}
    this.live = []; // acknowledged groups not deleted, oldest first: {id, policy, busy}
    this.deleted = new Set(); // acknowledged deletes
    this.counts = {
      creates: 0, createsAcked: 0, deletes: 0, deletesAcked: 0, restarts: 0, restartsAcked: 0,
      restartsRefused: 0, retries: 0, retriedOps: 0, transportErrors: 0, serverErrors: 0,
      tokenReplays: 0,
    };
    this.inflightCreates = 0;
  }

  // Live groups (counting creates in flight) and the ones a client may delete or restart now.
  liveCount() {
    return this.live.length + this.inflightCreates;
  }
  idle(filter = () => true) {
    return this.live.filter((g) => !g.busy && filter(g));
  }
}

// Runs `call` until it answers, retrying transport errors and 5xx with the same request.
async function withRetry(ledger, call) {
  const deadline = Date.now() + 120000;
  let attempts = 0;
  for (;;) {
    attempts++;
    try {
      const value = await call();
      if (attempts > 1) ledger.counts.retriedOps++;
      return { value, attempts };
    } catch (e) {
      const status = httpStatusOf(e);
      const retryable = status === undefined || status >= 500;
      if (!retryable || Date.now() > deadline) {
        e.attempts = attempts;
        if (attempts > 1) ledger.counts.retriedOps++;
        throw e;
      }
      if (status === undefined) ledger.counts.transportErrors++;
      else ledger.counts.serverErrors++;
      ledger.counts.retries++;
      await sleep(rand(100, 400));
    }
  }
}

async function createOp(ledger, client, n, policy) {
  const token = `crash-${process.pid}-${n}`;
  const name = `crash-${n}`;
  const record = { token, name, policy, id: undefined, attempts: 0 };
  ledger.creates.set(token, record);
  ledger.counts.creates++;
  ledger.inflightCreates++;
  const req = new $Eci.CreateContainerGroupRequest(stack.groupRequest(name, {
    restartPolicy: policy,
    clientToken: token,
    container: [stack.mainContainer({ command: policy === 'Always' ? SLEEPER : SHORT_LIVED })],
  }));
  try {
    const { value, attempts } = await withRetry(ledger, () => client.createContainerGroup(req));
    const id = value.body.containerGroupId;
    assert.ok(id, `create ${name} answered without an id`);
    if (attempts > 1) ledger.counts.tokenReplays++;
    record.id = id;
    record.attempts = attempts;
    stack.track(id);
    ledger.counts.createsAcked++;
    ledger.live.push({ id, policy, busy: false });
  } finally {
    ledger.inflightCreates--;
  }
}

async function deleteOp(ledger, client, group) {
  ledger.counts.deletes++;
  group.busy = true;
  const req = new $Eci.DeleteContainerGroupRequest({ regionId: REGION, containerGroupId: group.id });
  try {
    await withRetry(ledger, () => client.deleteContainerGroup(req));
  } catch (e) {
    // A retry after a lost answer finds the group already being deleted.
    if (!(e.attempts > 1 && e.code === 'InvalidParameter.NotFound')) throw e;
  }
  ledger.counts.deletesAcked++;
  ledger.deleted.add(group.id);
  ledger.live.splice(ledger.live.indexOf(group), 1);
}

async function restartOp(ledger, client, group) {
  ledger.counts.restarts++;
  group.busy = true;
  // With its own token, a retry after a lost answer is answered success, not restarted again.
  const req = new $Eci.RestartContainerGroupRequest({
    regionId: REGION, containerGroupId: group.id,
    clientToken: `crash-restart-${process.pid}-${ledger.counts.restarts}`,
  });
  try {
    await withRetry(ledger, () => client.restartContainerGroup(req));
    ledger.counts.restartsAcked++;
  } catch (e) {
    // Still Restarting from an earlier restart operation: refused.
    if (e.code !== 'IncorrectStatus') throw e;
    ledger.counts.restartsRefused++;
  } finally {
    group.busy = false;
  }
}

// One client: takes the next operation number until OPS are issued.
async function clientLoop(ledger) {
  const client = stack.sdk({ readTimeout: 8000, connectTimeout: 2000 });
  while (ledger.issued < OPS) {
    const n = ledger.issued++;
    const r = Math.random();
    const deletable = ledger.idle();
    const restartable = ledger.idle((g) => g.policy === 'Always');
    if (ledger.liveCount() >= MAX_LIVE && deletable.length) {
      await deleteOp(ledger, client, deletable[0]);
    } else if (r < 0.18 && deletable.length > 4) {
      await deleteOp(ledger, client, pick(deletable));
    } else if (r < 0.28 && restartable.length) {
      await restartOp(ledger, client, pick(restartable));
    } else {
      await createOp(ledger, client, n, r < 0.35 ? 'Never' : 'Always');
    }
    ledger.completed++;
    await sleep(rand(0, 250));
  }
}

// SIGKILLs the server KILLS times, spread over the operations (after a random share of them and
// a random delay, so kills land anywhere in requests and controller passes), and restarts it
// after a random down time.
async function killerLoop(ledger, kills) {
  for (let k = 1; k <= KILLS; k++) {
    const threshold = Math.floor((OPS * k) / (KILLS + 1)) + rand(-5, 5);
    while (ledger.issued < threshold && !ledger.done) await sleep(20);
    if (ledger.done) return;
    await sleep(rand(0, 400));
    await stack.kill9();
    kills.push(Date.now());
    await sleep(rand(0, 600));
    await stack.startServer();
  }
}

// ---- what the machine holds -------------------------------------------------------------------

function containerdPid() {
  return Number(fs.readFileSync(path.join(stack.stateDir, 'containerd', 'containerd.pid'), 'utf8'));
}

// Every OpenECI object in containerd: sandboxes (group, netns path) and containers (group).
async function runtimeView() {
  const ids = (await stack.ctr(['containers', 'ls', '-q'])).split('\n').map((s) => s.trim()).filter(Boolean);
  const sandboxes = new Map(); // id -> {group, netns}
  const containers = new Map(); // id -> {group, sandbox}
  for (const id of ids) {
    let info;
    try {
      info = JSON.parse(await stack.ctr(['containers', 'info', id]));
    } catch {
      continue; // removed meanwhile
    }
    const labels = info.Labels ?? {};
    const group = labels['openeci.group-id'] ?? '(unlabelled)';
    if (labels['io.cri-containerd.kind'] === 'sandbox') {
      const ns = (info.Spec?.linux?.namespaces ?? []).find((n) => n.type === 'network');
      sandboxes.set(id, { group, netns: ns?.path ? path.basename(ns.path) : undefined });
    } else {
      containers.set(id, { group, sandbox: info.Spec?.annotations?.['io.kubernetes.cri.sandbox-id'] });
    }
  }
  return { sandboxes, containers };
}

// What the host holds that pods create: network namespaces, CNI results, host-local IP
// allocations, CNI NAT rules and chains, pod cgroup directories, mounts below the stack dir.
function hostView() {
  const netns = new Set(sh('ip', ['netns', 'list']).split('\n').map((l) => l.split(' ')[0]).filter(Boolean));
  const cniResults = new Set();
  for (const f of fs.existsSync(CNI_RESULTS) ? fs.readdirSync(CNI_RESULTS) : []) {
    const m = new RegExp(`^(?:${BRIDGE}|cni-loopback)-([0-9a-f]{64})-(?:eth0|lo)$`).exec(f);
    if (m) cniResults.add(m[1]);
  }
  const ipOwners = new Map(); // ip -> sandbox id (host-local IPAM below the stack's state dir)
  const ipamRoot = path.join(stack.stateDir, 'cni', 'ipam');
  for (const net of fs.existsSync(ipamRoot) ? fs.readdirSync(ipamRoot) : []) {
    for (const f of fs.readdirSync(path.join(ipamRoot, net))) {
      if (!/^\d+\.\d+\.\d+\.\d+$/.test(f)) continue;
      ipOwners.set(f, fs.readFileSync(path.join(ipamRoot, net, f), 'utf8').split(/\s/)[0]);
    }
  }
  const nat = sh('iptables', ['-t', 'nat', '-S']);
  const natChains = new Set([...nat.matchAll(/^-N (CNI-[0-9a-f]+)$/gm)].map((m) => m[1]));
  const natRules = new Map(); // sandbox id -> chain (POSTROUTING jumps the bridge plugin added)
  for (const m of nat.matchAll(/^-A POSTROUTING .*-j (CNI-[0-9a-f]+) .*id: \\?"([0-9a-f]{64})\\?"|^-A POSTROUTING .*id: \\?"([0-9a-f]{64})\\?".*-j (CNI-[0-9a-f]+)/gm)) {
    natRules.set(m[2] ?? m[3], m[1] ?? m[4]);
  }
  const cgroups = new Set();
  for (const c of fs.readdirSync(CGROUP_ROOT)) {
    const parent = path.join(CGROUP_ROOT, c, 'openeci');
    try {
      for (const d of fs.readdirSync(parent, { withFileTypes: true })) {
        if (d.isDirectory()) cgroups.add(`${c}/openeci/${d.name}`);
      }
    } catch {
      // no such hierarchy or no pods
    }
  }
  const mounts = new Set(mountsBelow(stack.dir));
  return { netns, cniResults, ipOwners, natChains, natRules, cgroups, mounts };
}

// Everything that does not match the live groups, as readable lines (empty: consistent).
// `expected`: Map group id -> {policy, wantSandbox}.
async function inconsistencies(expected, baseline) {
  const problems = [];
  const rt = await runtimeView();
  const host = hostView();
  const liveSandboxes = new Set();
  const sandboxesOf = new Map();
  for (const [id, sb] of rt.sandboxes) {
    if (!expected.has(sb.group)) {
      problems.push(`sandbox ${id.slice(0, 12)} of ${sb.group} (no live group)`);
      continue;
    }
    liveSandboxes.add(id);
    sandboxesOf.set(sb.group, [...(sandboxesOf.get(sb.group) ?? []), id]);
  }
  for (const [group, want] of expected) {
    const n = (sandboxesOf.get(group) ?? []).length;
    if (n !== (want.wantSandbox ? 1 : 0)) problems.push(`group ${group} (${want.policy}) has ${n} sandboxes`);
  }
  const liveContainers = new Set();
  for (const [id, c] of rt.containers) {
    if (!expected.has(c.group) || !liveSandboxes.has(c.sandbox)) {
      problems.push(`container ${id.slice(0, 12)} of ${c.group} (no live group or sandbox)`);
    } else {
      liveContainers.add(id);
    }
  }
  const liveNetns = new Set([...rt.sandboxes.values()].map((s) => s.netns).filter(Boolean));
  for (const ns of host.netns) {
    if (!baseline.netns.has(ns) && !liveNetns.has(ns)) problems.push(`network namespace ${ns}`);
  }
  for (const id of host.cniResults) {
    if (!baseline.cniResults.has(id) && !liveSandboxes.has(id)) problems.push(`CNI result of ${id.slice(0, 12)}`);
  }
  for (const [ip, owner] of host.ipOwners) {
    if (!liveSandboxes.has(owner)) problems.push(`IP ${ip} allocated to ${owner.slice(0, 12)}`);
  }
  for (const [id, chain] of host.natRules) {
    if (!baseline.natRules.has(id) && !liveSandboxes.has(id)) {
      problems.push(`NAT rule ${chain} of ${id.slice(0, 12)}`);
    }
  }
  const jumpedTo = new Set(host.natRules.values());
  for (const chain of host.natChains) {
    if (!baseline.natChains.has(chain) && !jumpedTo.has(chain)) {
      problems.push(`NAT chain ${chain} (no rule jumps to it)`);
    }
  }
  for (const cg of host.cgroups) {
    if (baseline.cgroups.has(cg)) continue;
    const group = cg.split('/')[2];
    if (!expected.has(group) || !expected.get(group).wantSandbox) problems.push(`cgroup ${cg}`);
  }
  for (const m of host.mounts) {
    if (baseline.mounts.has(m)) continue;
    const ids = m.match(/[0-9a-f]{64}/g) ?? [];
    if (!ids.some((id) => liveSandboxes.has(id) || liveContainers.has(id))) problems.push(`mount ${m}`);
  }
  summary.last = `${liveSandboxes.size} sandboxes, ${liveContainers.size} containers, ` +
    `${[...host.netns].filter((n) => !baseline.netns.has(n)).length} netns, ` +
    `${host.ipOwners.size} IPs, ${host.natRules.size - baseline.natRules.size} NAT rules, ` +
    `${host.cgroups.size - baseline.cgroups.size} cgroup dirs, ` +
    `${host.mounts.size - baseline.mounts.size} mounts`;
  return problems;
}
const summary = { last: '' };

// Polls until the machine matches `expected` (the controller and containerd may still be
// tearing down); returns the last list of problems (empty when it converged).
async function converge(expected, baseline, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let problems;
  do {
    problems = await inconsistencies(expected, baseline);
    if (!problems.length) return problems;
    await sleep(1000);
  } while (Date.now() < deadline);
  return problems;
}

// ---- the test ----------------------------------------------------------------------------------

test('acknowledged creates and deletes survive SIGKILLs; nothing is orphaned', async () => {
  const t0 = Date.now();
  const baseline = hostView();
  const containerd = containerdPid();
  const ledger = new Ledger();
  const kills = [];

  const killer = killerLoop(ledger, kills);
  const clients = Array.from({ length: CLIENTS }, () => clientLoop(ledger));
  try {
    await Promise.all(clients);
  } finally {
    ledger.done = true;
    await killer;
  }
  const tOps = Date.now();
  if (!alive(stack.server.pid)) await stack.startServer();
  const c = ledger.counts;
  console.error(`# crash: ${OPS} ops by ${CLIENTS} clients in ${tOps - t0} ms, ` +
    `${kills.length} SIGKILLs; creates ${c.createsAcked}/${c.creates} acked ` +
    `(${c.tokenReplays} answered after a retry), deletes ${c.deletesAcked}/${c.deletes}, ` +
    `restarts ${c.restartsAcked}/${c.restarts} (${c.restartsRefused} refused); ` +
    `${c.retries} retries (${c.transportErrors} transport, ${c.serverErrors} 5xx) ` +
    `in ${c.retriedOps} ops; ${ledger.live.length} live groups`);
  assert.ok(kills.length >= 8, `only ${kills.length} kills`);

  // containerd is the server's child but lives in its own process group: it outlives each
  // SIGKILL and the next server adopts it (pods keep running across OpenECI restarts).
  assert.ok(alive(containerd), 'the containerd the first server started died');
  assert.equal(containerdPid(), containerd, 'a restarted server replaced containerd');

  // Exactly one group per ClientToken, with the id the client was given; acknowledged deletes
  // are gone; every acknowledged create reaches its state.
  const expected = new Map(ledger.live.map((g) => [g.id, { policy: g.policy, wantSandbox: g.policy === 'Always' }]));
  const settle = await Promise.allSettled(ledger.live.map((g) => stack.waitFor(g.id, (x) =>
    (g.policy === 'Always' ? x?.status === 'Running' && x.containers?.[0]?.ready
      : x?.status === 'Succeeded'), 90000)));
  const notSettled = settle.filter((s) => s.status === 'rejected').map((s) => s.reason.message);
  assert.deepEqual(notSettled, [], 'acknowledged creates that did not reach their state');
  const listed = await stack.listAll();
  const byName = new Map();
  for (const g of listed) byName.set(g.containerGroupName, [...(byName.get(g.containerGroupName) ?? []), g.containerGroupId]);
  const duplicates = [...byName].filter(([, ids]) => ids.length > 1);
  assert.deepEqual(duplicates, [], 'one ClientToken created more than one group');
  const wantIds = new Set(expected.keys());
  const unexpected = listed.filter((g) => !wantIds.has(g.containerGroupId)).map((g) => summarize(g));
  assert.deepEqual(unexpected, [], 'groups listed that are deleted or were never acknowledged');
  const missing = [...wantIds].filter((id) => !listed.some((g) => g.containerGroupId === id));
  assert.deepEqual(missing, [], 'acknowledged creates missing');
  for (const id of ledger.deleted) assert.equal(await stack.describe(id), undefined, `deleted ${id} is listed`);
  for (const [token, c] of ledger.creates) {
    assert.ok(c.id, `create ${token} was never acknowledged`);
  }

  const problems = await converge(expected, baseline, 60000);
  assert.deepEqual(problems, [], 'containerd or the host disagree with the live groups');
  console.error(`# crash: settled with ${expected.size} live groups: ${summary.last}`);
  const tSettled = Date.now();

  // Everything deleted: nothing of the stack's pods is left on the machine.
  assert.equal(await stack.deleteAllGroups(60000), true, 'groups still listed after deleting all');
  const leftovers = await converge(new Map(), baseline, 60000);
  assert.deepEqual(leftovers, [], 'left behind after deleting every group');

  console.error(`# crash: settle ${tSettled - tOps} ms, delete all ${Date.now() - tSettled} ms`);
});

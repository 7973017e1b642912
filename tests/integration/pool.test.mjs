// The warm sandbox pool (OPENECI_SANDBOX_POOL_SIZE=2) on the real stack: a group that takes a
// pool sandbox looks exactly like one with its own (hostname in its UTS namespace and
// /etc/hostname, /etc/hosts, HOSTNAME, resolv.conf, IP from the VSwitch's subnet, logs, exec),
// the pool refills (ctr shows the warm sandboxes), a group with sysctls gets its own sandbox, a
// SIGKILLed server re-adopts a claimed sandbox, deletes and the clean stop leave nothing.
// Create→Running with and without the pool is measured and printed (never asserted).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startStack, sleep, inSubnet, alive, summarize, $Eci, REGION,
} from './lib/stack.mjs';

const POOL_SIZE = 2;
const ECHO_SLEEPER = ['/bin/sh', '-c', 'echo hello-from-$(hostname); trap "exit 0" TERM; while :; do sleep 1; done'];
const ROUNDS = 5;

let stack;
const timings = { pool: [], fresh: [] };

after(async () => {
  await stack?.stop();
});

async function exec(groupId, script, containerName = 'main') {
  const res = await stack.sdk().execContainerCommand(new $Eci.ExecContainerCommandRequest({
    regionId: REGION, containerGroupId: groupId, containerName,
    command: JSON.stringify(['sh', '-c', script]), sync: true,
  }));
  return res.body.syncResponse;
}

async function log(groupId, containerName = 'main') {
  const res = await stack.sdk().describeContainerLog(new $Eci.DescribeContainerLogRequest({
    regionId: REGION, containerGroupId: groupId, containerName,
  }));
  return res.body.content ?? '';
}

// Pool sandboxes (ctr), split into the warm ones and those holding some group's containers.
async function poolSandboxes() {
  const ids = (await stack.ctr(['containers', 'ls', '-q', 'labels."openeci.pool-key"']))
    .split('\n').map((s) => s.trim()).filter(Boolean);
  const used = new Set();
  for (const id of (await stack.ctr(['containers', 'ls', '-q', 'labels."openeci.group-id"']))
    .split('\n').map((s) => s.trim()).filter(Boolean)) {
    try {
      const info = JSON.parse(await stack.ctr(['containers', 'info', id]));
      const sb = info.Spec?.annotations?.['io.kubernetes.cri.sandbox-id'];
      if (sb && info.Labels?.['io.cri-containerd.kind'] === 'container') used.add(sb);
    } catch {
      // removed meanwhile
    }
  }
  return { all: ids, warm: ids.filter((id) => !used.has(id)), claimed: ids.filter((id) => used.has(id)) };
}

async function waitForWarm(n, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await poolSandboxes();
    if (last.warm.length === n) return last;
    await sleep(200);
  }
  throw new Error(`expected ${n} warm pool sandboxes, last seen ${JSON.stringify(last)}`);
}

// The sandbox a group's running container is in.
async function sandboxOf(groupId) {
  const c = await stack.runningContainer(groupId);
  return c.info.Spec.annotations['io.kubernetes.cri.sandbox-id'];
}

// Create → Describe says Running (polled every 5 ms), in ms.
async function timedCreate(name, over = {}) {
  const t0 = performance.now();
  const id = await stack.create(stack.groupRequest(name, over));
  for (;;) {
    const g = await stack.describe(id);
    if (g?.status === 'Running') return { id, ms: performance.now() - t0, group: g };
    if (g?.status === 'Failed') throw new Error(JSON.stringify(summarize(g)));
    if (performance.now() - t0 > 60000) throw new Error(`${id} not Running: ${JSON.stringify(summarize(g))}`);
    await sleep(5);
  }
}

// Deletes the group and waits until containerd holds nothing of it.
async function deleteAndWait(id) {
  await stack.delete(id);
  const deadline = Date.now() + 20000;
  while ((await stack.ctrGroupIds()).has(id)) {
    if (Date.now() > deadline) throw new Error(`${id} still in containerd`);
    await sleep(100);
  }
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
}

before(async () => {
  stack = await startStack('pool', { env: { OPENECI_SANDBOX_POOL_SIZE: String(POOL_SIZE) } });
});

test('the pool warms up with network-ready sandboxes of no group', async () => {
  const pool = await waitForWarm(POOL_SIZE);
  assert.equal(pool.all.length, POOL_SIZE);
  for (const id of pool.all) {
    const info = JSON.parse(await stack.ctr(['containers', 'info', id]));
    assert.equal(info.Labels['openeci.group-id'], undefined);
    assert.equal(info.Labels['openeci.pool-key'], 'vsw-openeci-it/sg-openeci-it');
  }
  // Pool sandboxes count against nothing a user sees.
  assert.deepEqual(await stack.listAll(), []);
});

let pooled;     // a group that took a pool sandbox
let fresh;      // a group with a sysctl: its own sandbox
test('a group with sysctls does not use the pool', async () => {
  await waitForWarm(POOL_SIZE);
  fresh = await timedCreate('pool-sysctl', {
    container: [stack.mainContainer({ command: ECHO_SLEEPER })],
    securityContext: { sysctl: [{ name: 'kernel.msgmax', value: '65536' }] },
  });
  const { sandboxes } = await stack.ctrGroup(fresh.id);
  assert.equal(sandboxes.length, 1, 'its own sandbox, labelled with its ID');
  assert.equal(sandboxes[0].labels['openeci.pool-key'], undefined);
  assert.equal((await exec(fresh.id, 'cat /proc/sys/kernel/msgmax')).trim(), '65536');
  assert.equal((await poolSandboxes()).warm.length, POOL_SIZE, 'the pool was not touched');
});

test('a group from the pool has its own hostname, hosts, DNS, IP, logs and exec', async () => {
  await waitForWarm(POOL_SIZE);
  const before = await poolSandboxes();
  pooled = await timedCreate('pool-web', { container: [stack.mainContainer({ command: ECHO_SLEEPER })] });
  const g = pooled.group;
  const sb = await sandboxOf(pooled.id);
  assert.ok(before.warm.includes(sb), `sandbox ${sb} came from the pool ${JSON.stringify(before)}`);
  assert.equal((await stack.ctrGroup(pooled.id)).sandboxes.length, 0, 'no sandbox of its own');

  assert.ok(inSubnet(g.intranetIp), g.intranetIp);
  assert.equal((await exec(pooled.id, 'hostname')).trim(), 'pool-web');
  assert.equal(await exec(pooled.id, 'cat /etc/hostname'), 'pool-web\n');
  // HOSTNAME as containerd sets it for a group with its own sandbox.
  const freshEnv = (await exec(fresh.id, 'echo $HOSTNAME')).trim();
  assert.equal((await exec(pooled.id, 'echo $HOSTNAME')).trim(),
    freshEnv === 'pool-sysctl' ? 'pool-web' : freshEnv);
  assert.match(await exec(pooled.id, 'cat /etc/hosts'), new RegExp(`^${g.intranetIp.replaceAll('.', '\\.')}\tpool-web$`, 'm'));
  assert.match(await exec(pooled.id, 'ip -4 addr show eth0'), new RegExp(`inet ${g.intranetIp}/`));
  // The same resolv.conf as a group with its own sandbox (both take the machine's).
  assert.equal(await exec(pooled.id, 'cat /etc/resolv.conf'), await exec(fresh.id, 'cat /etc/resolv.conf'));
  // The sysctl group's value stayed in its own namespaces.
  assert.notEqual((await exec(pooled.id, 'cat /proc/sys/kernel/msgmax')).trim(), '65536');

  const deadline = Date.now() + 10000;
  while (!(await log(pooled.id)).includes('hello-from-pool-web') && Date.now() < deadline) await sleep(200);
  assert.match(await log(pooled.id), /hello-from-pool-web/);
  const events = (g.events ?? []).map((e) => e.reason);
  assert.ok(events.includes('Started'), JSON.stringify(events));
});

test('the pool refills after a claim', async () => {
  const pool = await waitForWarm(POOL_SIZE);
  assert.equal(pool.claimed.length, 1);
  assert.equal(pool.all.length, POOL_SIZE + 1);
});

test('create→Running from the pool (measured, not asserted)', async () => {
  for (let i = 0; i < ROUNDS; ++i) {
    await waitForWarm(POOL_SIZE);
    const r = await timedCreate(`pool-t${i}`);
    timings.pool.push(r.ms);
    await deleteAndWait(r.id);
  }
  console.error(`# create→Running with pool (ms): ${timings.pool.map((x) => x.toFixed(0)).join(' ')}` +
    ` median ${median(timings.pool).toFixed(1)}`);
});

test('SIGKILL of OpenECI after a claim: the group stays Running and is re-adopted', async () => {
  const b = await stack.describe(pooled.id);
  const running = await stack.runningContainer(pooled.id);
  const sb = await sandboxOf(pooled.id);
  await stack.kill9();
  assert.ok(alive(running.task.pid));
  await stack.restart();
  const g = await stack.waitFor(pooled.id, (x) => x?.status === 'Running', 20000);
  assert.equal(g.intranetIp, b.intranetIp);
  assert.equal(g.containers[0].restartCount, 0);
  assert.equal(g.containers[0].currentState.startTime, b.containers[0].currentState.startTime);
  await sleep(1500);  // a few passes later nothing changed
  const again = await stack.runningContainer(pooled.id);
  assert.equal(again.task.pid, running.task.pid, 'the container was not restarted');
  assert.equal(await sandboxOf(pooled.id), sb);
  assert.equal((await exec(pooled.id, 'hostname')).trim(), 'pool-web');
  const pool = await waitForWarm(POOL_SIZE);
  assert.deepEqual(pool.claimed, [sb], 'the claimed sandbox is not back in the pool');
});

test('deletes leave only the warm pool behind', async () => {
  assert.equal(await stack.deleteAllGroups(30000), true);
  const deadline = Date.now() + 20000;
  while ((await stack.ctrGroupIds()).size > 0 && Date.now() < deadline) await sleep(200);
  assert.equal((await stack.ctrGroupIds()).size, 0);
  const pool = await waitForWarm(POOL_SIZE);
  assert.deepEqual(pool.claimed, []);
  assert.equal(pool.all.length, POOL_SIZE);
});

test('create→Running without the pool (size 0 removes it; measured, not asserted)', async () => {
  stack.extraEnv.OPENECI_SANDBOX_POOL_SIZE = '0';
  await stack.restart();
  assert.deepEqual((await poolSandboxes()).all, [], 'size 0: the leftover pool is removed');
  for (let i = 0; i < ROUNDS; ++i) {
    const r = await timedCreate(`fresh-t${i}`);
    timings.fresh.push(r.ms);
    await deleteAndWait(r.id);
  }
  console.error(`# create→Running without pool (ms): ${timings.fresh.map((x) => x.toFixed(0)).join(' ')}` +
    ` median ${median(timings.fresh).toFixed(1)}`);
  console.error(`# pool median / fresh median = ${(median(timings.pool) / median(timings.fresh)).toFixed(2)}`);
  assert.equal(await stack.deleteAllGroups(30000), true);
});

test('a clean stop with a pool leaves nothing behind', async () => {
  stack.extraEnv.OPENECI_SANDBOX_POOL_SIZE = String(POOL_SIZE);
  await stack.restart();
  await waitForWarm(POOL_SIZE);
  const left = await stack.stop();
  assert.deepEqual(left, []);
});

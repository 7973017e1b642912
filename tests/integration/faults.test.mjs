// Runtime faults while groups run:
//   1. containerd is SIGKILLed under load (a client keeps describing and creating), and while
//      it is down one container of each restart policy dies too. The server starts containerd
//      again, which reconnects to the running shims: groups keep their sandboxes and containers,
//      the dead containers are handled per their policy, and no API call hangs meanwhile.
//   2. A registry stops sending in the middle of a layer download (a TCP proxy in front of the
//      test registry holds the connection open and silent). The pull is cancelled after
//      OPENECI_PULL_PROGRESS_TIMEOUT_SECONDS, the group shows ErrImagePull with an event naming
//      the image and the reason, nothing else waits on it, and once the registry answers again
//      the image is pulled.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import http from 'node:http';
import { startStack, alive, sleep, summarize, $Eci, REGION } from './lib/stack.mjs';

// Short enough for a test, long enough that a loaded machine's healthy pull never trips it.
const PULL_PROGRESS_TIMEOUT_SECONDS = 3;
// "Never hangs": every API call during a fault answers within this.
const MAX_CALL_MS = 2000;

let stack;
let proxy;
let clientLoop; // stopped in after() too, so a failed assertion cannot leave it running
before(async () => {
  stack = await startStack('faults', {
    env: { OPENECI_PULL_PROGRESS_TIMEOUT_SECONDS: String(PULL_PROGRESS_TIMEOUT_SECONDS) },
  });
});
after(async () => {
  await clientLoop?.stop();
  proxy?.close();
  await stack?.stop();
});

function containerdPid() {
  const file = path.join(stack.stateDir, 'containerd', 'containerd.pid');
  try {
    return Number(fs.readFileSync(file, 'utf8').trim()) || 0;
  } catch {
    return 0; // being rewritten
  }
}

async function until(what, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

// Keeps describing `ids` (and creates a few groups) every 100 ms until stopped; records how
// long each call took and how it ended. Each call has a 5 s client timeout, so a hang shows
// as a slow call instead of stalling the test.
function startClientLoop(ids) {
  const client = stack.sdk({ readTimeout: 5000, connectTimeout: 2000 });
  const calls = [];
  const created = [];
  let stopping = false;
  const running = (async () => {
    for (let n = 0; !stopping; n++) {
      const action = n % 6 === 5 && created.length < 2 ? 'create' : 'describe';
      const t0 = Date.now();
      try {
        if (action === 'create') {
          created.push(await stack.create(stack.groupRequest(`outage-${created.length}`), client));
        } else {
          await client.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({
            regionId: REGION, containerGroupIds: JSON.stringify(ids),
          }));
        }
        calls.push({ action, ms: Date.now() - t0 });
      } catch (e) {
        calls.push({ action, ms: Date.now() - t0, error: `${e.code ?? ''} ${e.message}` });
      }
      await sleep(100);
    }
  })();
  return { calls, created, stop: async () => { stopping = true; await running; } };
}

// The group's containers in containerd by name: [{id, pid, status}] (every attempt kept).
async function containersByName(groupId) {
  const { sandboxes, containers } = await stack.ctrGroup(groupId);
  const byName = {};
  for (const c of containers) {
    const name = c.labels['openeci.container-name'];
    (byName[name] ??= []).push({ id: c.id, pid: c.task?.pid, status: c.task?.status });
  }
  return { sandboxes: sandboxes.map((s) => s.id).sort(), byName };
}

function startedEvents(g, containerName) {
  return (g.events ?? [])
    .filter((e) => e.reason === 'Started' && e.name === `${g.containerGroupId}.${containerName}`)
    .reduce((n, e) => n + (e.count || 1), 0);
}

test('containerd SIGKILLed under load: restarted, groups kept, dead containers handled per policy', async () => {
  const side = stack.mainContainer({ name: 'side' });
  const ids = {
    always: await stack.create(stack.groupRequest('fault-always', {
      restartPolicy: 'Always', container: [stack.mainContainer(), side],
    })),
    onfailure: await stack.create(stack.groupRequest('fault-onfailure', { restartPolicy: 'OnFailure' })),
    never: await stack.create(stack.groupRequest('fault-never', { restartPolicy: 'Never' })),
    steady: await stack.create(stack.groupRequest('fault-steady', { restartPolicy: 'Never' })),
  };
  const before = {};
  for (const [key, id] of Object.entries(ids)) {
    const g = await stack.waitFor(id, (x) => x?.status === 'Running' &&
      x.containers.every((c) => c.ready), 60000);
    before[key] = { group: g, ...(await containersByName(id)) };
    assert.equal(before[key].sandboxes.length, 1, `${key}: one sandbox`);
  }
  const oldContainerd = containerdPid();
  assert.ok(alive(oldContainerd), 'containerd runs');
  const serverPid = stack.server.pid;
  const logOffset = fs.statSync(stack.serverLog).size;

  const load = startClientLoop(Object.values(ids));
  clientLoop = load;
  await sleep(600);
  process.kill(oldContainerd, 'SIGKILL');
  // While containerd is down, the main container of three groups dies too.
  const victims = ['always', 'onfailure', 'never'].map((key) => before[key].byName.main[0].pid);
  for (const pid of victims) process.kill(pid, 'SIGKILL');
  await until('the killed processes to be gone', async () => victims.every((pid) => !alive(pid)), 5000);

  const newContainerd = await until('containerd to be started again', async () => {
    const pid = containerdPid();
    if (pid === oldContainerd || !alive(pid)) return 0;
    await stack.ctr(['version'], { timeoutMs: 2000 });
    return pid;
  }, 30000);
  // How it died is named when the server itself reaped it ("killed by signal 9"), else "exited".
  const died = new RegExp(`containerd \\(pid ${oldContainerd}\\) (killed by signal 9|exited)`);
  const restarted = new RegExp(`containerd restarted \\(pid ${newContainerd}\\)`);
  const log = await until('the supervisor\'s log lines', async () => {
    const text = fs.readFileSync(stack.serverLog, 'utf8').slice(logOffset);
    return died.test(text) && restarted.test(text) ? text : '';
  }, 5000).catch(() => fs.readFileSync(stack.serverLog, 'utf8').slice(logOffset));
  assert.match(log, died);
  assert.match(log, restarted);
  assert.equal(stack.server.pid, serverPid);
  assert.ok(alive(serverPid), 'the server itself kept running');

  // Dead containers are handled per policy; the rest is untouched.
  const after = {};
  const restartedMain = (x) => x?.status === 'Running' && x.containers.every((c) => c.ready) &&
    x.containers.find((c) => c.name === 'main').restartCount === 1;
  after.always = await stack.waitFor(ids.always, restartedMain, 30000);
  after.onfailure = await stack.waitFor(ids.onfailure, restartedMain, 30000);
  after.never = await stack.waitFor(ids.never, (x) => x?.status === 'Failed', 30000);
  after.steady = await stack.describe(ids.steady);
  await sleep(1500); // the client keeps going a little after containerd is back
  await load.stop();

  // No call hung or failed, during the outage or after.
  const slow = load.calls.filter((c) => c.ms > MAX_CALL_MS || c.error);
  assert.deepEqual(slow, [], `calls that failed or took over ${MAX_CALL_MS} ms`);
  assert.ok(load.calls.length >= 10, `the client kept calling (${load.calls.length} calls)`);

  for (const key of ['always', 'onfailure']) {
    const g = after[key];
    assert.equal(startedEvents(g, 'main'), 2, `${key}: a second Started event: ${JSON.stringify(summarize(g))}`);
    const main = g.containers.find((c) => c.name === 'main');
    assert.equal(main.previousState.state, 'Terminated');
    assert.equal(main.previousState.exitCode, 137);
    const now = await containersByName(ids[key]);
    assert.deepEqual(now.sandboxes, before[key].sandboxes, `${key}: same sandbox, none added`);
    assert.ok(now.byName.main.some((c) => c.id === before[key].byName.main[0].id),
      `${key}: the dead attempt is kept (its logs)`);
    assert.equal(now.byName.main.filter((c) => c.status === 'RUNNING').length, 1);
  }
  // The container that did not die is the same container, not restarted.
  const side1 = after.always.containers.find((c) => c.name === 'side');
  assert.equal(side1.restartCount, 0);
  const sideNow = (await containersByName(ids.always)).byName.side;
  assert.deepEqual(sideNow.map((c) => [c.id, c.pid]), before.always.byName.side.map((c) => [c.id, c.pid]));

  const never = after.never.containers[0];
  assert.equal(never.currentState.state, 'Terminated', JSON.stringify(summarize(after.never)));
  assert.equal(never.currentState.exitCode, 137);
  assert.equal(never.restartCount, 0);

  assert.equal(after.steady.status, 'Running');
  assert.equal(after.steady.containers[0].restartCount, 0);
  assert.equal(after.steady.containers[0].currentState.startTime,
    before.steady.group.containers[0].currentState.startTime);
  const steadyNow = await containersByName(ids.steady);
  assert.deepEqual(steadyNow.sandboxes, before.steady.sandboxes);
  assert.deepEqual(steadyNow.byName.main.map((c) => [c.id, c.pid]),
    before.steady.byName.main.map((c) => [c.id, c.pid]));

  // Groups created while containerd was down start once it is back, each with one sandbox.
  assert.ok(load.created.length >= 1, 'the client created groups during the test');
  for (const id of load.created) {
    await stack.waitFor(id, (x) => x?.status === 'Running', 45000);
    const { sandboxes } = await containersByName(id);
    assert.equal(sandboxes.length, 1, `${id}: one sandbox`);
  }
  for (const id of [...Object.values(ids), ...load.created]) await stack.delete(id);
});

// Forwards 127.0.0.1:port to the target port. With `stall` set, a connection that asks for
// `stallPath` gets the first `allowance` bytes of the answer and then nothing more: the
// connection stays open and silent (a registry hanging mid-download).
class StallingProxy {
  constructor(targetPort, stallPath, allowance = 16384) {
    Object.assign(this, { targetPort, stallPath, allowance, stall: true, held: 0 });
    this.sockets = new Set();
  }

  start() {
    this.server = net.createServer((client) => this.relay(client));
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => {
      this.port = this.server.address().port;
      resolve(this);
    }));
  }

  relay(client) {
    const upstream = net.connect(this.targetPort, '127.0.0.1');
    let left = Infinity; // bytes of answer still passed on
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        this.sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (d) => {
      if (this.stall && left === Infinity && d.toString('latin1').includes(this.stallPath)) {
        left = this.allowance;
        this.held++;
      }
      upstream.write(d);
    });
    upstream.on('data', (d) => {
      if (left === Infinity) return void client.write(d);
      if (left > 0) client.write(d.subarray(0, left));
      left -= Math.min(left, d.length);
      if (left === 0) upstream.pause(); // hold: nothing more, never closed
    });
  }

  close() {
    for (const s of this.sockets) s.destroy();
    this.server?.close();
  }
}

function getJson(url, headers) {
  return new Promise((resolve, reject) => {
    http.get(url, { headers, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch (e) {
          reject(e);
        }
      });
    }).on('error', reject);
  });
}

test('a registry that stalls mid-download fails the pull cleanly, and the image pulls once it answers', async () => {
  const pushed = stack.pushRandomImage('faults/stall:1', { layers: 1, bytes: 1 << 20 });
  const manifest = await getJson(`http://${stack.openRegistry.host}/v2/faults/stall/manifests/1`, {
    Accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
  });
  const layer = manifest.layers.at(-1).digest; // the random one: containerd has never seen it
  proxy = await new StallingProxy(stack.openRegistry.port, `/blobs/${layer}`).start();
  const image = pushed.replace(stack.openRegistry.host, `127.0.0.1:${proxy.port}`);

  const t0 = Date.now();
  const stalled = await stack.create(stack.groupRequest('stalled-pull', {
    container: [stack.mainContainer({ image })],
  }));
  // Meanwhile the API answers and other groups start.
  const bystander = await stack.create(stack.groupRequest('bystander'));
  const client = stack.sdk({ readTimeout: 5000, connectTimeout: 2000 });
  let describes = 0;
  const failedPull = (g) => {
    const c = g?.containers?.[0];
    return ['ErrImagePull', 'ImagePullBackOff'].includes(c?.currentState?.reason) &&
      g.events.some((e) => e.type === 'Warning' && e.reason === 'Failed' &&
        e.message.includes(image) && e.message.includes('pull progress timeout'));
  };
  let g;
  for (;;) {
    const t = Date.now();
    g = await stack.describe(stalled, client);
    assert.ok(Date.now() - t < MAX_CALL_MS, `Describe took ${Date.now() - t} ms during the stall`);
    describes++;
    if (failedPull(g)) break;
    assert.ok(Date.now() - t0 < 30000, `no clean pull failure after 30 s: ${JSON.stringify(summarize(g))}`);
    await sleep(250);
  }
  const failedAfterMs = Date.now() - t0;
  assert.ok(proxy.held >= 1, 'the proxy held a layer download');
  assert.equal(g.status, 'Pending');
  assert.ok(g.events.some((e) => e.message.includes(
    `no bytes received for ${PULL_PROGRESS_TIMEOUT_SECONDS} s (pull progress timeout)`)));
  assert.ok(g.containers[0].currentState.message.includes(image), 'the waiting reason names the image');
  assert.ok(g.events.some((e) => e.reason === 'Pulling' && e.message.includes(image)));
  assert.ok(describes >= 2);
  await stack.waitFor(bystander, (x) => x?.status === 'Running', 30000);
  console.error(`# stalled pull failed cleanly after ${failedAfterMs} ms`);

  // The registry answers again: a new group with the image starts, and so does the first one
  // (its pull is retried with back-off).
  proxy.stall = false;
  const fixed = await stack.create(stack.groupRequest('after-fix', {
    container: [stack.mainContainer({ image })],
  }));
  await stack.waitFor(fixed, (x) => x?.status === 'Running', 45000);
  await stack.waitFor(stalled, (x) => x?.status === 'Running', 45000);
  for (const id of [stalled, bystander, fixed]) await stack.delete(id);
});

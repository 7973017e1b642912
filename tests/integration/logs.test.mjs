// DescribeContainerLog through the official SDK against real containers: the exact lines a
// container printed on stdout and stderr, Tail / SinceSeconds / StartTime / LimitBytes, the
// previous attempt's log after a restart (LastTime), and the documented errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, expectApiError, sleep, $Eci, REGION } from './lib/stack.mjs';

let stack;
after(async () => {
  await stack?.stop();
});

const SLEEP_FOREVER = 'trap "exit 0" TERM; while :; do sleep 1; done';

async function log(groupId, containerName, extra = {}) {
  const res = await stack.sdk().describeContainerLog(new $Eci.DescribeContainerLogRequest({
    regionId: REGION, containerGroupId: groupId, containerName, ...extra,
  }));
  assert.equal(res.body.containerName, containerName);
  assert.equal(typeof res.body.requestId, 'string');
  return res.body.content;
}

// Polls until the container's log satisfies `done`; returns that content.
async function waitForLog(groupId, containerName, done, extra = {}, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  let content;
  while (Date.now() < deadline) {
    content = await log(groupId, containerName, extra);
    if (done(content)) return content;
    await sleep(250);
  }
  throw new Error(`log of ${groupId}/${containerName} never matched; last: ${JSON.stringify(content?.slice(-300))}`);
}

const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => `line${from + i}`);

let chatty; // a group whose container "app" printed one, two (stderr), line1..line3000
before(async () => {
  stack = await startStack('logs');
  chatty = await stack.create(stack.groupRequest('logs-chatty', {
    container: [{
      name: 'app', image: stack.publicImage, imagePullPolicy: 'IfNotPresent', cpu: 0.25, memory: 0.25,
      command: ['/bin/sh', '-c',
        `echo one; sleep 1; echo two >&2; sleep 1; for i in $(seq 1 3000); do echo line$i; done; ${SLEEP_FOREVER}`],
    }, {
      name: 'quiet', image: stack.publicImage, imagePullPolicy: 'IfNotPresent', cpu: 0.25, memory: 0.25,
      command: ['/bin/sh', '-c', SLEEP_FOREVER],
    }],
  }));
  await stack.waitFor(chatty, (g) => g?.status === 'Running', 45000);
  await waitForLog(chatty, 'app', (c) => c.endsWith('line3000'));
});

test('default Tail is the newest 500 lines, exactly as printed', async () => {
  assert.deepEqual((await log(chatty, 'app')).split('\n'), range(2501, 3000));
});

test('Tail picks the newest N lines, LimitBytes the newest bytes', async () => {
  assert.equal(await log(chatty, 'app', { tail: 3 }), 'line2998\nline2999\nline3000');
  assert.deepEqual((await log(chatty, 'app', { tail: 2000 })).split('\n'), range(1001, 3000));
  // LimitBytes keeps the newest whole lines that fit.
  assert.equal(await log(chatty, 'app', { tail: 2, limitBytes: 9 }), 'line3000');
  // A container that printed nothing has an empty log.
  assert.equal(await log(chatty, 'quiet'), '');
});

test('stdout and stderr both appear, in the order they were written', async () => {
  const g = await stack.create(stack.groupRequest('logs-streams', {
    container: [{
      name: 'both', image: stack.publicImage, imagePullPolicy: 'IfNotPresent', cpu: 0.25, memory: 0.25,
      command: ['/bin/sh', '-c', `echo out1; sleep 1; echo err1 >&2; sleep 1; echo out2; ${SLEEP_FOREVER}`],
    }],
  }));
  assert.equal(await waitForLog(g, 'both', (c) => c.includes('out2')), 'out1\nerr1\nout2');
  await stack.delete(g);
});

test('SinceSeconds and StartTime filter by when a line was written', async () => {
  // Everything was printed well before; wait so that the last second holds no output.
  await sleep(2500);
  assert.equal(await log(chatty, 'app', { sinceSeconds: 1 }), '');
  assert.deepEqual((await log(chatty, 'app', { sinceSeconds: 3600 })).split('\n'), range(2501, 3000));
  assert.equal(await log(chatty, 'app', { startTime: '2099-01-01T00:00:00Z' }), '');
  const hourAgo = new Date(Date.now() - 3600 * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  const all = await log(chatty, 'app', { tail: 2000, startTime: hourAgo });
  assert.deepEqual(all.split('\n'), range(1001, 3000));
});

test('LastTime returns the previous attempt after a restart', async () => {
  const g = await stack.create(stack.groupRequest('logs-crash', {
    restartPolicy: 'Always',
    container: [{
      name: 'crash', image: stack.publicImage, imagePullPolicy: 'IfNotPresent', cpu: 0.25, memory: 0.25,
      command: ['/bin/sh', '-c', 'echo attempt-out; echo attempt-err >&2; sleep 2; exit 1'],
    }],
  }));
  const first = await stack.waitFor(g, (x) => x?.containers?.[0]?.currentState?.state === 'Running', 45000);
  if (first.containers[0].restartCount === 0) {
    // No previous attempt yet: LastTime answers an empty log.
    assert.equal(await log(g, 'crash', { lastTime: true }), '');
  }
  await stack.waitFor(g, (x) => x?.containers?.[0]?.restartCount >= 1, 45000);
  const previous = await log(g, 'crash', { lastTime: true });
  assert.deepEqual(previous.split('\n').sort(), ['attempt-err', 'attempt-out']);
  await stack.delete(g);
});

test('errors: unknown group or container, bad Tail, SinceSeconds, StartTime', async () => {
  await expectApiError(log('eci-doesnotexist000000', 'app'),
    { code: 'InvalidParameter.NotFound', status: 404, message: /eci-doesnotexist000000/ });
  await expectApiError(log(chatty, 'nope'),
    { code: 'InvalidParameter.NotFound', status: 404, message: /ContainerName.*nope/ });
  for (const tail of [0, 2001, -5]) {
    await expectApiError(log(chatty, 'app', { tail }), { code: 'InvalidParameter', status: 400, message: /Tail/ });
  }
  await expectApiError(log(chatty, 'app', { sinceSeconds: 0 }),
    { code: 'InvalidParameter', status: 400, message: /SinceSeconds/ });
  await expectApiError(log(chatty, 'app', { startTime: 'yesterday' }),
    { code: 'InvalidParameter', status: 400, message: /StartTime/ });
  await expectApiError(stack.sdk().describeContainerLog(new $Eci.DescribeContainerLogRequest({
    regionId: REGION, containerGroupId: chatty,
  })), { code: 'MissingParameter', status: 400, message: /ContainerName/ });
  // A deleted group is as unknown as one that never existed.
  const g = await stack.create(stack.groupRequest('logs-gone'));
  await stack.delete(g);
  await expectApiError(log(g, 'main'), { code: 'InvalidParameter.NotFound', status: 404, message: new RegExp(g) });
});

// Liveness and readiness probes, TerminationGracePeriodSeconds and ActiveDeadlineSeconds on the
// real stack, through the official SDK: exec probes on a file the container creates, HTTP
// against busybox httpd, HTTPS against `openssl s_server` (the tls test image), TCP against
// busybox nc; a failing liveness probe kills (SIGTERM, grace, SIGKILL) and restarts the
// container; a group past its deadline fails.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startStack, $Eci, REGION, sleep, expectApiError,
} from './lib/stack.mjs';

let stack;
let tlsImage;
before(async () => {
  stack = await startStack('probes');
  tlsImage = await stack.openRegistry.push(stack.imageArchives.tls, 'openeci/tls:1.0');
});
after(async () => {
  await stack?.stop();
});

// One container running `script` under sh (TERM ends it at once unless the script traps it).
function group(name, script, container = {}, over = {}) {
  const base = stack.groupRequest(name);
  return stack.groupRequest(name, {
    restartPolicy: 'Always',
    container: [{ ...base.container[0], command: ['/bin/sh', '-c', script], ...container }],
    ...over,
  });
}

const KEEP_RUNNING = 'trap "exit 0" TERM; while :; do sleep 1; done';
const events = (g, reason) => (g?.events ?? []).filter((e) => e.reason === reason);

async function deleteAndWait(id) {
  await stack.delete(id);
  await stack.waitFor(id, (g) => g === undefined, 30000);
}

async function log(id, name, extra = {}) {
  const res = await stack.sdk().describeContainerLog(new $Eci.DescribeContainerLogRequest({
    regionId: REGION, containerGroupId: id, containerName: name, ...extra,
  }));
  return res.body.content ?? '';
}

test('exec readiness: not ready until the container creates the file, then ready', async () => {
  const id = await stack.create(group('probe-exec-ready',
    `trap "exit 0" TERM; sleep 4; touch /tmp/ready; ${KEEP_RUNNING}`,
    { readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1 } }));
  const running = await stack.waitFor(id, (g) => g?.status === 'Running', 30000);
  const c = running.containers[0];
  assert.equal(c.ready, false, 'not ready before the file exists');
  assert.deepEqual(c.readinessProbe.execs, ['cat', '/tmp/ready']);
  assert.equal(c.readinessProbe.periodSeconds, 1);
  assert.equal(c.readinessProbe.timeoutSeconds, 1);
  assert.equal(c.readinessProbe.successThreshold, 1);
  assert.equal(c.readinessProbe.failureThreshold, 3);
  assert.equal(c.readinessProbe.initialDelaySeconds, 0);
  assert.equal(c.livenessProbe.execs, undefined);
  const startedAt = Date.parse(c.currentState.startTime);
  const ready = await stack.waitFor(id, (g) => g?.containers?.[0]?.ready === true, 30000);
  assert.ok(Date.now() - startedAt >= 3000, 'ready only after the file was created');
  assert.ok(events(ready, 'Unhealthy').some((e) => /^Readiness probe failed: /.test(e.message)),
    'the failed readiness probes before the file existed are Unhealthy events');
  assert.equal(ready.containers[0].restartCount, 0, 'readiness never restarts');
  await deleteAndWait(id);
});

test('an exec probe that outlives TimeoutSeconds fails as timed out', async () => {
  const id = await stack.create(group('probe-exec-timeout', KEEP_RUNNING, {
    readinessProbe: { exec: { command: ['sleep', '5'] }, periodSeconds: 2, timeoutSeconds: 1 },
  }));
  const g = await stack.waitFor(id, (x) => events(x, 'Unhealthy').length > 0, 30000);
  assert.deepEqual(events(g, 'Unhealthy').map((e) => e.message),
    ['Readiness probe failed: command "sleep 5" timed out']);
  assert.equal(g.containers[0].ready, false);
  await deleteAndWait(id);
});

test('HTTP readiness and liveness against httpd; a failing liveness probe kills and restarts', async () => {
  const script = 'mkdir -p /www && echo ok > /www/healthz && httpd -p 8080 -h /www && ' +
    KEEP_RUNNING;
  const httpProbe = { httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' }, periodSeconds: 1 };
  const id = await stack.create(group('probe-http', script, {
    readinessProbe: httpProbe,
    livenessProbe: { ...httpProbe, failureThreshold: 2 },
  }));
  const ready = await stack.waitFor(id, (g) => g?.containers?.[0]?.ready === true, 30000);
  assert.deepEqual(ready.containers[0].livenessProbe.httpGet,
    new $Eci.DescribeContainerGroupsResponseBodyContainerGroupsContainersLivenessProbeHttpGet({
      path: '/healthz', port: 8080, scheme: 'HTTP',
    }));
  assert.equal(ready.containers[0].livenessProbe.failureThreshold, 2);

  // The health page goes away: liveness fails twice -> Killing, restart (a new page).
  await stack.sdk().execContainerCommand(new $Eci.ExecContainerCommandRequest({
    regionId: REGION, containerGroupId: id, containerName: 'main',
    command: JSON.stringify(['rm', '/www/healthz']), sync: true,
  }));
  const restarted = await stack.waitFor(id, (g) => g?.containers?.[0]?.restartCount >= 1, 40000);
  const unhealthy = events(restarted, 'Unhealthy').map((e) => e.message);
  assert.ok(unhealthy.includes('Liveness probe failed: HTTP probe failed with statuscode: 404'),
    JSON.stringify(unhealthy));
  assert.ok(events(restarted, 'Unhealthy').every((e) => e.type === 'Warning'));
  const killing = events(restarted, 'Killing').map((e) => e.message);
  assert.ok(killing.includes('Container main failed liveness probe, will be restarted'),
    JSON.stringify(killing));
  assert.equal(restarted.status, 'Running');
  // The new attempt serves the page again and becomes ready.
  const again = await stack.waitFor(id, (g) => g?.containers?.[0]?.ready === true, 30000);
  assert.ok(again.containers[0].restartCount >= 1);
  await deleteAndWait(id);
});

test('HTTPS readiness against openssl s_server (certificate not verified)', async () => {
  const script = 'openssl s_server -quiet -accept 8443 -cert /etc/tls/cert.pem ' +
    `-key /etc/tls/key.pem -www & ${KEEP_RUNNING}`;
  const request = group('probe-https', script, {
    image: tlsImage,
    readinessProbe: { httpGet: { path: '/', port: 8443, scheme: 'HTTPS' }, periodSeconds: 1 },
    livenessProbe: {
      httpGet: { path: '/', port: 8443, scheme: 'HTTPS' }, periodSeconds: 1, initialDelaySeconds: 2,
    },
  });
  // A second container of the pod probes the same port without TLS.
  request.container.push({
    ...request.container[0],
    name: 'plain',
    image: stack.publicImage,
    command: ['/bin/sh', '-c', KEEP_RUNNING],
    livenessProbe: undefined,
    readinessProbe: { httpGet: { path: '/', port: 8443, scheme: 'HTTP' }, periodSeconds: 1 },
  });
  const id = await stack.create(request);
  const ready = await stack.waitFor(id, (g) => g?.containers?.[0]?.ready === true, 30000);
  assert.equal(ready.containers[0].readinessProbe.httpGet.scheme, 'HTTPS');
  await sleep(4000);
  const later = await stack.describe(id);
  assert.equal(later.containers[0].restartCount, 0, 'the HTTPS liveness probe passes');
  assert.equal(later.containers[0].ready, true);
  const plain = later.containers.find((c) => c.name === 'plain');
  assert.equal(plain.ready, false, 'plain HTTP to the TLS port does not pass');
  assert.equal(later.status, 'Running');
  assert.deepEqual(events(later, 'Killing'), []);
  await deleteAndWait(id);
});

test('TCP readiness against nc; TCP liveness on a closed port kills the container', async () => {
  const id = await stack.create(group('probe-tcp', `nc -ll -p 9000 -e /bin/true & ${KEEP_RUNNING}`, {
    readinessProbe: { tcpSocket: { port: 9000 }, periodSeconds: 1 },
  }));
  const ready = await stack.waitFor(id, (g) => g?.containers?.[0]?.ready === true, 30000);
  assert.equal(ready.containers[0].readinessProbe.tcpSocket.port, 9000);
  await deleteAndWait(id);

  const dead = await stack.create(group('probe-tcp-dead', KEEP_RUNNING, {
    livenessProbe: { tcpSocket: { port: 9001 }, periodSeconds: 1, failureThreshold: 2 },
  }));
  const g = await stack.waitFor(dead, (x) => x?.containers?.[0]?.restartCount >= 1, 40000);
  const ip = g.intranetIp;
  assert.ok(events(g, 'Unhealthy').some((e) => e.message ===
    `Liveness probe failed: dial tcp ${ip}:9001: connect: connection refused`),
  JSON.stringify(events(g, 'Unhealthy')));
  await deleteAndWait(dead);
});

test('TerminationGracePeriodSeconds: SIGTERM, the grace period, then SIGKILL (liveness kill, delete)', async () => {
  // Traps TERM and keeps running; unhealthy 3 s after it starts.
  const script = 'trap "echo got TERM" TERM; touch /tmp/healthy; (sleep 3; rm /tmp/healthy) & ' +
    'while :; do sleep 1; done';
  const id = await stack.create(group('probe-grace', script, {
    livenessProbe: { exec: { command: ['cat', '/tmp/healthy'] }, periodSeconds: 1, failureThreshold: 1 },
  }, { terminationGracePeriodSeconds: 5 }));
  const g = await stack.waitFor(id, (x) => x?.containers?.[0]?.restartCount >= 1, 60000, 200);
  const c = g.containers[0];
  assert.equal(c.previousState.state, 'Terminated');
  assert.equal(c.previousState.exitCode, 137, 'killed by SIGKILL after the grace period');
  const killedAt = Date.parse(events(g, 'Killing')[0].firstTimestamp);
  const finishedAt = Date.parse(c.previousState.finishTime);
  const grace = (finishedAt - killedAt) / 1000;
  console.error(`# liveness kill: SIGKILL ${grace} s after the Killing event (grace 5 s)`);
  assert.ok(grace >= 4 && grace <= 12, `stopped ${grace} s after Killing (grace 5 s)`);
  assert.match(await log(id, 'main', { lastTime: true }), /got TERM/, 'SIGTERM came first');

  // Delete waits for the grace period too: the container is gone from containerd only after it.
  await stack.waitFor(id, (x) => x?.containers?.[0]?.currentState?.state === 'Running', 30000);
  const t0 = Date.now();
  await stack.delete(id);
  for (;;) {
    const { containers } = await stack.ctrGroup(id);
    if (!containers.some((x) => x.task?.status === 'RUNNING')) break;
    assert.ok(Date.now() - t0 < 30000, 'the container was never stopped');
    await sleep(200);
  }
  const took = (Date.now() - t0) / 1000;
  console.error(`# delete: the container ran ${took} s after DeleteContainerGroup (grace 5 s)`);
  assert.ok(took >= 4 && took <= 20, `delete stopped the container after ${took} s (grace 5 s)`);
  await stack.waitFor(id, (x) => x === undefined, 30000);
});

test('ActiveDeadlineSeconds=5: the group is stopped and Failed with DeadlineExceeded', async () => {
  const id = await stack.create(group('probe-deadline', KEEP_RUNNING, {}, {
    activeDeadlineSeconds: 5,
  }));
  await stack.waitFor(id, (g) => g?.status === 'Running', 30000);
  const t0 = Date.now();
  const failed = await stack.waitFor(id, (g) => g?.status === 'Failed', 30000);
  console.error(`# deadline: Failed ${Date.now() - t0} ms after Running was seen (deadline 5 s)`);
  assert.ok(Date.now() - t0 <= 15000);
  const deadline = events(failed, 'DeadlineExceeded');
  assert.equal(deadline.length, 1);
  assert.equal(deadline[0].type, 'Warning');
  assert.equal(deadline[0].message, 'Pod was active on the node longer than the specified deadline');
  const created = Date.parse(failed.creationTime);
  const failedAt = Date.parse(failed.failedTime);
  assert.ok(failedAt - created >= 4000, `failed ${failedAt - created} ms after creation`);
  assert.equal(failed.containers[0].currentState.state, 'Terminated');
  assert.equal(failed.containers[0].ready, false);
  const { containers } = await stack.ctrGroup(id);
  assert.ok(!containers.some((x) => x.task?.status === 'RUNNING'), 'nothing runs any more');
  await sleep(1500);
  assert.equal((await stack.describe(id)).status, 'Failed', 'never restarted');
  await deleteAndWait(id);
});

test('invalid probes and timers are refused with InvalidParameter naming the parameter', async () => {
  const cases = [
    [{ readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 0 } }, {},
      /Container\.1\.ReadinessProbe\.PeriodSeconds/],
    [{ livenessProbe: { tcpSocket: { port: 80 }, successThreshold: 2 } }, {},
      /Container\.1\.LivenessProbe\.SuccessThreshold/],
    [{ livenessProbe: { tcpSocket: { port: 80 }, exec: { command: ['true'] } } }, {},
      /Container\.1\.LivenessProbe/],
    [{ readinessProbe: { httpGet: { port: 80, scheme: 'FTP' } } }, {},
      /Container\.1\.ReadinessProbe\.HttpGet\.Scheme/],
    [{ readinessProbe: { tcpSocket: { port: 80 }, timeoutSeconds: 0 } }, {},
      /Container\.1\.ReadinessProbe\.TimeoutSeconds/],
    [{}, { activeDeadlineSeconds: 0 }, /ActiveDeadlineSeconds/],
    [{}, { terminationGracePeriodSeconds: -1 }, /TerminationGracePeriodSeconds/],
  ];
  for (const [container, over, message] of cases) {
    await expectApiError(stack.create(group('probe-bad', KEEP_RUNNING, container, over)),
      { code: 'InvalidParameter', status: 400, message });
  }
  assert.deepEqual((await stack.listAll()).filter((g) => g.containerGroupName === 'probe-bad'), []);
});

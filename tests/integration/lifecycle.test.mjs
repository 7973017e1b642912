// Container group lifecycle on the real runtime: exit codes and restart policies, back-off,
// image pull failures and RestartContainerGroup.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startStack, REGISTRY_USER, SUBNET, inSubnet, sleep, summarize,
} from './lib/stack.mjs';

let stack;
before(async () => {
  stack = await startStack('lifecycle');
});
after(async () => {
  await stack?.stop();
});

function shGroup(name, restartPolicy, script) {
  const base = stack.groupRequest(name);
  return stack.groupRequest(name, {
    restartPolicy,
    container: [{ ...base.container[0], command: ['/bin/sh', '-c', script] }],
  });
}

const reasons = (g) => (g?.events ?? []).map((e) => e.reason);

async function deleteAndWait(id) {
  await stack.delete(id);
  await stack.waitFor(id, (g) => g === undefined, 30000);
}

test('RestartPolicy Never + exit 3 -> Failed, exit code 3, reason Error', async () => {
  const id = await stack.create(shGroup('lc-never-fail', 'Never', 'exit 3'));
  const g = await stack.waitFor(id, (x) => {
    if (x?.status === 'Succeeded') throw new Error(`Succeeded: ${JSON.stringify(summarize(x))}`);
    return x?.status === 'Failed';
  }, 45000);
  assert.ok(!Number.isNaN(Date.parse(g.failedTime)), `FailedTime ${g.failedTime}`);
  assert.ok(!g.succeededTime, `SucceededTime ${g.succeededTime}`);
  const c = g.containers[0];
  assert.equal(c.currentState?.state, 'Terminated', JSON.stringify(c.currentState));
  assert.equal(c.currentState.exitCode, 3);
  assert.equal(c.currentState.reason, 'Error');
  assert.ok(!Number.isNaN(Date.parse(c.currentState.finishTime)), `FinishTime ${c.currentState.finishTime}`);
  assert.equal(c.restartCount, 0);
  assert.equal(c.ready, false);
  // Stays Failed: Never means no restart.
  await sleep(1500);
  const again = await stack.describe(id);
  assert.equal(again.status, 'Failed');
  assert.equal(again.containers[0].restartCount, 0);
  await deleteAndWait(id);
});

test('RestartPolicy OnFailure + exit 0 -> Succeeded', async () => {
  const id = await stack.create(shGroup('lc-onfailure-ok', 'OnFailure', 'exit 0'));
  const g = await stack.waitFor(id, (x) => {
    if (x?.status === 'Failed') throw new Error(`Failed: ${JSON.stringify(summarize(x))}`);
    return x?.status === 'Succeeded';
  }, 45000);
  assert.ok(!Number.isNaN(Date.parse(g.succeededTime)), `SucceededTime ${g.succeededTime}`);
  assert.ok(!g.failedTime, `FailedTime ${g.failedTime}`);
  const c = g.containers[0];
  assert.equal(c.currentState?.state, 'Terminated', JSON.stringify(c.currentState));
  assert.equal(c.currentState.exitCode, 0);
  assert.equal(c.restartCount, 0);
  await deleteAndWait(id);
});

test('RestartPolicy Always + exit 1 -> restarted with back-off', async () => {
  const id = await stack.create(shGroup('lc-always-crash', 'Always', 'exit 1'));
  const g = await stack.waitFor(id, (x) => {
    if (['Failed', 'Succeeded'].includes(x?.status)) {
      throw new Error(`Always must not end: ${JSON.stringify(summarize(x))}`);
    }
    return x?.containers?.[0]?.restartCount >= 2 && reasons(x).includes('BackOff');
  }, 60000);
  const c = g.containers[0];
  assert.ok(c.restartCount >= 2);
  // The last finished attempt is reported with its exit code.
  const finished = c.currentState?.state === 'Terminated' ? c.currentState : c.previousState;
  assert.equal(finished?.state, 'Terminated', JSON.stringify({ cur: c.currentState, prev: c.previousState }));
  assert.equal(finished.exitCode, 1);
  const backoff = g.events.find((e) => e.reason === 'BackOff');
  assert.equal(backoff.type, 'Warning');
  // The count keeps growing.
  await stack.waitFor(id, (x) => x?.containers?.[0]?.restartCount > c.restartCount, 30000);
  await deleteAndWait(id);
});

test('wrong registry password -> Pending with an ErrImagePull Failed event', async () => {
  const base = stack.groupRequest('lc-bad-password');
  const id = await stack.create(stack.groupRequest('lc-bad-password', {
    restartPolicy: 'Always',
    imageRegistryCredential: [
      { server: stack.authRegistry.host, userName: REGISTRY_USER, password: 'wrong-password' },
    ],
    container: [{ ...base.container[0], image: stack.privateImage, imagePullPolicy: 'Always' }],
  }));
  const g = await stack.waitFor(id, (x) =>
    (x?.events ?? []).some((e) => e.reason === 'Failed' && /ErrImagePull|unauthorized/i.test(e.message ?? '')),
  45000);
  assert.equal(g.status, 'Pending', JSON.stringify(summarize(g)));
  const failed = g.events.find((e) => e.reason === 'Failed');
  assert.equal(failed.type, 'Warning');
  assert.ok(!/wrong-password/.test(JSON.stringify(g)), 'the password leaks into the API');
  const c = g.containers[0];
  assert.notEqual(c.currentState?.state, 'Running');
  assert.equal(c.ready, false);
  // It does not get anywhere on its own.
  await sleep(2000);
  assert.equal((await stack.describe(id)).status, 'Pending');
  await deleteAndWait(id);
});

test('RestartContainerGroup on a Running group -> Restarting, then Running in a new sandbox', async () => {
  const id = await stack.create(stack.groupRequest('lc-restart', { restartPolicy: 'Always' }));
  const before = await stack.waitFor(id, (x) => x?.status === 'Running', 30000);
  const old = await stack.ctrGroup(id);
  assert.equal(old.sandboxes.length, 1);
  const oldSandbox = old.sandboxes[0].id;
  const oldPid = (await stack.runningContainer(id)).task.pid;

  await stack.restartGroup(id);
  const seen = [];
  const after = await stack.waitFor(id, (x) => {
    if (seen.at(-1) !== x?.status) seen.push(x?.status);
    return seen.includes('Restarting') && x?.status === 'Running' &&
      x.containers?.[0]?.ready === true;
  }, 45000, 50);
  assert.equal(seen[0], 'Restarting', `statuses seen after the call: ${seen.join(' -> ')}`);
  assert.ok(inSubnet(after.intranetIp, SUBNET));
  assert.equal(after.containerGroupName, before.containerGroupName);

  const now = await stack.ctrGroup(id);
  assert.equal(now.sandboxes.length, 1, JSON.stringify(now.sandboxes.map((s) => s.id)));
  assert.notEqual(now.sandboxes[0].id, oldSandbox, 'RestartContainerGroup reused the sandbox');
  const cur = await stack.runningContainer(id);
  assert.notEqual(cur.task.pid, oldPid);
  assert.ok(reasons(after).includes('Killing') || reasons(after).includes('Started'));
  await deleteAndWait(id);
});

// The server crashes (SIGKILL) and starts again on the same state directory: running groups
// are re-adopted as they are (same sandbox, same process, same IP, no restart counted).
//
// Not covered: an orphan sandbox (openeci label, no group in the database). Making one needs
// either a CRI client (no crictl here) or editing the SQLite file (no sqlite3 CLI); left for
// a ctest integration test of the reconciler, which can do both.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startStack, alive, summarize } from './lib/stack.mjs';

// "(sh) S" etc. from /proc/PID/stat, for failure messages.
function procState(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.indexOf('('), stat.indexOf(')') + 3);
  } catch {
    return '(gone)';
  }
}

let stack;
before(async () => {
  stack = await startStack('restart_srv');
});
after(async () => {
  await stack?.stop();
});

test('groups survive a server SIGKILL + restart untouched', async () => {
  const ids = [];
  for (let i = 0; i < 3; i++) {
    ids.push(await stack.create(stack.groupRequest(`srv-restart-${i}`, { restartPolicy: 'Always' })));
  }
  const before = new Map();
  for (const id of ids) {
    const g = await stack.waitFor(id, (x) => x?.status === 'Running' && x.containers?.[0]?.ready, 45000);
    const { sandboxes } = await stack.ctrGroup(id);
    const running = await stack.runningContainer(id);
    before.set(id, {
      ip: g.intranetIp,
      restartCount: g.containers[0].restartCount,
      startTime: g.containers[0].currentState.startTime,
      sandbox: sandboxes[0].id,
      pid: running.task.pid,
    });
  }

  await stack.kill9();
  // Containers do not depend on the server process.
  for (const [id, b] of before) assert.ok(alive(b.pid), `container process of ${id} died with the server`);
  await stack.restart();

  for (const [id, b] of before) {
    const g = await stack.waitFor(id, (x) => x !== undefined, 20000);
    assert.equal(g.status, 'Running', JSON.stringify(summarize(g)));
    assert.equal(g.intranetIp, b.ip);
    const c = g.containers[0];
    assert.equal(c.restartCount, b.restartCount);
    assert.equal(c.currentState.state, 'Running');
    assert.equal(c.currentState.startTime, b.startTime);
    assert.equal(c.ready, true);
    const { sandboxes } = await stack.ctrGroup(id);
    assert.deepEqual(sandboxes.map((s) => s.id), [b.sandbox]);
    const running = await stack.runningContainer(id);
    assert.equal(running.task.pid, b.pid, 'the container was restarted');
  }

  // The restarted server still manages them: a few seconds later nothing has changed, and
  // they can be deleted.
  await new Promise((r) => setTimeout(r, 2000));
  for (const [id, b] of before) {
    const g = await stack.describe(id);
    assert.equal(g.status, 'Running');
    assert.equal(g.containers[0].restartCount, b.restartCount);
  }
  for (const id of ids) await stack.delete(id);
  for (const id of ids) await stack.waitFor(id, (x) => x === undefined, 30000);
  // Teardown may finish just after the group leaves the API.
  const deadline = Date.now() + 10000;
  let survivors;
  do {
    survivors = [...before].filter(([, b]) => alive(b.pid)).map(([id, b]) => `${id}: pid ${b.pid} ${procState(b.pid)}`);
    if (!survivors.length) break;
    await new Promise((r) => setTimeout(r, 500));
  } while (Date.now() < deadline);
  assert.deepEqual(survivors, [], 'container processes survived the deletion of their groups');
});

test('a graceful restart (SIGTERM) keeps the group', async () => {
  const id = await stack.create(stack.groupRequest('srv-graceful', { restartPolicy: 'Always' }));
  await stack.waitFor(id, (x) => x?.status === 'Running', 30000);
  await stack.restart();
  const after = await stack.waitFor(id, (x) => x?.status === 'Running', 30000);
  assert.equal(after.containerGroupName, 'srv-graceful');
  await stack.delete(id);
  await stack.waitFor(id, (x) => x === undefined, 30000);
});

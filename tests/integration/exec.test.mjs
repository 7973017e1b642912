// ExecContainerCommand on the real stack: the WebSocketUri served by OpenECI itself (TTY shell,
// stdout/stderr/exit code, one-time and expiring tokens), Sync=true, and the refusals.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openExec } from './lib/exec_ws.mjs';
import { startStack, $Eci, REGION, expectApiError, sleep } from './lib/stack.mjs';

let stack;
let runningId;
before(async () => {
  stack = await startStack('exec');
  runningId = await stack.create(stack.groupRequest('exec-running'));
  await stack.waitFor(runningId, (g) => g?.status === 'Running', 60000);
});
after(async () => {
  await stack?.stop();
});

function execRequest(over = {}) {
  return new $Eci.ExecContainerCommandRequest({
    regionId: REGION,
    containerGroupId: runningId,
    containerName: 'main',
    ...over,
  });
}

async function exec(over, s = stack) {
  return (await s.sdk().execContainerCommand(execRequest(over))).body;
}

test('TTY sh: type a command, read its output, exit code at the end', async () => {
  const body = await exec({ command: JSON.stringify(['sh']), TTY: true });
  assert.match(body.webSocketUri, new RegExp(`^ws://${stack.host}/exec/[A-Za-z0-9]{32,}$`));
  assert.equal(body.httpUrl, body.webSocketUri.replace(/^ws:/, 'http:'));
  const s = openExec(body.webSocketUri);
  await s.opened;
  s.send(4, JSON.stringify({ Width: 100, Height: 30 }));
  s.send(0, 'echo hi-$((40+2))\n');
  await s.until((x) => x.out[1].includes('hi-42'));
  s.send(0, 'exit 5\n');
  const closed = await s.closed;
  assert.deepEqual(s.exit, { ExitCode: 5 });
  assert.equal(closed.code, 1000);
});

test('non-TTY command: stdout, stderr and exit code apart', async () => {
  const body = await exec({
    command: JSON.stringify(['sh', '-c', 'echo out; echo err >&2; exit 3']),
  });
  const s = openExec(body.webSocketUri);
  await s.opened;
  const closed = await s.closed;
  assert.equal(s.out[1], 'out\n');
  assert.equal(s.out[2], 'err\n');
  assert.deepEqual(s.exit, { ExitCode: 3 });
  assert.equal(closed.code, 1000);
});

// The processes of the container other than its main shell (PID 1) and the sleep it waits on.
async function sessionProcesses() {
  const ps = await stack.execSync(runningId, 'main', ['ps', '-o', 'pid,args']);
  return ps.split('\n').slice(1).map((l) => l.trim()).filter(Boolean)
    .filter((l) => !/^1 /.test(l) && !/ sleep 2147483647$/.test(l) && !/ ps -o pid,args$/.test(l));
}

test('a TTY shell whose client leaves is hung up: nothing of it stays in the container', async () => {
  for (const typed of ['', 'sleep 1000\n']) {
    const body = await exec({ command: JSON.stringify(['sh']), TTY: true });
    const s = openExec(body.webSocketUri);
    await s.opened;
    s.send(0, 'echo here-$((1+1))\n');
    await s.until((x) => x.out[1].includes('here-2'));
    if (typed) {
      s.send(0, typed);
      await sleep(500);
      assert.ok((await sessionProcesses()).some((p) => p.endsWith('sleep 1000')), 'sleep 1000 started');
    }
    s.ws.terminate(); // no exit, no close handshake
    let left;
    for (let i = 0; i < 40; i++) {
      left = await sessionProcesses();
      if (left.length === 0) break;
      await sleep(250);
    }
    assert.deepEqual(left, [], `left in the container after the client of "sh" (${JSON.stringify(typed)}) left`);
  }
});

test('a token works once; unknown tokens are refused with 401', async () => {
  const body = await exec({ command: JSON.stringify(['true']) });
  const first = openExec(body.webSocketUri);
  await first.opened;
  await first.closed;
  assert.deepEqual(first.exit, { ExitCode: 0 });
  const again = openExec(body.webSocketUri);
  const err = await again.opened.then(() => assert.fail('second use accepted'), (e) => e);
  assert.equal(err.statusCode, 401);
  assert.equal(JSON.parse(err.body).Code, 'InvalidExecToken');
  const bogus = openExec(`ws://${stack.host}/exec/not-a-token`);
  assert.equal((await bogus.opened.catch((e) => e)).statusCode, 401);
});

test('Sync=true runs the command and answers its output', async () => {
  const body = await exec({
    command: JSON.stringify(['sh', '-c', 'echo sync-$((6*7))']),
    sync: true,
  });
  assert.equal(body.syncResponse, 'sync-42\n');
  assert.ok(!body.webSocketUri);
});

test('refusals: 21 items, empty, no such container, other states', async () => {
  await expectApiError(exec({ command: JSON.stringify(Array(21).fill('x')) }),
    { code: 'InvalidParameter.ValueExceeded', status: 400, message: /Command/ });
  await expectApiError(exec({ command: JSON.stringify(['x'.repeat(257)]) }),
    { code: 'InvalidParameter.ValueExceeded', status: 400, message: /Command/ });
  await expectApiError(exec({ command: '[]' }), { code: 'MissingParameter', status: 400 });
  await expectApiError(exec({ command: 'sh' }), { code: 'InvalidParameter', status: 400 });
  await expectApiError(exec({ command: '["sh"]', containerName: 'nope' }),
    { code: 'InvalidParameter.NotFound', status: 404 });
  await expectApiError(exec({ command: '["sh"]', containerGroupId: 'eci-doesnotexist' }),
    { code: 'InvalidParameter.NotFound', status: 404 });

  const base = stack.groupRequest('exec-done');
  const doneId = await stack.create(stack.groupRequest('exec-done', {
    container: [{ ...base.container[0], command: ['/bin/sh', '-c', 'exit 0'] }],
  }));
  await stack.waitFor(doneId, (g) => g?.status === 'Succeeded', 60000);
  await expectApiError(exec({ command: '["sh"]', containerGroupId: doneId }),
    { code: 'IncorrectStatus', status: 400 });
});

test('an expired token is refused', async () => {
  // A stack of its own with a 1 s TTL (one stack at a time: they share the bridge name).
  await stack.stop();
  const short = await startStack('exec-ttl', { env: { OPENECI_EXEC_TOKEN_TTL_SECONDS: '1' } });
  try {
    const id = await short.create(short.groupRequest('exec-ttl'));
    await short.waitFor(id, (g) => g?.status === 'Running', 60000);
    const body = (await short.sdk().execContainerCommand(execRequest({
      containerGroupId: id, command: '["true"]',
    }))).body;
    await sleep(2100);
    const s = openExec(body.webSocketUri);
    const err = await s.opened.then(() => assert.fail('expired token accepted'), (e) => e);
    assert.equal(err.statusCode, 401);
  } finally {
    await short.stop();
  }
});

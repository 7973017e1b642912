// UpdateContainerGroup through the official SDK on the real stack: what an update does to the
// running containers (inside them, through exec), the Updating phase, and the refusals.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startStack, $Eci, REGION, REGISTRY_USER, REGISTRY_PASSWORD, expectApiError, sleep, summarize,
} from './lib/stack.mjs';

let stack;
before(async () => {
  stack = await startStack('update');
});
after(async () => {
  await stack?.stop();
});

async function update(fields) {
  return stack.sdk().updateContainerGroup(new $Eci.UpdateContainerGroupRequest({
    regionId: REGION,
    ...fields,
  }));
}

async function execSync(id, command, containerName = 'main') {
  const res = await stack.sdk().execContainerCommand(new $Eci.ExecContainerCommandRequest({
    regionId: REGION,
    containerGroupId: id,
    containerName,
    command: JSON.stringify(command),
    sync: true,
  }));
  return res.body.syncResponse;
}

async function runningGroup(name, over = {}) {
  const id = await stack.create(stack.groupRequest(name, over));
  const g = await stack.waitFor(id, (x) => x?.status === 'Running', 60000);
  return { id, g };
}

const mainContainer = (over = {}) => stack.mainContainer(over);

test('a tags-only update takes effect without restarting anything', async () => {
  const { id, g } = await runningGroup('update-tags', { tag: [{ key: 'env', value: 'dev' }] });
  const before = await stack.runningContainer(id);
  const started = g.containers[0].currentState.startTime;

  const res = await update({ containerGroupId: id, tag: [{ key: 'env', value: 'prod' }, { key: 'team', value: 'a' }] });
  assert.equal(typeof res.body.requestId, 'string');
  const now = await stack.describe(id);
  assert.equal(now.status, 'Running');
  assert.deepEqual(now.tags.map((t) => [t.key, t.value]), [['env', 'prod'], ['team', 'a']]);

  await sleep(1500);  // give a (wrong) restart time to happen
  const later = await stack.describe(id);
  assert.equal(later.status, 'Running');
  assert.equal(later.containers[0].currentState.startTime, started);
  assert.equal(later.containers[0].restartCount, 0);
  assert.equal((await stack.runningContainer(id)).id, before.id, 'same container');
  assert.ok(!later.events.some((e) => e.reason === 'Updating'), JSON.stringify(summarize(later)));
});

test('an env, image and command change recreates the group with the new spec', async () => {
  const { id } = await runningGroup('update-spec', { restartPolicy: 'Always' });
  const before = await stack.runningContainer(id);
  assert.equal(await execSync(id, ['sh', '-c', 'echo "mode=$MODE"']), 'mode=\n');

  await update({
    containerGroupId: id,
    container: [mainContainer({
      image: stack.privateImage,
      command: ['/bin/sh', '-c', 'echo started-v2 > /tmp/marker; trap "exit 0" TERM; while :; do sleep 1; done'],
      environmentVar: [{ key: 'MODE', value: 'v2' }],
    })],
    imageRegistryCredential: [{ server: stack.authRegistry.host, userName: REGISTRY_USER, password: REGISTRY_PASSWORD }],
  });
  const seen = await stack.describe(id);
  assert.equal(seen.status, 'Updating', JSON.stringify(summarize(seen)));

  const g = await stack.waitFor(id, (x) => x?.status === 'Running' &&
    x.containers[0]?.image === stack.privateImage && x.containers[0]?.ready, 60000);
  assert.equal(g.containers[0].restartCount, 0);
  assert.ok(g.events.some((e) => e.reason === 'Updating'), JSON.stringify(summarize(g)));
  const after = await stack.runningContainer(id);
  assert.notEqual(after.id, before.id, 'a new container');
  assert.equal(await execSync(id, ['sh', '-c', 'echo "mode=$MODE"; cat /tmp/marker']),
    'mode=v2\nstarted-v2\n');
});

test('only Pending or Running groups can be updated', async () => {
  const id = await stack.create(stack.groupRequest('update-done', {
    container: [mainContainer({ command: ['true'] })],
  }));
  await stack.waitFor(id, (x) => x?.status === 'Succeeded', 60000);
  await expectApiError(update({ containerGroupId: id, tag: [{ key: 'k', value: 'v' }] }),
    { code: 'IncorrectStatus', status: 400, message: /Succeeded/ });
  await expectApiError(update({ containerGroupId: 'eci-doesnotexist00000000', tag: [{ key: 'k', value: 'v' }] }),
    { code: 'InvalidParameter.NotFound', status: 404, message: /eci-doesnotexist/ });
});

test('no change, a group Cpu change and unknown fields are refused', async () => {
  const { id } = await runningGroup('update-refused', { tag: [{ key: 'env', value: 'dev' }], cpu: 1, memory: 2 });
  await expectApiError(update({ containerGroupId: id }), { code: 'NoNeedUpdate', status: 400 });
  await expectApiError(update({ containerGroupId: id, tag: [{ key: 'env', value: 'dev' }], cpu: 1 }),
    { code: 'NoNeedUpdate', status: 400 });
  await expectApiError(update({ containerGroupId: id, cpu: 2 }),
    { code: 'InvalidParameter', status: 400, message: /"Cpu" cannot be updated/ });
  await expectApiError(update({ containerGroupId: id, memory: 4, tag: [{ key: 'env', value: 'x' }] }),
    { code: 'InvalidParameter', status: 400, message: /"Memory" cannot be updated/ });
  await expectApiError(update({ containerGroupId: id, updateType: 'IncrementalUpdate' }),
    { code: 'InvalidParameter', status: 400, message: /UpdateType/ });
  await expectApiError(update({ containerGroupId: id, container: [mainContainer(), mainContainer()] }),
    { code: 'InvalidParameter.DuplicatedName', status: 400 });
  const g = await stack.describe(id);
  assert.equal(g.status, 'Running');
  assert.deepEqual(g.tags.map((t) => [t.key, t.value]), [['env', 'dev']]);
});

test('ClientToken makes an update idempotent', async () => {
  const { id } = await runningGroup('update-token');
  const request = { containerGroupId: id, clientToken: 'update-token-1', container: [mainContainer({ environmentVar: [{ key: 'V', value: '1' }] })] };
  await update(request);
  const first = await stack.waitFor(id, (x) => x?.status === 'Running' && x.containers[0]?.ready &&
    x.containers[0]?.environmentVars?.[0]?.value === '1', 60000);
  const container = (await stack.runningContainer(id)).id;
  // The same request again answers success (not NoNeedUpdate) and changes nothing.
  await update(request);
  await sleep(1000);
  const again = await stack.describe(id);
  assert.equal(again.status, 'Running');
  assert.equal(again.containers[0].currentState.startTime, first.containers[0].currentState.startTime);
  assert.equal((await stack.runningContainer(id)).id, container);
  await expectApiError(update({ ...request, container: [mainContainer({ environmentVar: [{ key: 'V', value: '2' }] })] }),
    { code: 'IdempotentParameterMismatch', status: 400 });
});

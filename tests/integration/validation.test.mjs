// Every validation rule of CreateContainerGroup (and UpdateContainerGroup, once it exists) as
// the SDK user meets it: one table, one row per rule, each checked for Code, HTTP status and
// the parameter named in Message. Then admission against the node: capacity (NoStock), the
// account quota (QuotaExceeded), DryRun (nothing created, in the store or in containerd), and
// retention of finished groups (containers released at once, records removed by the rules).
//
// The stack is configured small: 2 vCPUs / 4 GiB for groups, 3 live groups per account,
// failed groups kept 3 s, one succeeded group kept per account.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startStack, $Eci, REGION, ZONE, VSWITCH, SECURITY_GROUP, SLEEPER, sleep, expectApiError,
} from './lib/stack.mjs';

const FAILED_RETENTION_SECONDS = 3;

let stack;
before(async () => {
  stack = await startStack('validation', {
    env: {
      OPENECI_CAPACITY_CPU: '2',
      OPENECI_CAPACITY_MEMORY_GIB: '4.5',
      OPENECI_RESERVED_CPU: '0',
      OPENECI_RESERVED_MEMORY_GIB: '0.5',
      OPENECI_CPU_OVERCOMMIT: '1',
      OPENECI_MEMORY_OVERCOMMIT: '1',
      OPENECI_GROUP_QUOTA: '3',
      OPENECI_FAILED_RETENTION_SECONDS: String(FAILED_RETENTION_SECONDS),
      OPENECI_SUCCEEDED_RETENTION_COUNT: '1',
    },
  });
});
after(async () => {
  await stack?.stop();
});

const repeat = (n, f) => Array.from({ length: n }, (_, i) => f(i));
const long = (n, c = 'x') => c.repeat(n);

// A valid container (SDK model fields); `over` is merged on top.
function container(over = {}) {
  return {
    name: 'main', image: stack.publicImage, imagePullPolicy: 'IfNotPresent', command: SLEEPER,
    cpu: 0.25, memory: 0.25, ...over,
  };
}

// Rows that change the containers: used for Create and for Update. `edit(req)` changes a
// request that has `container: [container()]`.
const CONTAINER_ROWS = [
  ['missing Container.N.Image', (r) => { delete r.container[0].image; },
    'MissingParameter', 400, /Container\.1\.Image/],
  ['missing Container.N.Name', (r) => { delete r.container[0].name; },
    'MissingParameter', 400, /Container\.1\.Name/],
  ['container name pattern', (r) => { r.container[0].name = 'Main_1'; },
    'InvalidParameter', 400, /Container\.1\.Name/],
  ['container name over 63 characters', (r) => { r.container[0].name = long(64, 'a'); },
    'InvalidParameter.ValueExceeded', 400, /Container\.1\.Name/],
  ['more than 20 containers', (r) => { r.container = repeat(21, (i) => container({ name: `c${i}` })); },
    'InvalidParameter.LengthExceeded', 400, /"Container"/],
  ['more than 20 init containers',
    (r) => { r.initContainer = repeat(21, (i) => container({ name: `init${i}`, command: ['true'] })); },
    'InvalidParameter.LengthExceeded', 400, /"InitContainer"/],
  ['more than 20 commands', (r) => { r.container[0].command = repeat(21, () => 'x'); },
    'InvalidParameter.LengthExceeded', 400, /Container\.1\.Command/],
  ['a command over 256 characters', (r) => { r.container[0].command = ['sh', '-c', long(257)]; },
    'InvalidParameter.ValueExceeded', 400, /Container\.1\.Command\.3/],
  ['more than 10 args', (r) => { r.container[0].arg = repeat(11, () => 'a'); },
    'InvalidParameter.LengthExceeded', 400, /Container\.1\.Arg/],
  ['more than 100 environment variables',
    (r) => { r.container[0].environmentVar = repeat(101, (i) => ({ key: `K${i}`, value: 'v' })); },
    'InvalidParameter.LengthExceeded', 400, /Container\.1\.EnvironmentVar/],
  ['environment key starting with a digit',
    (r) => { r.container[0].environmentVar = [{ key: '1ABC', value: 'v' }]; },
    'InvalidParameter', 400, /Container\.1\.EnvironmentVar\.1\.Key/],
  ['environment key over 128 characters',
    (r) => { r.container[0].environmentVar = [{ key: long(129, 'K'), value: 'v' }]; },
    'InvalidParameter.ValueExceeded', 400, /Container\.1\.EnvironmentVar\.1\.Key/],
  ['environment value over 256 characters',
    (r) => { r.container[0].environmentVar = [{ key: 'K', value: long(257) }]; },
    'InvalidParameter.ValueExceeded', 400, /Container\.1\.EnvironmentVar\.1\.Value/],
  ['FieldRef other than status.podIP',
    (r) => { r.container[0].environmentVar = [{ key: 'IP', fieldRef: { fieldPath: 'status.hostIP' } }]; },
    'InvalidParameter', 400, /Container\.1\.EnvironmentVar\.1\.FieldRef\.FieldPath/],
  ['more than 100 ports', (r) => { r.container[0].port = repeat(101, (i) => ({ port: 1000 + i, protocol: 'TCP' })); },
    'InvalidParameter.LengthExceeded', 400, /Container\.1\.Port/],
  ['port 0', (r) => { r.container[0].port = [{ port: 0, protocol: 'TCP' }]; },
    'InvalidParameter.ValueExceeded', 400, /Container\.1\.Port\.1\.Port/],
  ['port 65536', (r) => { r.container[0].port = [{ port: 65536, protocol: 'UDP' }]; },
    'InvalidParameter.ValueExceeded', 400, /Container\.1\.Port\.1\.Port/],
  ['port protocol SCTP', (r) => { r.container[0].port = [{ port: 80, protocol: 'SCTP' }]; },
    'InvalidParameter', 400, /Container\.1\.Port\.1\.Protocol/],
  ['negative container Cpu', (r) => { r.container[0].cpu = -1; },
    'InvalidParameter', 400, /Container\.1\.Cpu/],
  ['image reference with a space', (r) => { r.container[0].image = 'busy box'; },
    'InvalidParameter', 400, /Container\.1\.Image/],
  ['duplicate container names', (r) => { r.container = [container(), container()]; },
    'InvalidParameter.DuplicatedName', 400, /Container\.2\.Name/],
  ['init container named like a container',
    (r) => { r.initContainer = [container({ command: ['true'] })]; },
    'InvalidParameter.DuplicatedName', 400, /InitContainer\.1\.Name/],
  ['ImagePullPolicy not an enum value', (r) => { r.container[0].imagePullPolicy = 'Sometimes'; },
    'InvalidParameter', 400, /Container\.1\.ImagePullPolicy/],
  ['more than 20 tags', (r) => { r.tag = repeat(21, (i) => ({ key: `k${i}`, value: 'v' })); },
    'InvalidParameter.LengthExceeded', 400, /"Tag"/],
  ['tag key over 128 characters', (r) => { r.tag = [{ key: long(129, 'k'), value: 'v' }]; },
    'InvalidParameter.ValueExceeded', 400, /Tag\.1\.Key/],
  ['tag value over 128 characters', (r) => { r.tag = [{ key: 'k', value: long(129) }]; },
    'InvalidParameter.ValueExceeded', 400, /Tag\.1\.Value/],
  ['tag without a key', (r) => { r.tag = [{ value: 'v' }]; },
    'MissingParameter', 400, /Tag\.1\.Key/],
  ['more than 10 registry credentials',
    (r) => { r.imageRegistryCredential = repeat(11, (i) => ({ server: `r${i}.example`, userName: 'u', password: 'p' })); },
    'InvalidParameter.LengthExceeded', 400, /ImageRegistryCredential/],
  ['registry credential without a password',
    (r) => { r.imageRegistryCredential = [{ server: 'r.example', userName: 'u' }]; },
    'MissingParameter', 400, /ImageRegistryCredential\.1\.Password/],
  ['ClientToken over 64 characters', (r) => { r.clientToken = long(65); },
    'InvalidParameter.ValueExceeded', 400, /ClientToken/],
];

// Rows only Create has (placement, group fields, admission, cloud-only parameters).
const CREATE_ROWS = [
  ['missing RegionId', (r) => { delete r.regionId; }, 'MissingParameter', 400, /RegionId/],
  ['missing ContainerGroupName', (r) => { delete r.containerGroupName; },
    'MissingParameter', 400, /ContainerGroupName/],
  ['no Container', (r) => { r.container = []; }, 'MissingParameter', 400, /Container/],
  ['group name pattern', (r) => { r.containerGroupName = 'Bad_Name'; },
    'InvalidParameter', 400, /ContainerGroupName/],
  ['group name over 128 characters', (r) => { r.containerGroupName = long(129, 'a'); },
    'InvalidParameter.ValueExceeded', 400, /ContainerGroupName/],
  ['RestartPolicy not an enum value', (r) => { r.restartPolicy = 'Sometimes'; },
    'InvalidParameter', 400, /RestartPolicy/],
  ['unknown region', (r) => { r.regionId = 'cn-nowhere'; }, 'RegionNotSupported', 403, /cn-nowhere/],
  ['unknown zone', (r) => { r.zoneId = 'cn-hangzhou-zz'; }, 'Zone.NotOnSale', 403, /cn-hangzhou-zz/],
  ['unknown VSwitch', (r) => { r.vSwitchId = 'vsw-doesnotexist'; },
    'InvalidVSwitchId.NotFound', 404, /vsw-doesnotexist/],
  ['unknown security group', (r) => { r.securityGroupId = 'sg-doesnotexist'; },
    'InvalidSecurityGroupId.NotFound', 404, /sg-doesnotexist/],
  ['group Cpu/Memory not an ECI specification', (r) => { r.cpu = 1; r.memory = 1; },
    'InvalidParameter.CPU.Memory', 400, /Cpu 1 with Memory 1 GiB/],
  ['containers larger than the group', (r) => { r.cpu = 1; r.memory = 2; r.container[0].cpu = 2; },
    'InvalidParameter.CPU.Memory', 400, /Cpu 2/],
  ['a GPU on a node without GPUs', (r) => { r.container[0].gpu = 1; },
    'OperationDenied.NoStock', 403, /Container\.1\.Gpu.*no GPUs/],
  ['more than the node has', (r) => { r.cpu = 4; r.memory = 8; r.container[0].cpu = 4; },
    'OperationDenied.NoStock', 403, /Cpu 4 and Memory 8 GiB/],
  ['EipInstanceId (cloud only)', (r) => { r.eipInstanceId = 'eip-1'; },
    'InvalidParameter', 400, /EipInstanceId.*EIP service.*self-hosted OpenECI node/],
  ['AutoCreateEip (cloud only)', (r) => { r.autoCreateEip = true; },
    'InvalidParameter', 400, /AutoCreateEip.*EIP service/],
  ['SpotStrategy (cloud only)', (r) => { r.spotStrategy = 'SpotAsPriceGo'; },
    'InvalidParameter', 400, /SpotStrategy.*spot/],
  ['RamRoleName (cloud only)', (r) => { r.ramRoleName = 'role'; },
    'InvalidParameter', 400, /RamRoleName.*RAM roles/],
  ['Ipv6AddressCount (cloud only)', (r) => { r.ipv6AddressCount = 1; },
    'InvalidParameter', 400, /Ipv6AddressCount.*IPv6/],
  ['HostSecurityContext (cloud only)',
    (r) => { r.hostSecurityContext = { sysctl: [{ name: 'kernel.msgmax', value: '65536' }] }; },
    'InvalidParameter', 400, /HostSecurityContext.*host/],
];

// Rows sent with pop-core as raw flat parameters: values of the wrong type.
const WRONG_TYPE_ROWS = [
  ['Cpu not a number', { Cpu: 'two' }, 'InvalidParameter', /"Cpu"/],
  ['Container.N.Memory not a number', { 'Container.1.Memory': 'lots' }, 'InvalidParameter',
    /Container\.1\.Memory/],
  ['Container.N.Port.N.Port not an integer', { 'Container.1.Port.1.Port': '80.5' },
    'InvalidParameter', /Container\.1\.Port\.1\.Port/],
  ['Container.N.Gpu not an integer', { 'Container.1.Gpu': 'one' }, 'InvalidParameter',
    /Container\.1\.Gpu/],
  ['DryRun not a boolean', { DryRun: 'maybe' }, 'InvalidParameter', /DryRun/],
];

function createRequest(name) {
  return {
    regionId: REGION, zoneId: ZONE, vSwitchId: VSWITCH, securityGroupId: SECURITY_GROUP,
    containerGroupName: name, restartPolicy: 'Never', container: [container()],
  };
}

async function groupsNamed(name) {
  return (await stack.listAll()).filter((g) => g.containerGroupName === name);
}

for (const [what, edit, code, status, param] of [...CONTAINER_ROWS, ...CREATE_ROWS]) {
  test(`CreateContainerGroup: ${what} -> ${code} (${status})`, async () => {
    const req = createRequest('val-create');
    edit(req);
    await expectApiError(stack.create(req), { code, status, message: param });
  });
}

for (const [what, flat, code, param] of WRONG_TYPE_ROWS) {
  test(`CreateContainerGroup (pop-core): ${what} -> ${code}`, async () => {
    const params = {
      RegionId: REGION, ContainerGroupName: 'val-type', RestartPolicy: 'Never',
      'Container.1.Name': 'main', 'Container.1.Image': stack.publicImage, ...flat,
    };
    const err = await expectApiError(stack.popPost().request('CreateContainerGroup', params),
      { code, message: param });
    assert.equal(err.data.Code, code);
  });
}

test('no request of the table created anything', async () => {
  assert.deepEqual(await stack.listAll(), []);
  assert.equal((await stack.ctrGroupIds()).size, 0);
});

// ---- UpdateContainerGroup: the same rows, once the action exists --------------------------

let updateTarget;

async function updateExists() {
  try {
    await stack.sdk().updateContainerGroup(new $Eci.UpdateContainerGroupRequest({
      regionId: REGION, containerGroupId: 'eci-doesnotexist00000000',
    }));
  } catch (e) {
    if (e.code === 'InvalidAction' || e.code === 'UnsupportedOperation') return false;
  }
  return true;
}

for (const [what, edit, code, status, param] of CONTAINER_ROWS) {
  test(`UpdateContainerGroup: ${what} -> ${code} (${status})`, async (t) => {
    if (!(await updateExists())) {
      t.skip('UpdateContainerGroup is not implemented on this server yet');
      return;
    }
    if (!updateTarget) {
      updateTarget = await stack.create(createRequest('val-update'));
      await stack.waitFor(updateTarget, (g) => g?.status === 'Running');
    }
    const req = { regionId: REGION, containerGroupId: updateTarget, container: [container()] };
    edit(req);
    delete req.containerGroupName;
    await expectApiError(
      stack.sdk().updateContainerGroup(new $Eci.UpdateContainerGroupRequest(req)),
      { code, status, message: param },
    );
  });
}

test('UpdateContainerGroup: the refused updates changed nothing', async (t) => {
  if (!updateTarget) {
    t.skip('UpdateContainerGroup is not implemented on this server yet');
    return;
  }
  const g = await stack.describe(updateTarget);
  assert.equal(g.status, 'Running');
  assert.deepEqual(g.containers.map((c) => c.name), ['main']);
  await stack.delete(updateTarget);
  await stack.waitFor(updateTarget, (x) => x === undefined);
});

// ---- Admission -----------------------------------------------------------------------------

test('capacity: groups beyond the node are refused with NoStock and nothing is created', async () => {
  const big = await stack.create({ ...createRequest('val-big'), cpu: 2, memory: 4 });
  await stack.waitFor(big, (g) => g?.status === 'Running');
  const err = await expectApiError(stack.create(createRequest('val-more')),
    { code: 'OperationDenied.NoStock', status: 403, message: /0 vCPUs and 0 GiB free/ });
  assert.match(err.data.Message, /Cpu 0.25 and Memory 0.5 GiB/);
  assert.deepEqual(await groupsNamed('val-more'), []);
  await stack.delete(big);
  await stack.waitFor(big, (g) => g === undefined);
  const after = await stack.create(createRequest('val-more'));
  await stack.waitFor(after, (g) => g?.status === 'Running');
  await stack.delete(after);
});

test('capacity: concurrent creates never admit more than the node holds', async () => {
  const results = await Promise.allSettled(
    repeat(6, (i) => stack.create({ ...createRequest(`val-race-${i}`), cpu: 1, memory: 2 })));
  const admitted = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
  const refused = results.filter((r) => r.status === 'rejected');
  assert.equal(admitted.length, 2, JSON.stringify(results.map((r) => r.reason?.code ?? r.value)));
  for (const r of refused) assert.equal(r.reason.code, 'OperationDenied.NoStock');
  for (const id of admitted) await stack.delete(id);
  for (const id of admitted) await stack.waitFor(id, (g) => g === undefined);
});

test('quota: the fourth live group of the account answers QuotaExceeded (403)', async () => {
  const ids = [];
  const withToken = { ...createRequest('val-quota-2'), clientToken: 'val-quota-token' };
  for (let i = 0; i < 2; i++) ids.push(await stack.create(createRequest(`val-quota-${i}`)));
  ids.push(await stack.create(withToken));
  const err = await expectApiError(stack.create(createRequest('val-quota-3')),
    { code: 'QuotaExceeded', status: 403, message: /^ContainerGroup quota exceeded\./ });
  assert.match(err.data.Message, /3 live container groups/);
  // A retry of the last create (same ClientToken) still answers its ID at the quota.
  assert.equal(await stack.create(withToken), ids[2]);
  assert.deepEqual(await groupsNamed('val-quota-3'), []);
  await stack.delete(ids[0]);
  ids.push(await stack.create(createRequest('val-quota-3')));  // a deleted group frees its slot
  for (const id of ids.slice(1)) await stack.delete(id);
  for (const id of ids) await stack.waitFor(id, (g) => g === undefined);
});

test('DryRun: a valid request answers DryRunOperation (400) and creates nothing', async () => {
  // Groups deleted by earlier tests may still be torn down: only new ones would count.
  const before = await stack.ctrGroupIds();
  await expectApiError(stack.create({ ...createRequest('val-dry'), dryRun: true }),
    { code: 'DryRunOperation', status: 400, message: /DryRun flag set/ });
  assert.deepEqual(await groupsNamed('val-dry'), []);
  const known = new Set([...before, ...stack.groups]);
  assert.deepEqual([...(await stack.ctrGroupIds())].filter((id) => !known.has(id)), []);
  const popErr = await expectApiError(stack.popGet().request('CreateContainerGroup', {
    RegionId: REGION, ContainerGroupName: 'val-dry', DryRun: 'true',
    'Container.1.Name': 'main', 'Container.1.Image': stack.publicImage,
  }), { code: 'DryRunOperation' });
  assert.equal(popErr.data.Code, 'DryRunOperation');
  assert.deepEqual(await groupsNamed('val-dry'), []);
});

test('DryRun: an invalid request answers its error, not DryRunOperation', async () => {
  const dry = (over) => stack.create({ ...createRequest('val-dry-bad'), dryRun: true, ...over });
  await expectApiError(dry({ container: [container({ arg: repeat(11, () => 'a') })] }),
    { code: 'InvalidParameter.LengthExceeded', status: 400, message: /Container\.1\.Arg/ });
  await expectApiError(dry({ cpu: 4, memory: 8 }),
    { code: 'OperationDenied.NoStock', status: 403 });
  await expectApiError(dry({ imageSnapshotId: 'imc-doesnotexist' }),
    { code: 'ImageSnapshot.NotFound', status: 404 });
  await expectApiError(dry({ zoneId: 'cn-hangzhou-zz' }), { code: 'Zone.NotOnSale', status: 403 });
  assert.deepEqual(await groupsNamed('val-dry-bad'), []);
});

// ---- Retention -----------------------------------------------------------------------------

async function finishedGroup(name, exitCode) {
  const id = await stack.create({
    ...createRequest(name),
    container: [container({ command: ['/bin/sh', '-c', `echo done; exit ${exitCode}`] })],
  });
  const g = await stack.waitFor(id, (x) => ['Succeeded', 'Failed'].includes(x?.status), 60000);
  return { id, g };
}

async function waitGoneFromContainerd(id, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    // A listed object can vanish before it is inspected: that is the release under way.
    const left = await stack.ctrGroup(id).then((g) => g.all.length, () => -1);
    if (left === 0) return;
    await sleep(200);
  }
  assert.fail(`containerd still holds objects of ${id}: ` +
    JSON.stringify((await stack.ctrGroup(id)).all.map((o) => [o.kind, o.id])));
}

test('retention: a finished group releases its containers at once and keeps its record', async () => {
  const { id, g } = await finishedGroup('val-done-1', 0);
  assert.equal(g.status, 'Succeeded');
  await waitGoneFromContainerd(id, 5000);
  const kept = await stack.describe(id);
  assert.equal(kept.status, 'Succeeded');
  assert.equal(kept.containers[0].currentState.state, 'Terminated');
  assert.equal(kept.containers[0].currentState.exitCode, 0);
  assert.ok(kept.events.some((e) => e.reason === 'Started'), JSON.stringify(kept.events));
  assert.ok(kept.succeededTime);
  // Its log outlives its containers (it goes with the record).
  const log = await stack.sdk().describeContainerLog(new $Eci.DescribeContainerLogRequest({
    regionId: REGION, containerGroupId: id, containerName: 'main',
  }));
  assert.equal(log.body.content.trim(), 'done');
});

test('retention: only the latest succeeded group of the account is kept (retention count 1)', async () => {
  const first = (await stack.listAll()).find((g) => g.containerGroupName === 'val-done-1');
  assert.ok(first, 'the first succeeded group is still listed');
  const { id: second } = await finishedGroup('val-done-2', 0);
  await stack.waitFor(first.containerGroupId, (g) => g === undefined, 10000);
  assert.equal((await stack.describe(second)).status, 'Succeeded');
  await waitGoneFromContainerd(second, 5000);
});

test(`retention: a failed group's record goes ${FAILED_RETENTION_SECONDS} s after it failed`, async () => {
  const { id, g } = await finishedGroup('val-failed', 3);
  assert.equal(g.status, 'Failed');
  await waitGoneFromContainerd(id, 5000);
  const failedAt = Date.parse(g.failedTime);
  await stack.waitFor(id, (x) => x === undefined, 15000);
  const goneAfter = Date.now() - failedAt;
  // Seconds resolution of FailedTime plus the once-a-second sweep.
  assert.ok(goneAfter >= FAILED_RETENTION_SECONDS * 1000 - 1000, `gone after ${goneAfter} ms`);
  assert.ok(goneAfter < FAILED_RETENTION_SECONDS * 1000 + 6000, `gone after ${goneAfter} ms`);
});

// pop-core RPCClient (signature V1) against the real stack, GET (query) and POST (form body),
// with parameters written the way pop-core users write them: arrays flattened by pop-core,
// nested objects pre-joined into dotted keys by hand.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startStack, REGION, ZONE, VSWITCH, SECURITY_GROUP, SUBNET, SLEEPER, inSubnet, sleep,
} from './lib/stack.mjs';

let stack;
before(async () => {
  stack = await startStack('popcore');
});
after(async () => {
  await stack?.stop();
});

const ODD = "a b*c~d+e/é&=x!'()";

// pop-core parses with json-bigint, whose objects have a null prototype: compare plain copies.
const plain = (x) => JSON.parse(JSON.stringify(x));

// Polls DescribeContainerGroups through the given pop-core client until Running.
async function waitRunning(pop, id, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    const res = await pop.request('DescribeContainerGroups', {
      RegionId: REGION,
      ContainerGroupIds: JSON.stringify([id]),
    });
    assert.equal(res.Code, undefined, 'a success body carries no Code');
    assert.equal(typeof res.TotalCount, 'number');
    assert.ok(Array.isArray(res.ContainerGroups));
    last = res.ContainerGroups.find((g) => g.ContainerGroupId === id);
    if (last?.Status === 'Running') return last;
    if (['Failed', 'Succeeded'].includes(last?.Status)) break;
    await sleep(250);
  }
  throw new Error(`group ${id} not Running: ${JSON.stringify(last)}`);
}

async function deleteAndWait(pop, id) {
  const res = await pop.request('DeleteContainerGroup', { RegionId: REGION, ContainerGroupId: id });
  assert.equal(typeof res.RequestId, 'string');
  await stack.waitFor(id, (g) => g === undefined, 30000);
}

test('pop-core GET with pre-joined flat parameters', async () => {
  const pop = stack.popGet();
  const res = await pop.request('CreateContainerGroup', {
    RegionId: REGION,
    ZoneId: ZONE,
    VSwitchId: VSWITCH,
    SecurityGroupId: SECURITY_GROUP,
    ContainerGroupName: 'popcore-get',
    RestartPolicy: 'Never',
    'Container.1.Name': 'main',
    'Container.1.Image': stack.publicImage,
    'Container.1.ImagePullPolicy': 'IfNotPresent',
    'Container.1.Command.1': SLEEPER[0],
    'Container.1.Command.2': SLEEPER[1],
    'Container.1.Command.3': SLEEPER[2],
    'Container.1.EnvironmentVar.1.Key': 'VIA',
    'Container.1.EnvironmentVar.1.Value': ODD,
    'Container.1.Cpu': 0.25,
    'Container.1.Memory': 0.5,
    'Tag.1.Key': 'client',
    'Tag.1.Value': 'pop-core-get',
  });
  assert.equal(res.Code, undefined);
  assert.equal(typeof res.RequestId, 'string');
  assert.match(res.ContainerGroupId, /^eci-/);
  const id = res.ContainerGroupId;
  stack.track(id);

  const g = await waitRunning(pop, id);
  assert.equal(g.ContainerGroupName, 'popcore-get');
  assert.ok(inSubnet(g.IntranetIp, SUBNET), `IntranetIp ${g.IntranetIp}`);
  assert.deepEqual(plain(g.Tags), [{ Key: 'client', Value: 'pop-core-get' }]);
  const c = g.Containers[0];
  assert.deepEqual(plain(c.Commands), SLEEPER);
  assert.equal(c.Cpu, 0.25);
  assert.equal(c.Memory, 0.5);
  assert.equal(c.CurrentState.State, 'Running');
  assert.deepEqual(plain(c.EnvironmentVars.map((e) => [e.Key, e.Value])), [['VIA', ODD]]);

  const { proc } = await stack.runningContainer(id);
  assert.deepEqual(proc.argv, SLEEPER);
  assert.equal(proc.env.VIA, ODD);

  await deleteAndWait(pop, id);
});

test('pop-core POST (form body) with arrays flattened by pop-core', async () => {
  const pop = stack.popPost();
  const res = await pop.request('CreateContainerGroup', {
    RegionId: REGION,
    ContainerGroupName: 'popcore-post',
    RestartPolicy: 'Always',
    Container: [{
      Name: 'main',
      Image: stack.publicImage,
      ImagePullPolicy: 'IfNotPresent',
      Command: SLEEPER,
      EnvironmentVar: [{ Key: 'VIA', Value: ODD }, { Key: 'SECOND', Value: '2' }],
      Port: [{ Port: 80, Protocol: 'TCP' }],
      Cpu: 0.25,
      Memory: 0.25,
    }],
    Tag: [{ Key: 'client', Value: 'pop-core-post' }, { Key: 'odd', Value: ODD }],
  });
  assert.equal(res.Code, undefined);
  assert.match(res.ContainerGroupId, /^eci-/);
  const id = res.ContainerGroupId;
  stack.track(id);

  const g = await waitRunning(pop, id);
  assert.equal(g.ContainerGroupName, 'popcore-post');
  // Omitted placement falls back to the node's defaults.
  assert.equal(g.ZoneId, ZONE);
  assert.equal(g.VSwitchId, VSWITCH);
  assert.equal(g.SecurityGroupId, SECURITY_GROUP);
  assert.equal(g.RestartPolicy, 'Always');
  assert.deepEqual(
    Object.fromEntries(g.Tags.map((t) => [t.Key, t.Value])),
    { client: 'pop-core-post', odd: ODD },
  );
  const c = g.Containers[0];
  assert.deepEqual(plain(c.Commands), SLEEPER);
  assert.deepEqual(plain(c.Ports), [{ Port: 80, Protocol: 'TCP' }]);
  assert.deepEqual(
    Object.fromEntries(c.EnvironmentVars.map((e) => [e.Key, e.Value])),
    { VIA: ODD, SECOND: '2' },
  );

  const { proc } = await stack.runningContainer(id);
  assert.equal(proc.env.VIA, ODD);
  assert.equal(proc.env.SECOND, '2');

  // The same group seen through GET and the V3 SDK.
  const viaGet = await stack.popGet().request('DescribeContainerGroups', {
    RegionId: REGION,
    ContainerGroupName: 'popcore-post',
  });
  assert.deepEqual(plain(viaGet.ContainerGroups.map((x) => x.ContainerGroupId)), [id]);
  const viaSdk = await stack.describe(id);
  assert.equal(viaSdk.intranetIp, g.IntranetIp);

  await deleteAndWait(pop, id);
});

// The default eci20180808 client (ACS3-HMAC-SHA256) against the real stack: DescribeRegions,
// then a group pulled from the authenticated registry, checked through the API and through
// containerd and the kernel (argv, environment, cwd, cgroup limits, network namespace).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  startStack, $Eci, REGION, ZONE, VSWITCH, SECURITY_GROUP, SUBNET, REGISTRY_USER,
  REGISTRY_PASSWORD, inSubnet, readCgroupValue, summarize,
} from './lib/stack.mjs';

let stack;
before(async () => {
  stack = await startStack('sdk_v3');
});
after(async () => {
  await stack?.stop();
});

test('DescribeRegions lists the configured region and zone', async () => {
  const res = await stack.sdk().describeRegions(new $Eci.DescribeRegionsRequest({}));
  assert.equal(res.statusCode, 200);
  assert.equal(typeof res.body.requestId, 'string');
  assert.ok(res.body.requestId.length > 0);
  const region = (res.body.regions ?? []).find((r) => r.regionId === REGION);
  assert.ok(region, `regions: ${JSON.stringify(res.body.regions)}`);
  assert.ok(region.zones.includes(ZONE), `zones: ${JSON.stringify(region.zones)}`);
});

const SCRIPT = 'trap "exit 0" TERM; while :; do sleep 1; done';
const ODD = "a*b~c+d e!'()/é&=";

test('a group from the authenticated registry really runs as specified', async () => {
  const id = await stack.create({
    regionId: REGION,
    zoneId: ZONE,
    vSwitchId: VSWITCH,
    securityGroupId: SECURITY_GROUP,
    containerGroupName: 'sdk-v3-private',
    restartPolicy: 'Always',
    tag: [
      { key: 'suite', value: 'sdk_v3' },
      { key: 'odd', value: ODD },
    ],
    imageRegistryCredential: [
      { server: stack.authRegistry.host, userName: REGISTRY_USER, password: REGISTRY_PASSWORD },
    ],
    container: [{
      name: 'app',
      image: stack.privateImage,
      imagePullPolicy: 'Always',
      command: ['/bin/sh', '-c'],
      arg: [SCRIPT, 'argzero-marker'],
      environmentVar: [
        { key: 'GREETING', value: 'hello world' },
        { key: 'ODD_CHARS', value: ODD },
      ],
      workingDir: '/tmp',
      cpu: 0.5,
      memory: 0.5,
      port: [{ port: 8080, protocol: 'TCP' }],
    }],
  });
  assert.match(id, /^eci-[0-9a-z]+$/);

  const g = await stack.waitFor(id, (x) => {
    if (x && ['Failed', 'Succeeded'].includes(x.status)) {
      throw new Error(`group ended early: ${JSON.stringify(summarize(x))}`);
    }
    return x?.status === 'Running' && x.containers?.[0]?.ready === true;
  }, 30000);

  // ---- the API view ----
  assert.equal(g.containerGroupName, 'sdk-v3-private');
  assert.equal(g.regionId, REGION);
  assert.equal(g.zoneId, ZONE);
  assert.equal(g.vSwitchId, VSWITCH);
  assert.equal(g.securityGroupId, SECURITY_GROUP);
  assert.equal(g.restartPolicy, 'Always');
  assert.ok(inSubnet(g.intranetIp, SUBNET), `IntranetIp ${g.intranetIp} not in ${SUBNET}`);
  assert.ok(!Number.isNaN(Date.parse(g.creationTime)), `CreationTime ${g.creationTime}`);
  const tags = Object.fromEntries((g.tags ?? []).map((t) => [t.key, t.value]));
  assert.deepEqual(tags, { suite: 'sdk_v3', odd: ODD });

  assert.equal(g.containers.length, 1);
  const c = g.containers[0];
  assert.equal(c.name, 'app');
  assert.equal(c.image, stack.privateImage);
  assert.deepEqual(c.commands, ['/bin/sh', '-c']);
  assert.deepEqual(c.args, [SCRIPT, 'argzero-marker']);
  assert.equal(c.workingDir, '/tmp');
  assert.equal(c.cpu, 0.5);
  assert.equal(c.memory, 0.5);
  assert.deepEqual((c.ports ?? []).map((p) => [p.port, p.protocol]), [[8080, 'TCP']]);
  const env = Object.fromEntries((c.environmentVars ?? []).map((e) => [e.key, e.value]));
  assert.equal(env.GREETING, 'hello world');
  assert.equal(env.ODD_CHARS, ODD);
  assert.equal(c.currentState?.state, 'Running');
  assert.ok(!Number.isNaN(Date.parse(c.currentState.startTime)), `StartTime ${c.currentState.startTime}`);
  assert.equal(c.ready, true);
  assert.equal(c.restartCount, 0);

  const withEvents = await stack.waitFor(id, (x) => {
    const reasons = new Set((x?.events ?? []).map((e) => e.reason));
    return ['Pulling', 'Pulled', 'Created', 'Started'].every((r) => reasons.has(r));
  }, 15000);
  for (const e of withEvents.events) {
    assert.ok(['Normal', 'Warning'].includes(e.type), `event type ${e.type}`);
    assert.ok(e.count >= 1, `event count ${e.count}`);
    assert.ok(!Number.isNaN(Date.parse(e.firstTimestamp)) && !Number.isNaN(Date.parse(e.lastTimestamp)));
  }

  // ---- containerd ----
  const { sandboxes, containers } = await stack.ctrGroup(id);
  assert.equal(sandboxes.length, 1, `sandboxes: ${JSON.stringify(sandboxes.map((s) => s.id))}`);
  assert.equal(sandboxes[0].task?.status, 'RUNNING');
  assert.ok(containers.length >= 1);
  for (const o of [...sandboxes, ...containers]) {
    assert.equal(o.labels['openeci.group-id'], id);
  }

  // ---- the process itself ----
  const { proc } = await stack.runningContainer(id);
  assert.deepEqual(proc.argv, ['/bin/sh', '-c', SCRIPT, 'argzero-marker']);
  assert.equal(proc.env.GREETING, 'hello world');
  assert.equal(proc.env.ODD_CHARS, ODD);
  assert.equal(proc.cwd, '/tmp');

  for (const controller of ['memory', 'cpu']) {
    const p = proc.cgroups[controller];
    assert.ok(p === `/openeci/${id}` || p.startsWith(`/openeci/${id}/`),
      `${controller} cgroup of the container is ${p}, expected below /openeci/${id}`);
  }
  const limit = Number(readCgroupValue('memory', proc.cgroups.memory, 'memory.limit_in_bytes'));
  assert.equal(limit, 0.5 * 1024 ** 3);
  const quota = Number(readCgroupValue('cpu', proc.cgroups.cpu, 'cpu.cfs_quota_us'));
  const period = Number(readCgroupValue('cpu', proc.cgroups.cpu, 'cpu.cfs_period_us'));
  assert.ok(quota > 0, `cpu.cfs_quota_us ${quota}`);
  assert.equal(quota / period, 0.5);

  // The IntranetIp is the address inside the pod's network namespace.
  const addrs = execFileSync('nsenter', ['-t', String(proc.pid), '-n', 'ip', '-4', '-o', 'addr', 'show'],
    { encoding: 'utf8' });
  assert.ok(addrs.includes(` ${g.intranetIp}/`), `pod addresses:\n${addrs}`);

  await stack.delete(id);
  await stack.waitFor(id, (x) => x === undefined, 30000);
});

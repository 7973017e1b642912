// CreateContainerGroupFromTemplate, ExportContainerGroupTemplate and
// UpdateContainerGroupByTemplate through pop-core (the 2.0.3 SDK has no template methods) on the
// real stack: the reference's sample template adapted to this node, export -> create again ->
// an equivalent group, updates by template checked inside the containers, and malformed
// templates refused with IncorrectUserTemplateFormat naming the path.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startStack, $Eci, REGION, ZONE, VSWITCH, SECURITY_GROUP, REGISTRY_USER, REGISTRY_PASSWORD,
  expectApiError, sleep, summarize,
} from './lib/stack.mjs';

let stack;
let pop;
before(async () => {
  stack = await startStack('templates');
  pop = stack.popPost();
});
after(async () => {
  await stack?.stop();
});

const plain = (x) => JSON.parse(JSON.stringify(x));

// The reference's sample (6.7) with this node's placement and images, and the features this
// node runs today (init containers, volumes and probes are other issues' work).
function sampleTemplate(name) {
  return {
    regionId: REGION,
    zoneId: ZONE,
    securityGroupId: SECURITY_GROUP,
    vSwitchId: VSWITCH,
    resourceGroupId: 'rg-hfh4hjf6hdfeur8h9',
    containerGroupName: name,
    instanceType: 'ecs.t5-lc1m2.large',
    resources: { cpu: 1.0, memory: 2.0 },
    tags: [{ key: 'createdFrom', value: 'template' }, { key: 'version', value: '1.0.4' }],
    spec: {
      containers: [{
        image: stack.publicImage,
        name: 'nginx',
        imagePullPolicy: 'IfNotPresent',
        resources: { cpu: 0.5, memory: '0.5' },
        command: ['/bin/sh'],
        args: ['-c', 'trap "exit 0" TERM; while :; do sleep 1; done'],
        securityContext: { readOnlyRootFilesystem: 'true', capabilities: { add: ['NET_ADMIN'] } },
        runAsUser: '1337',
        env: [
          { name: 'KUBERNETES_SERVICE_HOST', value: '47.xx.32.xx' },
          { name: 'KUBERNETES_SERVICE_PORT', value: '6443' },
          { name: 'ECI_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        ],
        ports: [{ protocol: 'TCP', containerPort: '8080' }, { protocol: 'TCP', containerPort: 80 }],
      }],
      dnsConfig: {
        nameservers: ['10.0.0.10'],
        searches: ['c7a1790b3f206498382cbba682c257b0e.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
        options: [{ name: 'ndots', value: '2' }],
      },
      restartPolicy: 'Always',
      securityContext: { sysctls: [{ Name: 'kernel.msgmax', Value: '65536' }] },
      hostAliases: [{ ip: '10.0.0.9', hostnames: ['db', 'db.local'] }],
    },
  };
}

// What the sample template makes true inside the container.
async function checkSampleInside(id, g) {
  const inside = await execSync(id, ['sh', '-c',
    'echo "$ECI_IP $KUBERNETES_SERVICE_PORT"; id -u; cat /proc/sys/kernel/msgmax; ' +
    'grep -c "10.0.0.9.*db.local" /etc/hosts; grep -E "^(nameserver|search|options)" /etc/resolv.conf; ' +
    'touch /written 2>/dev/null && echo writable || echo read-only'], 'nginx');
  const lines = inside.trim().split('\n');
  assert.equal(lines[0], `${g.intranetIp} 6443`);
  assert.equal(lines[1], '1337');
  assert.equal(lines[2], '65536');
  assert.equal(lines[3], '1');
  assert.ok(lines.includes('nameserver 10.0.0.10'), inside);
  assert.ok(lines.some((l) => /^search .*\bsvc\.cluster\.local\b/.test(l)), inside);
  assert.ok(lines.some((l) => /^options .*ndots:2/.test(l)), inside);
  assert.equal(lines.at(-1), 'read-only');
}

async function createFromTemplate(template, extra = {}) {
  const res = await pop.request('CreateContainerGroupFromTemplate', {
    RegionId: REGION,
    Template: typeof template === 'string' ? template : JSON.stringify(template),
    ...extra,
  });
  assert.equal(res.Code, undefined);
  assert.match(res.ContainerGroupId, /^eci-/);
  stack.track(res.ContainerGroupId);
  return res.ContainerGroupId;
}

async function exportTemplate(id) {
  const res = await pop.request('ExportContainerGroupTemplate', { RegionId: REGION, ContainerGroupId: id });
  assert.equal(typeof res.RequestId, 'string');
  return plain(res.Template);
}

async function updateByTemplate(template) {
  return pop.request('UpdateContainerGroupByTemplate', { RegionId: REGION, Template: JSON.stringify(template) });
}

async function execSync(id, command, containerName) {
  const res = await stack.sdk().execContainerCommand(new $Eci.ExecContainerCommandRequest({
    regionId: REGION, containerGroupId: id, containerName, command: JSON.stringify(command), sync: true,
  }));
  return res.body.syncResponse;
}

const running = (id) => stack.waitFor(id, (g) => g?.status === 'Running' && g.containers.every((c) => c.ready), 60000);

let firstId;

test('create from the sample template: the group runs as the template says', async () => {
  firstId = await createFromTemplate(sampleTemplate('template-test'));
  const g = await running(firstId);
  assert.equal(g.containerGroupName, 'template-test');
  assert.equal(g.cpu, 1);
  assert.equal(g.memory, 2);
  assert.equal(g.instanceType, 'ecs.t5-lc1m2.large');
  assert.equal(g.resourceGroupId, 'rg-hfh4hjf6hdfeur8h9');
  assert.deepEqual(g.tags.map((t) => [t.key, t.value]), [['createdFrom', 'template'], ['version', '1.0.4']]);
  const c = g.containers[0];
  assert.equal(c.cpu, 0.5);
  assert.deepEqual(c.ports.map((p) => p.port), [8080, 80]);
  await checkSampleInside(firstId, g);
});

test('export returns the template, and creating from it gives an equivalent group', async () => {
  const exported = await exportTemplate(firstId);
  assert.equal(exported.RegionId, REGION);
  assert.equal(exported.ZoneId, ZONE);
  assert.equal(exported.VSwitchId, VSWITCH);
  assert.equal(exported.SecurityGroupId, SECURITY_GROUP);
  assert.equal(exported.ContainerGroupName, 'template-test');
  assert.deepEqual(exported.Resources, { Cpu: 1, Memory: 2 });
  assert.equal(exported.Spec.RestartPolicy, 'Always');
  assert.deepEqual(exported.Spec.InitContainers, []);
  const c = exported.Spec.Containers[0];
  assert.equal(c.Name, 'nginx');
  assert.equal(c.Image, stack.publicImage);
  assert.deepEqual(c.Resources, { Cpu: 0.5, Memory: 0.5 });
  assert.deepEqual(c.Env[2], { Name: 'ECI_IP', ValueFrom: { FieldRef: { FieldPath: 'status.podIP' } } });
  assert.deepEqual(c.Ports[0], { Protocol: 'TCP', ContainerPort: 8080 });
  assert.deepEqual(c.SecurityContext, { ReadOnlyRootFilesystem: true, RunAsUser: 1337, Capabilities: { Add: ['NET_ADMIN'] } });
  assert.deepEqual(exported.Spec.DnsConfig.NameServers, ['10.0.0.10']);
  assert.deepEqual(exported.Spec.HostAliases, [{ Ip: '10.0.0.9', Hostnames: ['db', 'db.local'] }]);
  assert.deepEqual(exported.Spec.SecurityContext, { Sysctls: [{ Name: 'kernel.msgmax', Value: '65536' }] });

  const secondId = await createFromTemplate(exported);
  assert.notEqual(secondId, firstId);
  const g = await running(secondId);
  assert.deepEqual(await exportTemplate(secondId), exported);
  await checkSampleInside(secondId, g);
});

test('a group created with CreateContainerGroup exports too', async () => {
  const id = await stack.create(stack.groupRequest('plain-create', { tag: [{ key: 'a', value: 'b' }] }));
  const exported = await exportTemplate(id);
  assert.equal(exported.ContainerGroupName, 'plain-create');
  assert.equal(exported.Spec.RestartPolicy, 'Never');
  assert.deepEqual(exported.Tags, [{ Key: 'a', Value: 'b' }]);
  assert.deepEqual(exported.Spec.Containers[0].Command, stack.groupRequest('x').container[0].command);
  await expectApiError(pop.request('ExportContainerGroupTemplate', { RegionId: REGION, ContainerGroupId: 'eci-nosuchgroup0000000' }),
    { code: 'InvalidParameter.NotFound', message: /eci-nosuchgroup/ });
});

test('update by template: new env and a private image restart into the new spec', async () => {
  const id = await createFromTemplate(sampleTemplate('template-update'));
  await running(id);
  const before = (await stack.runningContainer(id)).id;
  await updateByTemplate({
    regionId: REGION,
    containerGroupId: id,
    tags: [{ key: 'stage', value: 'two' }],
    spec: {
      containers: [{
        name: 'nginx',
        image: stack.privateImage,
        resources: { cpu: 0.5, memory: 0.5 },
        command: ['/bin/sh', '-c', 'echo "stage=$STAGE" > /tmp/env; trap "exit 0" TERM; while :; do sleep 1; done'],
        env: [{ name: 'STAGE', value: 'two' }],
      }],
      imagePullSecrets: [{ server: stack.authRegistry.host, userName: REGISTRY_USER, password: REGISTRY_PASSWORD }],
    },
  });
  assert.equal((await stack.describe(id)).status, 'Updating');
  const g = await stack.waitFor(id, (x) => x?.status === 'Running' && x.containers[0]?.image === stack.privateImage &&
    x.containers[0]?.ready, 60000);
  assert.deepEqual(g.tags.map((t) => [t.key, t.value]), [['stage', 'two']]);
  assert.notEqual((await stack.runningContainer(id)).id, before);
  assert.equal(await execSync(id, ['cat', '/tmp/env'], 'nginx'), 'stage=two\n');

  // An exported template (plus the group's ID) updates too: what cannot change is accepted
  // unchanged, and a tags-only change leaves the containers alone.
  const exported = await exportTemplate(id);
  const container = (await stack.runningContainer(id)).id;
  await updateByTemplate({ ...exported, ContainerGroupId: id, Tags: [{ Key: 'stage', Value: 'three' }] });
  await sleep(1000);
  const now = await stack.describe(id);
  assert.equal(now.status, 'Running', JSON.stringify(summarize(now)));
  assert.deepEqual(now.tags.map((t) => [t.key, t.value]), [['stage', 'three']]);
  assert.equal((await stack.runningContainer(id)).id, container);

  await expectApiError(updateByTemplate({ ...exported, ContainerGroupId: id, ZoneId: 'cn-hangzhou-z' }),
    { code: 'InvalidParameter', message: /"zoneId" cannot be updated/ });
  await expectApiError(updateByTemplate({ containerGroupId: id, resources: { cpu: 4 } }),
    { code: 'InvalidParameter', message: /"resources\.cpu" cannot be updated/ });
  await expectApiError(updateByTemplate({ containerGroupId: id, tags: [{ key: 'stage', value: 'three' }] }),
    { code: 'NoNeedUpdate' });
  await expectApiError(updateByTemplate({ spec: {} }), { code: 'MissingParameter', message: /containerGroupId/ });
});

test('malformed templates answer IncorrectUserTemplateFormat naming what is wrong', async () => {
  const create = (template) => pop.request('CreateContainerGroupFromTemplate', { RegionId: REGION, Template: template });
  await expectApiError(create('{"containerGroupName": "x",\n "spec": [}'),
    { code: 'IncorrectUserTemplateFormat', message: /not valid JSON.*line 2, column/ });
  const t = sampleTemplate('bad');
  t.spec.containers[0].resources.cpu = { value: 1 };
  await expectApiError(create(JSON.stringify(t)),
    { code: 'IncorrectUserTemplateFormat', message: /"spec\.containers\[0\]\.resources\.cpu" must be a number/ });
  const u = sampleTemplate('bad');
  u.spec.containers[0].colour = 'red';
  await expectApiError(create(JSON.stringify(u)),
    { code: 'IncorrectUserTemplateFormat', message: /"spec\.containers\[0\]\.colour" is unknown/ });
  const v = sampleTemplate('bad');
  v.spec.containers[0].ports[0].containerPort = 'eighty';
  await expectApiError(create(JSON.stringify(v)),
    { code: 'IncorrectUserTemplateFormat', message: /spec\.containers\[0\]\.ports\[0\]\.containerPort/ });
  const w = sampleTemplate('bad');
  w.spec.containers.push({ ...w.spec.containers[0] });
  await expectApiError(create(JSON.stringify(w)),
    { code: 'InvalidParameter.DuplicatedName', message: /spec\.containers\[1\]\.name/ });
  await expectApiError(create(JSON.stringify({ ...sampleTemplate('bad'), slsEnable: true })),
    { code: 'InvalidParameter', message: /"slsEnable" is not supported/ });
  await expectApiError(pop.request('CreateContainerGroupFromTemplate', { RegionId: REGION }),
    { code: 'MissingParameter', message: /Template/ });
  await expectApiError(updateByTemplate('not json'), { code: 'IncorrectUserTemplateFormat' });
  assert.equal((await stack.listAll()).filter((g) => g.containerGroupName === 'bad').length, 0);
});

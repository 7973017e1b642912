// Init containers and volumes on the real stack, through the official SDK: an init container
// prepares an emptyDir that the container reads; config files with their modes; a Memory
// emptyDir is a tmpfs inside the container and gone from the host after delete; SubPath and
// ReadOnly; a failing init container under Never fails the group; NFS on a kernel without it;
// cloud-disk volumes refused. What the host holds is checked with findmnt and ctr.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startStack, $Eci, REGION, expectApiError, sleep } from './lib/stack.mjs';

let stack;
before(async () => {
  stack = await startStack('volumes');
});
after(async () => {
  const leftovers = await stack?.stop();
  assert.deepEqual(leftovers ?? [], [], 'the server left nothing for the reaper');
});

const b64 = (s) => Buffer.from(s).toString('base64');

const mainContainer = (over = {}) => stack.mainContainer(over);

async function exec(id, command, containerName = 'main') {
  const res = await stack.sdk().execContainerCommand(new $Eci.ExecContainerCommandRequest({
    regionId: REGION, containerGroupId: id, containerName,
    command: JSON.stringify(['sh', '-c', command]), sync: true,
  }));
  return res.body.syncResponse;
}

async function logOf(id, containerName) {
  const res = await stack.sdk().describeContainerLog(new $Eci.DescribeContainerLogRequest({
    regionId: REGION, containerGroupId: id, containerName,
  }));
  return res.body.content;
}

// The group's volume directory on the host, as OpenECI lays it out.
function hostVolumeDir(id, name = '') {
  return path.join(fs.realpathSync(stack.stateDir), 'volumes', id, name);
}

// Mount points at or below `dir` on the host (findmnt, every mount).
function hostMountsBelow(dir) {
  const out = execFileSync('findmnt', ['-rn', '-o', 'TARGET'], { encoding: 'utf8' });
  return out.split('\n').filter((m) => m === dir || m.startsWith(`${dir}/`));
}

async function deleteAndWaitGone(id) {
  await stack.delete(id);
  const deadline = Date.now() + 30000;
  while (Date.now() < deadline) {
    const objects = (await stack.ctr(['containers', 'ls', '-q', `labels."openeci.group-id"==${id}`]))
      .split('\n').filter(Boolean);
    if (objects.length === 0 && !fs.existsSync(hostVolumeDir(id))) return;
    await sleep(250);
  }
  assert.fail(`group ${id} still has runtime objects or volumes after delete`);
}

test('an init container fills an emptyDir that the container then reads', async () => {
  const id = await stack.create(stack.groupRequest('vol-init', {
    restartPolicy: 'Always',
    volume: [{ name: 'work', type: 'EmptyDirVolume' }],
    initContainer: [{
      name: 'prepare',
      image: stack.publicImage,
      imagePullPolicy: 'IfNotPresent',
      command: ['sh', '-c', 'echo hello-from-init > /out/msg; echo run >> /out/runs; echo prepared'],
      volumeMount: [{ name: 'work', mountPath: '/out' }],
    }],
    container: [mainContainer({
      command: ['sh', '-c', 'cat /data/msg; trap "exit 0" TERM; while :; do sleep 1; done'],
      volumeMount: [{ name: 'work', mountPath: '/data' }],
    })],
  }));
  const g = await stack.waitFor(id, (x) => x?.status === 'Running', 60000);
  assert.equal(g.initContainers.length, 1);
  const init = g.initContainers[0];
  assert.equal(init.name, 'prepare');
  assert.deepEqual(init.command, ['sh', '-c', 'echo hello-from-init > /out/msg; echo run >> /out/runs; echo prepared']);
  assert.equal(init.currentState.state, 'Terminated');
  assert.equal(init.currentState.exitCode, 0);
  assert.equal(init.currentState.reason, 'Completed');
  assert.equal(init.ready, true);
  assert.equal(init.restartCount, 0);
  assert.deepEqual(init.volumeMounts.map((m) => [m.name, m.mountPath]), [['work', '/out']]);
  assert.deepEqual(g.volumes.map((v) => [v.name, v.type]), [['work', 'EmptyDirVolume']]);
  assert.deepEqual(g.containers[0].volumeMounts.map((m) => [m.name, m.mountPath, m.readOnly]),
    [['work', '/data', false]]);
  // The init container finished before the container started, which read its file.
  assert.ok(Date.parse(init.currentState.finishTime) <= Date.parse(g.containers[0].currentState.startTime));
  assert.equal(await exec(id, 'cat /data/msg'), 'hello-from-init\n');
  let log = '';
  for (let i = 0; i < 20 && !log.includes('hello-from-init'); i++, await sleep(250)) {
    log = await logOf(id, 'main');
  }
  assert.match(log, /hello-from-init/);
  assert.match(await logOf(id, 'prepare'), /prepared/);
  assert.equal(fs.readFileSync(hostVolumeDir(id, 'work/msg'), 'utf8'), 'hello-from-init\n');

  // A restart builds a new sandbox: the init container runs again, the emptyDir is kept.
  await stack.restartGroup(id);
  await stack.waitFor(id, (x) => x?.status === 'Running' &&
    x.events.some((e) => e.reason === 'Restarting'), 60000);
  assert.equal(await exec(id, 'cat /data/runs'), 'run\nrun\n');
  await deleteAndWaitGone(id);
});

test('config files carry their contents and modes', async () => {
  const id = await stack.create(stack.groupRequest('vol-config', {
    volume: [{
      name: 'conf',
      type: 'ConfigFileVolume',
      configFileVolume: {
        defaultMode: 0o440,
        configFileToPath: [
          { path: 'app.conf', content: b64('key=value\n'), mode: 0o600 },
          { path: 'nested/dir/x.txt', content: b64('liumi') },
        ],
      },
    }, {
      name: 'plain',
      type: 'ConfigFileVolume',
      configFileVolume: { configFileToPath: [{ path: 'p', content: b64('P') }] },
    }],
    container: [mainContainer({
      volumeMount: [
        { name: 'conf', mountPath: '/etc/app', readOnly: true },
        { name: 'plain', mountPath: '/etc/plain' },
      ],
    })],
  }));
  const g = await stack.waitFor(id, (x) => x?.status === 'Running', 60000);
  assert.deepEqual(g.volumes[0].configFileVolumeConfigFileToPaths.map((f) => f.path),
    ['app.conf', 'nested/dir/x.txt']);
  assert.equal(await exec(id, 'cat /etc/app/app.conf /etc/app/nested/dir/x.txt /etc/plain/p'),
    'key=value\nliumiP');
  assert.equal(await exec(id,
    'stat -c %a /etc/app/app.conf /etc/app/nested/dir/x.txt /etc/plain/p'), '600\n440\n644\n');
  await deleteAndWaitGone(id);
});

test('a Memory emptyDir is a tmpfs of SizeLimit inside the container and gone after delete',
  async () => {
    const id = await stack.create(stack.groupRequest('vol-memory', {
      volume: [{ name: 'mem', type: 'EmptyDirVolume', emptyDirVolume: { medium: 'Memory', sizeLimit: '16Mi' } }],
      container: [mainContainer({ volumeMount: [{ name: 'mem', mountPath: '/mem' }] })],
    }));
    const g = await stack.waitFor(id, (x) => x?.status === 'Running', 60000);
    assert.equal(g.volumes[0].emptyDirVolumeMedium, 'Memory');
    assert.equal(g.volumes[0].emptyDirVolumeSizeLimit, '16Mi');
    const line = await exec(id, 'grep " /mem " /proc/mounts');
    assert.match(line, /^tmpfs \/mem tmpfs rw,.*size=16384k/);
    // Filling it past the limit fails inside the container; what it holds is the group's memory.
    const podMemory = () => Number(fs.readFileSync(
      path.join('/sys/fs/cgroup/memory/openeci', id, 'memory.usage_in_bytes'), 'utf8'));
    const before = podMemory();
    const full = await exec(id, 'dd if=/dev/zero of=/mem/big bs=1M count=20 2>&1; echo rc=$?');
    assert.match(full, /No space left on device/);
    const grew = podMemory() - before;
    assert.ok(grew >= 12 * 1024 * 1024, `the pod's memory grew by ${grew} bytes only`);
    const dir = hostVolumeDir(id, 'mem');
    assert.deepEqual(hostMountsBelow(dir), [dir], 'one tmpfs on the host');
    await deleteAndWaitGone(id);
    assert.deepEqual(hostMountsBelow(hostVolumeDir(id)), []);
  });

test('SubPath is created inside the volume and ReadOnly mounts refuse writes', async () => {
  const id = await stack.create(stack.groupRequest('vol-subpath', {
    volume: [{ name: 'data', type: 'EmptyDirVolume' }],
    container: [mainContainer({
      volumeMount: [
        { name: 'data', mountPath: '/all' },
        { name: 'data', mountPath: '/sub', subPath: 'a/b' },
        { name: 'data', mountPath: '/ro', readOnly: true },
      ],
    })],
  }));
  await stack.waitFor(id, (x) => x?.status === 'Running', 60000);
  assert.equal(await exec(id, 'echo via-sub > /sub/f; cat /all/a/b/f'), 'via-sub\n');
  assert.equal(fs.readFileSync(hostVolumeDir(id, 'data/a/b/f'), 'utf8'), 'via-sub\n');
  const denied = await exec(id, 'echo x > /ro/new 2>&1; echo rc=$?');
  assert.match(denied, /Read-only file system/);
  assert.match(denied, /rc=1/);
  await deleteAndWaitGone(id);
});

test('a failing init container under Never fails the group with its exit code', async () => {
  const id = await stack.create(stack.groupRequest('vol-init-fails', {
    restartPolicy: 'Never',
    initContainer: [{
      name: 'check', image: stack.publicImage, imagePullPolicy: 'IfNotPresent',
      command: ['sh', '-c', 'echo precondition failed; exit 3'],
    }],
  }));
  const g = await stack.waitFor(id, (x) => x?.status === 'Failed', 60000);
  assert.equal(g.initContainers[0].currentState.state, 'Terminated');
  assert.equal(g.initContainers[0].currentState.exitCode, 3);
  assert.equal(g.containers[0].currentState.state, 'Waiting');
  assert.equal(g.containers[0].currentState.reason, 'PodInitializing');
  assert.ok(g.events.some((e) => e.type === 'Warning' && /Init container check exited with code 3/.test(e.message)),
    JSON.stringify(g.events));
  const names = (await stack.ctrContainers(id)).map((o) => o.labels['openeci.container-name']);
  assert.ok(!names.includes('main'), `main never created: ${names}`);
  await deleteAndWaitGone(id);
});

test('an NFS volume on this kernel: Pending with a FailedMount event saying why', async () => {
  const kernelHasNfs = /\bnfs4?\b/.test(fs.readFileSync('/proc/filesystems', 'utf8'));
  const id = await stack.create(stack.groupRequest('vol-nfs', {
    volume: [{ name: 'share', type: 'NFSVolume', NFSVolume: { server: '127.0.0.1', path: '/export', readOnly: true } }],
    container: [mainContainer({ volumeMount: [{ name: 'share', mountPath: '/share' }] })],
  }));
  if (kernelHasNfs) {
    // Nothing serves NFS here: the mount fails, still as a FailedMount event.
    await stack.waitFor(id, (x) => x?.events.some((e) => e.reason === 'FailedMount'), 60000);
  } else {
    const g = await stack.waitFor(id, (x) => x?.events.some((e) => e.reason === 'FailedMount'), 30000);
    const event = g.events.find((e) => e.reason === 'FailedMount');
    assert.equal(event.type, 'Warning');
    assert.match(event.message, /volume "share"/);
    assert.ok(event.message.includes(
      'the kernel of this node does not support NFS (no nfs in /proc/filesystems)'), event.message);
    assert.equal(g.status, 'Pending');
    assert.equal(g.containers[0].currentState.reason, 'ContainerCreating');
    assert.deepEqual(g.volumes[0].NFSVolumeServer ?? g.volumes[0].nFSVolumeServer, '127.0.0.1');
    assert.equal((await stack.ctrContainers(id)).length, 0, 'no sandbox without its volumes');
    // Tried again after a doubling back-off (200 ms base in this stack), not in a loop.
    await sleep(2000);
    const again = await stack.describe(id);
    const count = again.events.find((e) => e.reason === 'FailedMount').count;
    assert.ok(count >= 2 && count <= 6, `FailedMount count ${count}`);
  }
  await deleteAndWaitGone(id);
});

test('cloud-disk and host-path volumes and bad mounts are refused by name', async () => {
  const client = stack.sdk();
  const create = (over) => client.createContainerGroup(
    new $Eci.CreateContainerGroupRequest(stack.groupRequest('vol-refused', over)));
  await expectApiError(create({ volume: [{ name: 'd', type: 'DiskVolume', diskVolume: { diskId: 'd-1', fsType: 'ext4' } }] }),
    { code: 'DiskVolume.NotSupport', status: 400, message: /DiskVolume/ });
  await expectApiError(create({ volume: [{ name: 'f', type: 'FlexVolume', flexVolume: { driver: 'x' } }] }),
    { code: 'DiskVolume.NotSupport', status: 400, message: /FlexVolume/ });
  await expectApiError(create({ volume: [{ name: 'h', type: 'HostPathVolume', hostPathVolume: { path: '/etc' } }] }),
    { code: 'InvalidParameter', status: 400, message: /HostPathVolume/ });
  await expectApiError(create({ volume: [{ name: 'a', type: 'EmptyDirVolume' }, { name: 'a', type: 'EmptyDirVolume' }] }),
    { code: 'InvalidParameter.DuplicatedVolumeName', status: 400, message: /Volume\.2\.Name/ });
  await expectApiError(create({ volume: [{ name: 'a' }] }),
    { code: 'MissingParameter', status: 400, message: /Volume\.1\.Type/ });
  await expectApiError(create({ container: [mainContainer({ volumeMount: [{ name: 'nope', mountPath: '/x' }] })] }),
    { code: 'InvalidParameter', status: 400, message: /Container\.1\.VolumeMount\.1\.Name/ });
  await expectApiError(create({
    volume: [{ name: 'a', type: 'EmptyDirVolume' }],
    container: [mainContainer({ volumeMount: [{ name: 'a', mountPath: '/x', subPath: '../../etc' }] })],
  }), { code: 'InvalidParameter', status: 400, message: /Container\.1\.VolumeMount\.1\.SubPath/ });
  await expectApiError(create({
    volume: [{ name: 'c', type: 'ConfigFileVolume', configFileVolume: { configFileToPath: [{ path: '../x', content: b64('x') }] } }],
  }), { code: 'InvalidParameter', status: 400, message: /ConfigFileToPath\.1\.Path/ });
  assert.equal((await stack.listAll()).filter((g) => g.containerGroupName === 'vol-refused').length, 0);
});

test('HostToContainer and Bidirectional mounts see what the host mounts into the volume', async () => {
  const id = await stack.create(stack.groupRequest('vol-propagation', {
    volume: [{ name: 'shared', type: 'EmptyDirVolume' }],
    container: [mainContainer({
      volumeMount: [
        { name: 'shared', mountPath: '/h2c', mountPropagation: 'HostToContainer' },
        { name: 'shared', mountPath: '/bidi', mountPropagation: 'Bidirectional' },
        { name: 'shared', mountPath: '/none', mountPropagation: 'None' },
      ],
    })],
  }));
  const g = await stack.waitFor(id, (x) => x?.status === 'Running', 60000);
  assert.deepEqual(g.containers[0].volumeMounts.map((m) => m.mountPropagation),
    ['HostToContainer', 'Bidirectional', 'None']);
  const late = hostVolumeDir(id, 'shared/late');
  fs.mkdirSync(late);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'late-tmpfs', late]);
  try {
    const seen = await exec(id, 'grep -c " /h2c/late tmpfs" /proc/mounts; grep -c " /bidi/late tmpfs" /proc/mounts; grep -c " /none/late tmpfs" /proc/mounts');
    assert.equal(seen, '1\n1\n0\n');
  } finally {
    execFileSync('umount', [late]);
  }
  await deleteAndWaitGone(id);
});

test('init containers carry on where they were after OpenECI was SIGKILLed', async () => {
  const id = await stack.create(stack.groupRequest('vol-init-crash', {
    restartPolicy: 'Always',
    volume: [{ name: 'work', type: 'EmptyDirVolume' }],
    initContainer: [
      { name: 'one', image: stack.publicImage, imagePullPolicy: 'IfNotPresent',
        command: ['sh', '-c', 'echo one >> /w/runs; sleep 4'], volumeMount: [{ name: 'work', mountPath: '/w' }] },
      { name: 'two', image: stack.publicImage, imagePullPolicy: 'IfNotPresent',
        command: ['sh', '-c', 'echo two >> /w/runs'], volumeMount: [{ name: 'work', mountPath: '/w' }] },
    ],
    container: [mainContainer({ volumeMount: [{ name: 'work', mountPath: '/w' }] })],
  }));
  await stack.waitFor(id, (x) => x?.initContainers?.[0]?.currentState?.state === 'Running', 60000);
  await stack.kill9();
  await sleep(4500);  // "one" finishes while nobody watches
  await stack.restart();
  const g = await stack.waitFor(id, (x) => x?.status === 'Running', 60000);
  assert.deepEqual(g.initContainers.map((c) => [c.name, c.currentState.state, c.currentState.exitCode, c.restartCount]),
    [['one', 'Terminated', 0, 0], ['two', 'Terminated', 0, 0]]);
  assert.equal(await exec(id, 'cat /w/runs'), 'one\ntwo\n', 'each init container ran once, in order');
  await deleteAndWaitGone(id);
});

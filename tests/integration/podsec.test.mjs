// Security and name-resolution settings of CreateContainerGroup on the real stack, asserted
// inside the containers (exec and logs through the official SDK): SecurityContext RunAsUser,
// ReadOnlyRootFilesystem and Capability.Add (CapEff, `ip addr add`), pod sysctls in /proc/sys,
// Stdin/StdinOnce/Tty, FieldRef status.podIP, DnsPolicy/DnsConfig in resolv.conf, HostAliase
// in /etc/hosts, NtpServer/InstanceType/ResourceGroupId recorded (and the ResourceGroupId
// filter), the refusals with Code and HTTP status.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  startStack, expectApiError, sleep, groupCgroupDirs, $Eci, REGION, SLEEPER,
} from './lib/stack.mjs';

// containerd's default capability set (CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID
// SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP), and with NET_ADMIN.
const DEFAULT_CAPS = '00000000a80425fb';
const NET_ADMIN_CAPS = '00000000a80435fb';
const TTY_PROBE = 'if [ -t 0 ]; then echo stdin=tty; else echo stdin=not-a-tty; fi; ' +
  'trap "exit 0" TERM; while :; do sleep 1; done';

let stack;
let main;       // the group with every setting
let mainGroup;  // its Describe once Running
after(async () => {
  await stack?.stop();
});

function container(name, over = {}) {
  return {
    name, image: stack.publicImage, imagePullPolicy: 'IfNotPresent', command: SLEEPER,
    cpu: 0.25, memory: 0.25, ...over,
  };
}

const exec = (groupId, containerName, script) =>
  stack.execSync(groupId, containerName, ['sh', '-c', script]);

async function capEff(groupId, containerName) {
  const status = await exec(groupId, containerName, 'cat /proc/1/status');
  return /^CapEff:\s*(\S+)$/m.exec(status)?.[1];
}

async function log(groupId, containerName) {
  const res = await stack.sdk().describeContainerLog(new $Eci.DescribeContainerLogRequest({
    regionId: REGION, containerGroupId: groupId, containerName,
  }));
  return res.body.content;
}

before(async () => {
  stack = await startStack('podsec');
  main = await stack.create(stack.groupRequest('podsec-main', {
    instanceType: 'ecs.c5.xlarge',
    resourceGroupId: 'rg-podsec',
    ntpServer: ['ntp.cloud.aliyuncs.com', 'ntp7.cloud.aliyuncs.com'],
    securityContext: {
      sysctl: [
        { name: 'kernel.msgmax', value: '65536' },
        { name: 'net.ipv4.ip_local_port_range', value: '20000 30000' },
        { name: 'kernel.shm_rmid_forced', value: '1' },
      ],
    },
    dnsPolicy: 'None',
    dnsConfig: {
      nameServer: ['192.0.2.53', '192.0.2.54'],
      search: ['svc.local', 'example.com'],
      option: [{ name: 'ndots', value: '2' }, { name: 'rotate' }],
    },
    hostAliase: [
      { ip: '42.101.1.10', hostname: ['hehe.com', 'haha.com'] },
      { ip: '192.0.2.7', hostname: ['db'] },
    ],
    container: [
      container('secure', {
        securityContext: { runAsUser: 1000, readOnlyRootFilesystem: true },
        environmentVar: [
          { key: 'POD_IP', fieldRef: { fieldPath: 'status.podIP' } },
          { key: 'PLAIN', value: 'x' },
        ],
      }),
      container('netadmin', { securityContext: { capability: { add: ['NET_ADMIN'] } } }),
      container('plain', { securityContext: { readOnlyRootFilesystem: false } }),
      container('tty', { command: ['sh', '-c', TTY_PROBE], tty: true, stdin: true }),
      container('reader', { command: ['cat'], stdin: true, stdinOnce: false }),
      container('eof', { command: ['sh', '-c', 'cat; echo cat-got-eof'] }),
    ],
  }));
  mainGroup = await stack.waitFor(main, (g) => g?.status === 'Running' &&
    g.containers.filter((c) => c.currentState.state === 'Running').length === 5, 60000);
});

test('RunAsUser: the process runs as that uid; the root file system is read-only', async () => {
  assert.equal((await exec(main, 'secure', 'id -u')).trim(), '1000');
  const out = await exec(main, 'secure', 'touch /probe 2>&1; echo rc=$?');
  assert.match(out, /Read-only file system/);
  assert.match(out, /rc=1/);
  // A non-root process keeps no effective capabilities.
  assert.equal(await capEff(main, 'secure'), '0000000000000000');
  // Without ReadOnlyRootFilesystem (false is the default) root may write.
  assert.equal((await exec(main, 'plain', 'touch /probe && echo wrote')).trim(), 'wrote');
  assert.equal((await exec(main, 'plain', 'id -u')).trim(), '0');
});

test('Capability.Add NET_ADMIN: only that container may change network settings', async () => {
  assert.equal(await capEff(main, 'plain'), DEFAULT_CAPS);
  assert.equal(await capEff(main, 'netadmin'), NET_ADMIN_CAPS);
  const status = await exec(main, 'netadmin', 'cat /proc/1/status');
  assert.match(status, /^NoNewPrivs:\s*0$/m);
  assert.match(await exec(main, 'netadmin', 'ip addr add 192.0.2.200/32 dev lo 2>&1 && echo added'),
    /added/);
  assert.match(await exec(main, 'plain', 'ip addr add 192.0.2.201/32 dev lo 2>&1; echo rc=$?'),
    /Operation not permitted[\s\S]*rc=[1-9]/);
  // Not privileged: the bounding set is the default one (plus NET_ADMIN), not every capability.
  assert.match(status, new RegExp(`^CapBnd:\\s*${NET_ADMIN_CAPS}$`, 'm'));
  assert.match(await exec(main, 'plain', 'cat /proc/1/status'),
    new RegExp(`^CapBnd:\\s*${DEFAULT_CAPS}$`, 'm'));
});

test('pod sysctls are set in the group\'s namespaces, seen by every container', async () => {
  for (const name of ['secure', 'plain']) {
    assert.equal((await exec(main, name, 'cat /proc/sys/kernel/msgmax')).trim(), '65536');
    assert.equal((await exec(main, name, 'cat /proc/sys/net/ipv4/ip_local_port_range')).trim(),
      '20000\t30000');
    assert.equal((await exec(main, name, 'cat /proc/sys/kernel/shm_rmid_forced')).trim(), '1');
  }
  // The machine's own values are untouched.
  assert.notEqual(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim(),
    '20000\t30000');
});

test('Tty gives PID 1 a terminal; Stdin keeps its stdin open; without Stdin it is at EOF', async () => {
  assert.match(await log(main, 'tty'), /stdin=tty/);
  assert.match(await exec(main, 'tty', 'readlink /proc/1/fd/0'), /^\/dev\/pts\//);
  assert.match(await exec(main, 'reader', 'readlink /proc/1/fd/0'), /^pipe:/);
  const g = await stack.describe(main);
  const byName = Object.fromEntries(g.containers.map((c) => [c.name, c]));
  assert.equal(byName.reader.currentState.state, 'Running');
  assert.equal(byName.eof.currentState.state, 'Terminated');
  assert.equal(byName.eof.currentState.exitCode, 0);
  assert.match(await log(main, 'eof'), /cat-got-eof/);
});

test('FieldRef status.podIP resolves to the group\'s IP', async () => {
  const env = await exec(main, 'secure', 'env');
  assert.ok(mainGroup.intranetIp);
  assert.match(env, new RegExp(`^POD_IP=${mainGroup.intranetIp.replace(/\./g, '\\.')}$`, 'm'));
  assert.match(env, /^PLAIN=x$/m);
});

test('DnsPolicy None: resolv.conf is exactly DnsConfig, in every container', async () => {
  for (const name of ['secure', 'netadmin']) {
    const conf = await exec(main, name, 'cat /etc/resolv.conf');
    const lines = conf.split('\n').filter((l) => l && !l.startsWith('#'));
    assert.deepEqual(lines.filter((l) => l.startsWith('nameserver')),
      ['nameserver 192.0.2.53', 'nameserver 192.0.2.54']);
    assert.ok(lines.includes('search svc.local example.com'), conf);
    assert.ok(lines.includes('options ndots:2 rotate'), conf);
  }
});

test('/etc/hosts: localhost, the group\'s own IP and name, the host aliases', async () => {
  for (const name of ['secure', 'tty']) {
    const hosts = await exec(main, name, 'cat /etc/hosts');
    assert.match(hosts, /^127\.0\.0\.1\tlocalhost$/m);
    assert.match(hosts, /^::1\tlocalhost ip6-localhost ip6-loopback$/m);
    assert.match(hosts, new RegExp(`^${mainGroup.intranetIp.replace(/\./g, '\\.')}\\tpodsec-main$`, 'm'));
    assert.match(hosts, /^42\.101\.1\.10\thehe\.com\thaha\.com$/m);
    assert.match(hosts, /^192\.0\.2\.7\tdb$/m);
  }
  assert.equal((await exec(main, 'plain', 'hostname')).trim(), 'podsec-main');
});

test('Describe shows the settings (SDK names), NtpServers and DnsPolicy (raw JSON)', async () => {
  const g = mainGroup;
  assert.equal(g.instanceType, 'ecs.c5.xlarge');
  assert.equal(g.resourceGroupId, 'rg-podsec');
  const byName = Object.fromEntries(g.containers.map((c) => [c.name, c]));
  assert.equal(byName.secure.securityContext.runAsUser, 1000);
  assert.equal(byName.secure.securityContext.readOnlyRootFilesystem, true);
  assert.deepEqual(byName.netadmin.securityContext.capability.adds, ['NET_ADMIN']);
  assert.equal(byName.netadmin.securityContext.runAsUser, undefined);
  assert.equal(byName.tty.tty, true);
  assert.equal(byName.tty.stdin, true);
  assert.equal(byName.reader.stdinOnce, false);
  assert.equal(byName.plain.tty, false);
  assert.deepEqual(g.dnsConfig.nameServers, ['192.0.2.53', '192.0.2.54']);
  assert.deepEqual(g.dnsConfig.searches, ['svc.local', 'example.com']);
  assert.deepEqual(g.dnsConfig.options.map((o) => [o.name, o.value]), [['ndots', '2'], ['rotate', '']]);
  assert.deepEqual(g.hostAliases.map((a) => [a.ip, a.hostnames]),
    [['42.101.1.10', ['hehe.com', 'haha.com']], ['192.0.2.7', ['db']]]);
  assert.deepEqual(g.eciSecurityContext.sysctls.map((s) => `${s.name}=${s.value}`),
    ['kernel.msgmax=65536', 'net.ipv4.ip_local_port_range=20000 30000', 'kernel.shm_rmid_forced=1']);
  const raw = await stack.popGet().request('DescribeContainerGroups', {
    RegionId: REGION, ContainerGroupIds: JSON.stringify([main]),
  });
  assert.deepEqual(raw.ContainerGroups[0].NtpServers, ['ntp.cloud.aliyuncs.com', 'ntp7.cloud.aliyuncs.com']);
  assert.equal(raw.ContainerGroups[0].DnsPolicy, 'None');
});

test('DescribeContainerGroups filters by ResourceGroupId', async () => {
  const list = async (resourceGroupId) => (await stack.sdk().describeContainerGroups(
    new $Eci.DescribeContainerGroupsRequest({ regionId: REGION, resourceGroupId }))).body;
  const mine = await list('rg-podsec');
  assert.deepEqual(mine.containerGroups.map((g) => g.containerGroupId), [main]);
  assert.equal(mine.totalCount, 1);
  const other = await list('rg-other');
  assert.equal(other.totalCount, 0);
});

test('default DNS policy: DnsConfig is added to the machine\'s resolv.conf; long names are cut', async () => {
  const name = `podsec-${'x'.repeat(60)}-dns`;  // 71 characters: a hostname takes at most 63
  const id = await stack.create(stack.groupRequest(name, {
    dnsConfig: { nameServer: ['192.0.2.53'], search: ['svc.local'] },
  }));
  const g = await stack.waitFor(id, (x) => x?.status === 'Running', 45000);
  const conf = await exec(id, 'main', 'cat /etc/resolv.conf');
  const hostServers = fs.readFileSync('/etc/resolv.conf', 'utf8').split('\n')
    .filter((l) => /^nameserver\s/.test(l)).map((l) => l.split(/\s+/)[1]);
  const servers = conf.split('\n').filter((l) => l.startsWith('nameserver ')).map((l) => l.slice(11));
  assert.deepEqual(servers, [...new Set([...hostServers, '192.0.2.53'])].slice(0, 3));
  assert.match(conf, /^search .*\bsvc\.local$/m);
  assert.equal((await exec(id, 'main', 'hostname')).trim(), name.slice(0, 63));
  const hosts = await exec(id, 'main', 'cat /etc/hosts');
  assert.match(hosts, new RegExp(`^${g.intranetIp.replace(/\./g, '\\.')}\\t${name.slice(0, 63)}$`, 'm'));
  assert.doesNotMatch(hosts, /HostAliases/);
  await stack.delete(id);
});

test('a net sysctl the pod\'s namespace lacks: FailedCreatePodSandBox event, no crash', async () => {
  // net.core.netdev_max_backlog exists only in the machine's first network namespace.
  const id = await stack.create(stack.groupRequest('podsec-global-net', {
    securityContext: { sysctl: [{ name: 'net.core.netdev_max_backlog', value: '2000' }] },
  }));
  const g = await stack.waitFor(id, (x) => x?.events?.some((e) => e.reason === 'FailedCreatePodSandBox'), 30000);
  assert.equal(g.status, 'Pending');
  const ev = g.events.find((e) => e.reason === 'FailedCreatePodSandBox');
  assert.equal(ev.type, 'Warning');
  assert.match(ev.message, /netdev_max_backlog/);
  await stack.delete(id);
  // The refused sandboxes leave no pod cgroup behind (CRI creates it, then fails).
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline && groupCgroupDirs(id).length > 0) await sleep(200);
  assert.deepEqual(groupCgroupDirs(id), []);
});

test('refusals name the parameter, with the documented code and HTTP status', async () => {
  const sdk = stack.sdk();
  const create = (name, over) => sdk.createContainerGroup(
    new $Eci.CreateContainerGroupRequest(stack.groupRequest(name, over)));
  await expectApiError(create('podsec-bad-cap', {
    container: [container('main', { securityContext: { capability: { add: ['NET_ADMIN', 'SYS_ADMIN'] } } })],
  }), { code: 'InvalidParameter', status: 400,
    message: /Container\.1\.SecurityContext\.Capability\.Add\.2.*NET_ADMIN/ });
  await expectApiError(create('podsec-bad-uid', {
    container: [container('main', { securityContext: { runAsUser: -5 } })],
  }), { code: 'InvalidParameter', status: 400, message: /Container\.1\.SecurityContext\.RunAsUser/ });
  for (const name of ['kernel.panic', 'vm.swappiness', 'fs.file-max']) {
    await expectApiError(create('podsec-bad-sysctl', {
      securityContext: { sysctl: [{ name: 'kernel.msgmax', value: '1' }, { name, value: '1' }] },
    }), { code: 'InvalidParameter', status: 400, message: /SecurityContext\.Sysctl\.2\.Name/ });
  }
  await expectApiError(create('podsec-bad-policy', { dnsPolicy: 'uuid' }),
    { code: 'InvalidParameter', status: 400, message: /DnsPolicy/ });
  await expectApiError(create('podsec-none', { dnsPolicy: 'None' }),
    { code: 'MissingParameter', status: 400, message: /DnsConfig\.NameServer/ });
  await expectApiError(create('podsec-4ns', {
    dnsConfig: { nameServer: ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4'] },
  }), { code: 'InvalidParameter.LengthExceeded', status: 400, message: /DnsConfig\.NameServer/ });
  await expectApiError(create('podsec-7search', {
    dnsConfig: { search: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] },
  }), { code: 'InvalidParameter.LengthExceeded', status: 400, message: /DnsConfig\.Search/ });
  await expectApiError(create('podsec-bad-ns', { dnsConfig: { nameServer: ['dns.example'] } }),
    { code: 'InvalidParameter', status: 400, message: /DnsConfig\.NameServer\.1/ });
  await expectApiError(create('podsec-bad-alias', {
    hostAliase: [{ ip: '300.1.1.1', hostname: ['a'] }],
  }), { code: 'InvalidParameter', status: 400, message: /HostAliase\.1\.Ip/ });
  await expectApiError(create('podsec-bad-alias-host', {
    hostAliase: [{ ip: '10.1.1.1', hostname: ['ok', 'not ok'] }],
  }), { code: 'InvalidParameter', status: 400, message: /HostAliase\.1\.Hostname\.2/ });
  await expectApiError(create('podsec-bad-ntp', { ntpServer: ['bad name'] }),
    { code: 'InvalidParameter', status: 400, message: /NtpServer\.1/ });
  // Nothing was created by the refused requests.
  const all = await stack.listAll();
  assert.ok(all.every((g) => !g.containerGroupName.startsWith('podsec-bad')));
});

test('the server is still answering after all of the above', async () => {
  await sleep(100);
  assert.equal((await stack.describe(main)).status, 'Running');
});

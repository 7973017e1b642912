// Isolation on the node, on the real stack: security groups (nftables rules OpenECI manages:
// same group reaches, other group does not, the host always does; rules follow deletes, a
// SIGKILL + restart and the stack's stop), OOMKilled at the memory limit (state, event,
// restart per policy), the CPU quota throttling a spinner, and the privileges a container
// runs with as /proc/self/status shows them (capabilities, NoNewPrivs, Seccomp, masked /proc).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { execFileSync } from 'node:child_process';
import {
  startStack, sleep, summarize, readCgroupValue, SECURITY_GROUP, BRIDGE,
} from './lib/stack.mjs';

const SG_B = 'sg-openeci-it-b';
const TABLE = `openeci_${BRIDGE.replace(/[^A-Za-z0-9]/g, '_')}`;
// containerd's default capability set (see podsec.test.mjs).
const DEFAULT_CAPS = '00000000a80425fb';
// Serves "ok-<hostname>" on :8080 (busybox httpd daemonizes), then sleeps until SIGTERM.
const WEB = 'mkdir -p /tmp/www && echo ok-$(hostname) > /tmp/www/index.html && ' +
  'httpd -p 8080 -h /tmp/www && trap "exit 0" TERM; while :; do sleep 1; done';

let stack;
const web = {}; // name -> {id, ip}

after(async () => {
  await stack?.stop();
});

// A blocked probe takes seconds: more than the SDK's default 5 s request timeout allows.
const exec = (groupId, containerName, script) => stack.execSync(groupId, containerName,
  ['sh', '-c', script], stack.sdk({ readTimeout: 20000, connectTimeout: 20000 }));

// What `from` gets over the pod network from `to`: {http, ping} (true = reached).
async function reach(from, to) {
  const out = await exec(web[from].id, 'main',
    // (busybox wget -T crashes: `timeout` bounds it instead.)
    `timeout 2 wget -q -O - http://${web[to].ip}:8080/ 2>&1; echo http=$?; ` +
    `ping -c 1 -W 1 ${web[to].ip} >/dev/null 2>&1; echo ping=$?`);
  const httpOk = /http=0/.test(out);
  if (httpOk) assert.match(out, /ok-/, out);
  return { http: httpOk, ping: /ping=0/.test(out) };
}

function hostGet(ip) {
  return new Promise((resolve) => {
    const req = http.get(`http://${ip}:8080/`, { timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(''));
  });
}

// The table's text, or null when there is none.
function nftTable() {
  try {
    return execFileSync('nft', ['list', 'table', 'inet', TABLE], { encoding: 'utf8', stdio: 'pipe' });
  } catch {
    return null;
  }
}

// The set of the table holding `ip` -> its comment (the security group), or undefined.
function sgOf(table, ip) {
  for (const m of table.matchAll(/set sg_\d+ \{([^}]*(?:\{[^}]*\}[^}]*)?)\}/g)) {
    const comment = /comment "([^"]+)"/.exec(m[1])?.[1];
    if (new RegExp(`[ {,]${ip.replace(/\./g, '\\.')}[ ,}\n]`).test(m[1])) return comment;
  }
  return undefined;
}

async function waitForRules(predicate, what, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  let table;
  while (Date.now() < deadline) {
    table = nftTable();
    if (table !== null && predicate(table)) return table;
    await sleep(200);
  }
  throw new Error(`rules never ${what}; table:\n${table}`);
}

before(async () => {
  stack = await startStack('isolation', {
    env: { OPENECI_SECURITY_GROUP: `${SECURITY_GROUP},${SG_B}` },
  });
  const plan = { a1: SECURITY_GROUP, a2: SECURITY_GROUP, b1: SG_B, b2: SG_B };
  for (const [name, sg] of Object.entries(plan)) {
    web[name] = {
      id: await stack.create(stack.groupRequest(`iso-${name}`, {
        securityGroupId: sg,
        container: [stack.mainContainer({ command: ['sh', '-c', WEB] })],
      })),
    };
  }
  for (const w of Object.values(web)) {
    const g = await stack.waitFor(w.id, (x) => x?.status === 'Running' && x.intranetIp, 60000);
    w.ip = g.intranetIp;
  }
});

test('same security group reaches, the other group does not, the host reaches all', async () => {
  await waitForRules((t) => Object.values(web).every((w) => sgOf(t, w.ip)), 'listed every group');
  assert.deepEqual(await reach('a1', 'a2'), { http: true, ping: true });
  assert.deepEqual(await reach('b2', 'b1'), { http: true, ping: true });
  assert.deepEqual(await reach('a1', 'b1'), { http: false, ping: false });
  assert.deepEqual(await reach('b1', 'a2'), { http: false, ping: false });
  for (const w of Object.values(web)) {
    assert.match(await hostGet(w.ip), /^ok-/, `host to ${w.ip}`);
  }
  // The API's exec, the host's way in, is the way every check above came.
  const table = nftTable();
  assert.equal(sgOf(table, web.a1.ip), SECURITY_GROUP);
  assert.equal(sgOf(table, web.a2.ip), SECURITY_GROUP);
  assert.equal(sgOf(table, web.b1.ip), SG_B);
  assert.equal(sgOf(table, web.b2.ip), SG_B);
  assert.match(table, new RegExp(`iifname "${BRIDGE}" oifname "${BRIDGE}" jump pods`));
});

test('a deleted group\'s IP leaves the rules', async () => {
  const gone = web.b2;
  await stack.delete(gone.id);
  await stack.waitFor(gone.id, (g) => g === undefined, 30000);
  await waitForRules((t) => sgOf(t, gone.ip) === undefined && sgOf(t, web.b1.ip) === SG_B,
    `dropped ${gone.ip}`);
  delete web.b2;
});

test('SIGKILL + restart: pods stay isolated meanwhile, the rules are rebuilt from the store', async () => {
  await stack.kill9();
  // The rules outlive the server: pods it left running stay apart.
  assert.equal(await reachWhileDown('a1', 'a2'), true);
  assert.equal(await reachWhileDown('a1', 'b1'), false);
  // Something the store does not say (as a crash between two changes could leave).
  execFileSync('nft', ['add', 'element', 'inet', TABLE, 'sg_0', '{ 10.77.0.250 }']);
  assert.match(nftTable(), /10\.77\.0\.250/);
  await stack.startServer();
  await waitForRules((t) => !/10\.77\.0\.250/.test(t) &&
    Object.values(web).every((w) => sgOf(t, w.ip)), 'rebuilt after the restart');
  assert.deepEqual(await reach('a2', 'a1'), { http: true, ping: true });
  assert.deepEqual(await reach('a2', 'b1'), { http: false, ping: false });
});

// With the server down there is no API exec: enter the pod's network namespace from the host.
async function reachWhileDown(from, to) {
  const { proc } = await stack.runningContainer(web[from].id);
  try {
    execFileSync('nsenter', ['-t', String(proc.pid), '-n', 'busybox', 'ping', '-c', '1', '-W', '2', web[to].ip],
      { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

test('OOMKilled: at its memory limit a container is killed, reported and restarted per policy', async () => {
  // A string doubling until the kernel stops it (2^30 bytes > the 0.25 GiB limit).
  const hog = ['sh', '-c', 'a=x; i=0; while [ $i -lt 30 ]; do a="$a$a"; i=$((i+1)); done; ' +
    'echo survived; sleep 3600'];
  const always = await stack.create(stack.groupRequest('iso-oom-always', {
    restartPolicy: 'Always',
    container: [stack.mainContainer({ name: 'hog', command: hog, memory: 0.25 })],
  }));
  const never = await stack.create(stack.groupRequest('iso-oom-never', {
    restartPolicy: 'Never',
    container: [stack.mainContainer({ name: 'hog', command: hog, memory: 0.25 })],
  }));
  const g = await stack.waitFor(always, (x) => x?.containers?.[0]?.restartCount >= 1 &&
    x.containers[0].previousState?.reason === 'OOMKilled', 60000);
  const c = g.containers[0];
  assert.equal(c.previousState.state, 'Terminated', JSON.stringify(summarize(g)));
  assert.equal(c.previousState.exitCode, 137);
  assert.ok(g.events.some((e) => e.reason === 'OOMKilled' && /hog/.test(e.message)),
    JSON.stringify(summarize(g)));
  const n = await stack.waitFor(never, (x) => x?.status === 'Failed', 60000);
  assert.equal(n.containers[0].currentState.state, 'Terminated');
  assert.equal(n.containers[0].currentState.reason, 'OOMKilled', JSON.stringify(summarize(n)));
  assert.equal(n.containers[0].currentState.exitCode, 137);
  assert.equal(n.containers[0].restartCount, 0);
  assert.equal(n.events.filter((e) => e.reason === 'OOMKilled').length, 1);
  await stack.delete(always);
  await stack.delete(never);
});

test('the CPU quota holds: a spinner in 0.25 vCPU gets at most 25 ms per 100 ms', async () => {
  const id = await stack.create(stack.groupRequest('iso-cpu', {
    container: [stack.mainContainer({ name: 'spin', command: ['sh', '-c', 'while :; do :; done'] })],
  }));
  await stack.waitFor(id, (x) => x?.status === 'Running', 60000);
  const { proc } = await stack.runningContainer(id);
  const cg = proc.cgroups.cpu;
  assert.equal(Number(readCgroupValue('cpu', cg, 'cpu.cfs_quota_us')) /
    Number(readCgroupValue('cpu', cg, 'cpu.cfs_period_us')), 0.25);
  // Over any stretch the spinner gets at most its quota of CPU time (on a loaded machine it may
  // get less, and is then not throttled at all: the bound is what holds).
  const usage = () => Number(readCgroupValue('cpuacct', proc.cgroups.cpuacct, 'cpuacct.usage'));
  const [u0, t0] = [usage(), process.hrtime.bigint()];
  await sleep(3000);
  const [u1, t1] = [usage(), process.hrtime.bigint()];
  const share = (u1 - u0) / Number(t1 - t0);
  assert.ok(share <= 0.25 * 1.1, `the spinner used ${share.toFixed(3)} of a CPU; ` +
    `cpu.stat: ${readCgroupValue('cpu', cg, 'cpu.stat')}`);
  await stack.delete(id);
});

test('containers run without privileges they did not ask for', async () => {
  const id = await stack.create(stack.groupRequest('iso-privs', {
    container: [
      stack.mainContainer({ name: 'root' }),
      stack.mainContainer({ name: 'user', securityContext: { runAsUser: 1000 } }),
    ],
  }));
  await stack.waitFor(id, (x) => x?.status === 'Running' &&
    x.containers.every((c) => c.currentState.state === 'Running'), 60000);
  const field = (status, name) => new RegExp(`^${name}:\\s*(\\S+)$`, 'm').exec(status)?.[1];
  const root = await exec(id, 'root', 'cat /proc/self/status');
  assert.equal(field(root, 'CapEff'), DEFAULT_CAPS);
  assert.equal(field(root, 'CapBnd'), DEFAULT_CAPS);
  assert.equal(field(root, 'Seccomp'), '2', 'the runtime\'s default seccomp filter');
  assert.equal(field(root, 'NoNewPrivs'), '0');
  const user = await exec(id, 'user', 'cat /proc/self/status');
  assert.match(user, /^Uid:\s+1000\s/m);
  assert.equal(field(user, 'CapEff'), '0000000000000000');
  assert.equal(field(user, 'Seccomp'), '2');
  assert.equal(field(user, 'NoNewPrivs'), '1', 'a non-root user cannot regain root by setuid');
  // Not privileged: no mounts, no host devices, kernel tunables read-only, internals masked.
  const out = await exec(id, 'root',
    'mount -t tmpfs t /mnt 2>/dev/null; echo mountrc=$?; ' +
    'ls /dev/sda /dev/vda /dev/mem 2>/dev/null | wc -l; ' +
    'echo 1 2>/dev/null > /proc/sys/vm/drop_caches; echo sysrc=$?; ' +
    'echo kcore=$(wc -c < /proc/kcore 2>/dev/null)');
  assert.match(out, /mountrc=[1-9]/, out);
  assert.match(out, /^0$/m, out);
  assert.match(out, /sysrc=[1-9]/, `root wrote /proc/sys: ${out}`);
  assert.match(out, /kcore=0?$/m, `/proc/kcore is not masked: ${out}`);
  await stack.delete(id);
});

test('the stack\'s stop removes the rules', async () => {
  assert.notEqual(nftTable(), null);
  const leftovers = await stack.stop();
  assert.deepEqual(leftovers, []);
  assert.equal(nftTable(), null, `table inet ${TABLE} is still there`);
});

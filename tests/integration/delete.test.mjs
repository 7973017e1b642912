// DeleteContainerGroup leaves nothing behind on the host: containerd objects, processes,
// mounts, cgroups, the IPAM lease, the network namespace, iptables rules.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startStack, alive, groupCgroupDirs, sleep } from './lib/stack.mjs';

let stack;
before(async () => {
  stack = await startStack('delete');
});
after(async () => {
  await stack?.stop();
});

// Files below `dir` whose name or content mentions `needle`.
function filesMentioning(dir, needle) {
  const hits = [];
  const walk = (d) => {
    let entries = [];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        if (e.name.includes(needle)) hits.push(p);
        else {
          try {
            if (fs.statSync(p).size < 1 << 20 && fs.readFileSync(p, 'utf8').includes(needle)) hits.push(p);
          } catch {
            // vanished
          }
        }
      }
    }
  };
  walk(dir);
  return hits;
}

const mountsMentioning = (needles) =>
  fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .filter((l) => needles.some((n) => l.includes(n)));

const iptablesMentioning = (needle) => {
  const out = [];
  for (const cmd of ['iptables-save', 'ip6tables-save']) {
    try {
      out.push(...execFileSync(cmd, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
        .split('\n').filter((l) => l.includes(needle)));
    } catch {
      // tool or table missing
    }
  }
  return out;
};

function netnsPathOf(sandbox) {
  const ns = sandbox.info?.Spec?.linux?.namespaces ?? [];
  return ns.find((n) => n.type === 'network')?.path;
}

// Everything on the host that still belongs to the group (empty when clean).
async function leftovers(id, sandboxIds, containerIds, pids, netns) {
  const found = [];
  const objs = await stack.ctrContainers(id).catch((e) => [{ id: `ctr failed: ${e.message}` }]);
  if (objs.length) found.push(`containerd objects: ${objs.map((o) => o.id).join(', ')}`);
  const tasks = await stack.ctrTasks();
  for (const cid of [...sandboxIds, ...containerIds]) {
    if (tasks.has(cid)) found.push(`task ${cid}`);
  }
  for (const pid of pids) if (alive(pid)) found.push(`process ${pid}`);
  const mounts = mountsMentioning([id, ...sandboxIds, ...containerIds]);
  if (mounts.length) found.push(`mounts:\n  ${mounts.join('\n  ')}`);
  const cgroups = groupCgroupDirs(id);
  if (cgroups.length) found.push(`cgroups: ${cgroups.join(', ')}`);
  for (const sb of sandboxIds) {
    const ipam = filesMentioning(path.join(stack.stateDir, 'cni'), sb);
    if (ipam.length) found.push(`CNI files: ${ipam.join(', ')}`);
    const cache = filesMentioning('/var/lib/cni', sb);
    if (cache.length) found.push(`CNI cache: ${cache.join(', ')}`);
    const rules = iptablesMentioning(sb);
    if (rules.length) found.push(`iptables:\n  ${rules.join('\n  ')}`);
  }
  if (netns && fs.existsSync(netns)) found.push(`netns ${netns}`);
  return found;
}

test('delete of a running group removes it everywhere', async () => {
  const id = await stack.create(stack.groupRequest('del-running', {
    restartPolicy: 'Always',
    container: [{
      ...stack.groupRequest('x').container[0],
      port: [{ port: 8080, protocol: 'TCP' }],
    }],
  }));
  const g = await stack.waitFor(id, (x) => x?.status === 'Running', 30000);

  const { sandboxes, containers } = await stack.ctrGroup(id);
  assert.equal(sandboxes.length, 1);
  const sandboxIds = sandboxes.map((s) => s.id);
  const containerIds = containers.map((c) => c.id);
  const pids = [...sandboxes, ...containers].map((o) => o.task?.pid).filter(Boolean);
  assert.ok(pids.length >= 2, 'sandbox and container processes');
  const netns = netnsPathOf(sandboxes[0]);

  // The checks below must be able to see these things while the group exists.
  assert.ok(mountsMentioning(sandboxIds).length > 0, 'no mount mentions the sandbox while it runs');
  assert.ok(groupCgroupDirs(id).length > 0, `no /sys/fs/cgroup/*/openeci/${id}`);
  assert.ok(filesMentioning(path.join(stack.stateDir, 'cni'), sandboxIds[0]).length > 0,
    `no file under ${stack.stateDir}/cni names the sandbox (host-local lease for ${g.intranetIp})`);
  if (netns) assert.ok(fs.existsSync(netns), `netns ${netns}`);

  await stack.delete(id);
  await stack.waitFor(id, (x) => x === undefined, 30000);

  // Cleanup may finish just after the group disappears from the API: allow a few seconds.
  let found;
  const deadline = Date.now() + 10000;
  do {
    found = await leftovers(id, sandboxIds, containerIds, pids, netns);
    if (!found.length) break;
    await sleep(500);
  } while (Date.now() < deadline);
  assert.deepEqual(found, [], `left behind by DeleteContainerGroup:\n${found.join('\n')}`);

  // The lease is free again: a new group can get an address and nothing conflicts.
  const again = await stack.create(stack.groupRequest('del-again'));
  await stack.waitFor(again, (x) => x?.status === 'Running', 30000);
  await stack.delete(again);
  await stack.waitFor(again, (x) => x === undefined, 30000);
});

test('delete of a group that never started (bad image) leaves nothing', async () => {
  const base = stack.groupRequest('del-pending').container[0];
  const id = await stack.create(stack.groupRequest('del-pending', {
    container: [{ ...base, image: `${stack.openRegistry.host}/library/nosuchimage:1`, imagePullPolicy: 'Always' }],
  }));
  await stack.waitFor(id, (x) => (x?.events ?? []).some((e) => e.reason === 'Failed'), 30000);
  const sandboxIds = (await stack.ctrGroup(id)).sandboxes.map((s) => s.id);
  await stack.delete(id);
  await stack.waitFor(id, (x) => x === undefined, 30000);
  let found;
  const deadline = Date.now() + 10000;
  do {
    found = await leftovers(id, sandboxIds, [], [], undefined);
    if (!found.length) break;
    await sleep(500);
  } while (Date.now() < deadline);
  assert.deepEqual(found, []);
});

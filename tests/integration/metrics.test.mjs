// Container-group metrics on the real runtime, through the official SDK: a container spinning on
// half a core reports about half a core, one holding 200 MiB reports that much memory, bytes
// sent between two pods show up on eth0, and the parameter errors of the reference. The stack
// samples every second (OPENECI_METRICS_INTERVAL_SECONDS=1).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, $Eci, REGION, sleep } from './lib/stack.mjs';

let stack;
let client;
before(async () => {
  stack = await startStack('metrics', { env: { OPENECI_METRICS_INTERVAL_SECONDS: '1' } });
  client = stack.sdk();
});
after(async () => {
  await stack?.stop();
});

function shGroup(name, script, { cpu = 0.25, memory = 0.25, groupCpu, groupMemory } = {}) {
  const base = stack.groupRequest(name);
  return stack.groupRequest(name, {
    ...(groupCpu ? { cpu: groupCpu } : {}),
    ...(groupMemory ? { memory: groupMemory } : {}),
    container: [{ ...base.container[0], command: ['/bin/sh', '-c', script], cpu, memory }],
  });
}

async function running(id) {
  return stack.waitFor(id, (g) => {
    if (['Failed', 'Succeeded'].includes(g?.status)) throw new Error(`group ended: ${g.status}`);
    return g?.status === 'Running';
  }, 60000);
}

async function metric(id, extra = {}) {
  const res = await client.describeContainerGroupMetric(new $Eci.DescribeContainerGroupMetricRequest({
    regionId: REGION, containerGroupId: id, ...extra,
  }));
  return res.body;
}

// Polls the group's newest record (default window: the last 5 minutes) until `predicate`
// accepts it; returns it.
async function waitForRecord(id, predicate, what, timeoutMs = 90000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    const body = await metric(id);
    last = body.records?.[body.records.length - 1];
    if (last && predicate(last)) return last;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}; last record ${JSON.stringify(last)}`);
    }
    await sleep(1000);
  }
}

async function expectError(promise, code, mention) {
  await assert.rejects(promise, (e) => {
    assert.equal(e.code, code, e.message);
    if (mention) assert.match(e.message, mention);
    return true;
  });
}

const MiB = 1024 * 1024;
let cpuId;
let memId;

test('a container spinning on Cpu 0.5 reports about half a core; Load against its allotment', async () => {
  cpuId = await stack.create(shGroup('metrics-cpu', 'while :; do :; done', { cpu: 0.5, groupCpu: 1 }));
  await running(cpuId);
  const inBand = (n) => n >= 0.25e9 && n <= 0.75e9;
  // Pod and container numbers are read at slightly different moments: wait for both.
  const rec = await waitForRecord(cpuId, (r) => inBand(r.containers?.[0]?.CPU?.usageNanoCores ?? 0)
    && inBand(r.CPU?.usageNanoCores ?? 0), 'UsageNanoCores of about 0.5e9');
  const c = rec.containers[0];
  assert.equal(c.name, 'main');
  assert.equal(c.CPU.limit, 512, 'Limit: 1024 per vCPU, the container has 0.5');
  assert.ok(c.CPU.load >= 50 && c.CPU.load <= 150, `container Load ${c.CPU.load} ~ 100% of 0.5`);
  assert.ok(c.CPU.usageCoreNanoSeconds > 0);
  assert.equal(rec.CPU.limit, 1024, 'the group has 1 vCPU');
  assert.ok(inBand(rec.CPU.usageNanoCores), `pod UsageNanoCores ${rec.CPU.usageNanoCores}`);
  assert.ok(rec.CPU.load >= 25 && rec.CPU.load <= 75, `group Load ${rec.CPU.load} ~ 50% of 1`);
  assert.ok(!Number.isNaN(Date.parse(rec.timestamp)), `Timestamp ${rec.timestamp}`);
  assert.ok(Array.isArray(rec.disk) && Array.isArray(rec.filesystem));
});

test('a container holding 200 MiB reports that much memory', async () => {
  // dd's 200 MiB buffer is filled from /dev/zero and stays resident while dd blocks writing
  // into a pipe nobody reads.
  memId = await stack.create(shGroup('metrics-mem',
    'dd if=/dev/zero bs=200M count=1 | sleep 3600', { memory: 1, groupMemory: 1 }));
  await running(memId);
  // Pod and container numbers are read at slightly different moments: wait for both.
  const rec = await waitForRecord(memId, (r) => (r.containers?.[0]?.memory?.workingSet ?? 0) >= 180e6
    && (r.memory?.workingSet ?? 0) >= 180e6, 'a working set of at least 180 MB');
  const m = rec.containers[0].memory;
  assert.ok(m.usageBytes >= 180e6, `UsageBytes ${m.usageBytes}`);
  assert.ok(m.rss >= 180e6, `Rss ${m.rss}`);
  assert.ok(m.usageBytes < 1024 * MiB, `UsageBytes ${m.usageBytes} under the 1 GiB limit`);
  assert.ok(rec.memory.workingSet >= 180e6, `pod WorkingSet ${rec.memory.workingSet}`);
  assert.ok(rec.memory.usageBytes >= 180e6, `pod UsageBytes ${rec.memory.usageBytes}`);
});

test('bytes sent between two pods show up on eth0', async () => {
  const serverId = await stack.create(shGroup('metrics-httpd',
    'mkdir -p /www && dd if=/dev/zero of=/www/f bs=1M count=2 && exec httpd -f -p 8080 -h /www'));
  const server = await running(serverId);
  const ip = server.intranetIp;
  const clientId = await stack.create(shGroup('metrics-wget',
    `while :; do wget -q -O /dev/null http://${ip}:8080/f; sleep 1; done`));
  await running(clientId);
  const tx = (r) => (r.network?.interfaces ?? []).find((i) => i.name === 'eth0')?.txBytes ?? 0;
  const rx = (r) => (r.network?.interfaces ?? []).find((i) => i.name === 'eth0')?.rxBytes ?? 0;
  const eth0 = (r) => (r.network?.interfaces ?? []).find((i) => i.name === 'eth0') ?? {};
  const s = await waitForRecord(serverId, (r) => tx(r) >= 6 * MiB, 'the server sending 3 files');
  // Packets come from the pod's network namespace (CRI carries only bytes and errors).
  assert.ok(rx(s) > 0, 'the requests came in');
  assert.ok(eth0(s).rxPackets > 0 && eth0(s).txPackets > 0, JSON.stringify(eth0(s)));
  const c = await waitForRecord(clientId, (r) => rx(r) >= 6 * MiB, 'the client receiving 3 files');
  assert.ok(tx(c) > 0);
  assert.ok(eth0(c).rxPackets > 0 && eth0(c).txPackets > 0, JSON.stringify(eth0(c)));
  await stack.delete(clientId);
  await stack.delete(serverId);
});

test('Multi returns the latest record of each listed group', async () => {
  assert.ok(cpuId && memId, 'needs the groups of the tests above');
  const res = await client.describeMultiContainerGroupMetric(
    new $Eci.DescribeMultiContainerGroupMetricRequest({
      regionId: REGION, containerGroupIds: JSON.stringify([cpuId, memId]),
    }));
  const datas = res.body.monitorDatas;
  assert.deepEqual(datas.map((d) => d.containerGroupId), [cpuId, memId]);
  for (const d of datas) {
    assert.equal(d.records.length, 1, JSON.stringify(d));
    assert.equal(d.records[0].containers[0].name, 'main');
  }
  assert.ok(datas[1].records[0].memory.workingSet >= 180e6);
  assert.ok(Date.now() - Date.parse(datas[0].records[0].timestamp) < 60000, 'latest, not oldest');

  await expectError(client.describeMultiContainerGroupMetric(
    new $Eci.DescribeMultiContainerGroupMetricRequest({
      regionId: REGION, containerGroupIds: JSON.stringify(['eci-doesnotexist']),
    })), 'InvalidParameter.NotFound', /eci-doesnotexist/);
  await expectError(client.describeMultiContainerGroupMetric(
    new $Eci.DescribeMultiContainerGroupMetricRequest({ regionId: REGION, containerGroupIds: 'eci-1' })),
  'InvalidParameter', /ContainerGroupIds/);
  await expectError(client.describeMultiContainerGroupMetric(
    new $Eci.DescribeMultiContainerGroupMetricRequest({
      regionId: REGION, containerGroupIds: JSON.stringify([cpuId]), metricType: 'detail',
    })), 'InvalidParameter', /MetricType/);
});

test('windows: Period buckets, the 50-record limit and the time-window errors', async () => {
  assert.ok(cpuId, 'needs the CPU group');
  const now = Date.now();
  const iso = (ms) => new Date(ms).toISOString();
  // Two minutes at Period 60: at most 3 aligned buckets, one record each, oldest first.
  const body = await metric(cpuId, { startTime: iso(now - 120000), endTime: iso(now), period: '60' });
  assert.equal(body.containerGroupId, cpuId);
  assert.ok(body.records.length >= 1 && body.records.length <= 3, `${body.records.length} records`);
  const times = body.records.map((r) => Date.parse(r.timestamp));
  assert.deepEqual([...times].sort((a, b) => a - b), times);
  const minutes = times.map((t) => Math.floor(t / 60000));
  assert.equal(new Set(minutes).size, minutes.length, 'one record per 60 s bucket');

  await expectError(metric(cpuId, { period: '45' }), 'InvalidParameter', /Period/);
  await expectError(metric(cpuId, { startTime: iso(now - 60000), endTime: iso(now - 120000) }),
    'InvalidParameter', /StartTime/);
  await expectError(metric(cpuId, { startTime: iso(now - 2 * 3600000), period: '60' }),
    'InvalidParameter', /50 records/);
  await expectError(metric(cpuId, { startTime: iso(now - 31 * 86400000), period: '600' }),
    'InvalidParameter', /30 days/);
  await expectError(metric(cpuId, { startTime: 'yesterday' }), 'InvalidParameter', /StartTime/);
  await expectError(metric('eci-doesnotexist'), 'InvalidParameter.NotFound', /eci-doesnotexist/);
});

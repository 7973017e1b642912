// The operations endpoints on the real stack: SDK calls (one failing) and real image pulls move
// the Prometheus counters and histograms scraped over plain HTTP from /metrics; the group gauge
// follows the store; /healthz and /readyz answer, and /readyz turns 503 while containerd is
// frozen (SIGSTOP, so it hangs like a stuck daemon) and 200 again once it runs; the server logs
// JSON lines (OPENECI_LOG_FORMAT=json); OPENECI_OPS_LISTEN moves the three paths to their own
// address.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { startStack, expectApiError, freePort, $Eci, REGION, sleep } from './lib/stack.mjs';

let stack;
before(async () => {
  stack = await startStack('ops', { env: { OPENECI_LOG_FORMAT: 'json' } });
});
after(async () => {
  await stack?.stop();
});

// Plain HTTP GET: {status, headers, body}.
function get(url, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

// The samples of a Prometheus text exposition: Map 'name{labels}' -> number. Also checks that
// every line is a comment, blank, or `series value` with a parsable value.
function parseMetrics(text) {
  const samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{.*\})?) (\S+)$/.exec(line);
    assert.ok(m, `not an exposition line: ${JSON.stringify(line)}`);
    const value = m[2] === '+Inf' ? Infinity : Number(m[2]);
    assert.ok(!Number.isNaN(value), `bad value in ${line}`);
    samples.set(m[1], value);
  }
  return samples;
}

async function scrape(base = stack.endpoint) {
  const res = await get(`${base}/metrics`);
  assert.equal(res.status, 200, res.body);
  assert.equal(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  return parseMetrics(res.body);
}

const v = (samples, series) => samples.get(series) ?? 0;

// SIGSTOP takes effect thread by thread: a containerd thread already running can still answer
// a request for a moment. Waits until every thread of `pid` is stopped ('T' in its stat).
async function freeze(pid) {
  process.kill(pid, 'SIGSTOP');
  const deadline = Date.now() + 5000;
  for (;;) {
    const states = fs.readdirSync(`/proc/${pid}/task`).map((tid) => {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    });
    if (states.every((st) => st === 'T')) return;
    assert.ok(Date.now() < deadline, `containerd threads not all stopped: ${states.join('')}`);
    await sleep(10);
  }
}

function containerdPid() {
  const pid = Number(fs.readFileSync(path.join(stack.stateDir, 'containerd', 'containerd.pid'), 'utf8'));
  assert.ok(pid > 1, 'containerd.pid');
  return pid;
}

test('SDK calls and image pulls move the counters, histograms and group gauges', async () => {
  const before = await scrape();
  const client = stack.sdk();
  await client.describeRegions(new $Eci.DescribeRegionsRequest({}));
  const id = await stack.create(stack.groupRequest('ops-metrics'));
  await expectApiError(
    stack.create(stack.groupRequest('ops-bad', { restartPolicy: 'Sometimes' })),
    { code: 'InvalidParameter', status: 400, message: /RestartPolicy/ },
  );
  const missing = await stack.create(stack.groupRequest('ops-missing', {
    container: [{ ...stack.groupRequest('x').container[0], image: `${stack.openRegistry.host}/library/nope:1` }],
  }));
  await stack.waitFor(id, (g) => g?.status === 'Running', 60000);
  await stack.waitFor(missing, (g) => (g?.events ?? []).some((e) => e.reason === 'Failed'), 30000);

  const after = await scrape();
  const delta = (series) => v(after, series) - v(before, series);
  const create = 'action="CreateContainerGroup"';
  assert.equal(delta(`openeci_api_requests_total{${create},code="200"}`), 2);
  assert.equal(delta(`openeci_api_requests_total{${create},code="400"}`), 1);
  assert.equal(delta('openeci_api_requests_total{action="DescribeRegions",code="200"}'), 1);
  assert.ok(delta('openeci_api_requests_total{action="DescribeContainerGroups",code="200"}') >= 2);
  assert.equal(delta(`openeci_api_errors_total{${create},error_code="InvalidParameter"}`), 1);
  // The latency histogram: every CreateContainerGroup lands in +Inf, buckets are cumulative.
  const count = v(after, `openeci_api_request_duration_seconds_count{${create}}`);
  assert.equal(count - v(before, `openeci_api_request_duration_seconds_count{${create}}`), 3);
  assert.equal(v(after, `openeci_api_request_duration_seconds_bucket{${create},le="+Inf"}`), count);
  assert.ok(v(after, `openeci_api_request_duration_seconds_bucket{${create},le="10"}`) <= count);
  assert.ok(v(after, `openeci_api_request_duration_seconds_sum{${create}}`) > 0);

  // One pull that worked (the busybox from the local registry), at least one that failed.
  const pulls = 'openeci_image_pulls_total{source="container_group",result=';
  assert.ok(delta(`${pulls}"success"}`) >= 1, 'a successful pull counted');
  assert.ok(delta(`${pulls}"failure"}`) >= 1, 'a failed pull counted');
  assert.ok(v(after, 'openeci_image_pull_duration_seconds_count{source="container_group",result="success"}') >= 1);
  assert.ok(v(after, 'openeci_image_pull_duration_seconds_sum{source="container_group",result="success"}') > 0);

  assert.equal(v(after, 'openeci_container_groups{status="Running"}'), 1);
  assert.equal(v(after, 'openeci_container_groups{status="Pending"}'), 1);
  assert.ok(after.has('openeci_controller_queue_depth{controller="container_groups"}'));
  assert.ok(after.has('openeci_controller_queue_depth{controller="image_caches"}'));
  assert.equal(v(after, 'openeci_containerd_up'), 1);
  assert.ok([...after.keys()].some((k) => /^openeci_containerd_info\{version="containerd .+"\}$/.test(k)),
    'containerd version info');
  assert.ok([...after.keys()].some((k) => k.startsWith('openeci_build_info{version="')));
  assert.ok(v(after, 'process_resident_memory_bytes') > 1e6);
  assert.ok(v(after, 'process_open_fds') > 3);
  assert.ok(v(after, 'process_threads') > 2);

  await stack.delete(id);
  await stack.delete(missing);
  await stack.waitFor(id, (g) => g === undefined, 30000);
  await stack.waitFor(missing, (g) => g === undefined, 30000);
  const gone = await scrape();
  assert.equal(v(gone, 'openeci_container_groups{status="Running"}'), 0);
});

test('/healthz and /readyz answer; /readyz is 503 while containerd hangs', async () => {
  const health = await get(`${stack.endpoint}/healthz`);
  assert.equal(health.status, 200);
  assert.equal(health.body, 'ok\n');
  const ready = await get(`${stack.endpoint}/readyz`);
  assert.equal(ready.status, 200, ready.body);
  assert.match(ready.body, /^ok\nstore: ok\ncontainerd: ok \(containerd .+\)\n$/);

  const pid = containerdPid();
  try {
    await freeze(pid);
    const t0 = Date.now();
    const notReady = await get(`${stack.endpoint}/readyz`);
    assert.equal(notReady.status, 503, notReady.body);
    assert.equal(notReady.headers['content-type'], 'text/plain; charset=utf-8');
    assert.match(notReady.body, /^not ready\nstore: ok\ncontainerd: containerd did not answer within 2000 ms\n$/);
    assert.ok(Date.now() - t0 < 5000, 'readyz answered within its timeout');
    assert.equal((await get(`${stack.endpoint}/healthz`)).status, 200, 'still alive');
    const down = await scrape();
    assert.equal(v(down, 'openeci_containerd_up'), 0);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  const deadline = Date.now() + 20000;
  let again;
  do {
    again = await get(`${stack.endpoint}/readyz`);
    if (again.status === 200) break;
    await sleep(250);
  } while (Date.now() < deadline);
  assert.equal(again.status, 200, again.body);
  // The API still works after the freeze.
  await stack.sdk().describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({ regionId: REGION }));
});

test('the server logs JSON lines with time, level, logger and msg', () => {
  const lines = fs.readFileSync(stack.serverLog, 'utf8').split('\n').filter((l) => l.startsWith('{'));
  assert.ok(lines.length >= 2, 'JSON log lines written');
  for (const line of lines) {
    const entry = JSON.parse(line);
    assert.deepEqual(Object.keys(entry), ['time', 'level', 'logger', 'msg'], line);
    assert.match(entry.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(entry.logger, 'openeci');
  }
  assert.ok(lines.some((l) => JSON.parse(l).msg.startsWith('controller: ')), 'the controller start line');
});

test('OPENECI_OPS_LISTEN serves the three paths on their own address only', async () => {
  const opsPort = await freePort();
  stack.extraEnv.OPENECI_OPS_LISTEN = `127.0.0.1:${opsPort}`;
  await stack.restart();
  const ops = `http://127.0.0.1:${opsPort}`;
  assert.equal((await get(`${ops}/healthz`)).status, 200);
  assert.equal((await get(`${ops}/readyz`)).status, 200);
  const samples = await scrape(ops);
  assert.equal(v(samples, 'openeci_containerd_up'), 1);
  const elsewhere = await get(`${ops}/?Action=DescribeRegions`);
  assert.equal(elsewhere.status, 404);
  // The API port no longer answers them: they are API paths there, and unknown.
  const onApi = await get(`${stack.endpoint}/metrics`);
  assert.equal(onApi.status, 404);
  assert.equal(JSON.parse(onApi.body).Code, 'InvalidAction.NotFound');
  await stack.sdk().describeRegions(new $Eci.DescribeRegionsRequest({}));
});

// Accounts and tenancy on the real stack with the official SDK: keys made by `openeci keys`
// while the server runs, another account's groups, logs, metrics, exec and image caches look
// exactly like IDs that do not exist, a disabled key answers Forbidden.AccessKeyDisabled, an
// exec token stays bound to the key that asked, and per-account throttling answers Throttling
// and recovers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startStack, $Eci, REGION, expectApiError, sleep } from './lib/stack.mjs';

let stack;
let sdkA; // the stack's own key, account openeci-default
let groupId; // a Running group of account A
const MISSING_GROUP = `eci-${'z'.repeat(20)}`;

// Reads (Describe*) and writes 10/s each per account, 2 s of burst (20 requests): the suite's own polling
// (4 reads/s) stays below it; the throttling test goes over on purpose with its own account.
before(async () => {
  stack = await startStack('tenancy', {
    env: {
      OPENECI_THROTTLE_READ_RATE: '10',
      OPENECI_THROTTLE_WRITE_RATE: '10',
      OPENECI_THROTTLE_BURST_SECONDS: '2',
    },
  });
  sdkA = stack.sdk();
  groupId = await stack.create(stack.groupRequest('tenancy-a'));
  await stack.waitFor(groupId, (g) => g?.status === 'Running', 60000);
});
after(async () => {
  await stack?.stop();
});

// `openeci keys create --account <account>` against the running server's store.
async function createKey(account) {
  const out = await stack.keys(['create', '--account', account]);
  const id = /AccessKeyId: (\S+)/.exec(out)?.[1];
  const secret = /AccessKeySecret: (\S+)/.exec(out)?.[1];
  assert.ok(id && secret, out);
  assert.match(out, new RegExp(`AccountId: ${account}`));
  return { id, secret, sdk: stack.sdk({ accessKeyId: id, accessKeySecret: secret }) };
}

const regions = (sdk) => sdk.describeRegions(new $Eci.DescribeRegionsRequest({ regionId: REGION }));

// Calls `call(realId)` and `call(missingId)`; both must fail alike: same Code, same HTTP
// status, same Message with the ID swapped.
async function sameAsMissing(what, call, realId, missingId) {
  const theirs = await call(realId).then(() => null, (e) => e);
  const nobodys = await call(missingId).then(() => null, (e) => e);
  assert.ok(theirs, `${what}: another account's ${realId} was accepted`);
  assert.ok(nobodys, `${what}: ${missingId} was accepted`);
  assert.equal(theirs.code, nobodys.code, what);
  assert.equal(theirs.statusCode ?? theirs.data?.statusCode,
    nobodys.statusCode ?? nobodys.data?.statusCode, what);
  assert.equal(theirs.data.Message.replaceAll(realId, missingId), nobodys.data.Message, what);
  return theirs;
}

test('openeci keys create/list while the server runs; the new key works at once', async () => {
  const b = await createKey('tenant-b');
  const res = await b.sdk.describeContainerGroups(
    new $Eci.DescribeContainerGroupsRequest({ regionId: REGION }));
  assert.equal(res.body.totalCount, 0);
  const list = await stack.keys(['list']);
  assert.match(list, new RegExp(`${b.id}\\s+tenant-b\\s+Enabled`));
  assert.match(list, new RegExp(`${stack.accessKeyId}\\s+openeci-default\\s+Enabled`));
  assert.ok(!list.includes(b.secret), 'list shows no secret');
  const onlyB = await stack.keys(['list', '--account', 'tenant-b']);
  assert.ok(!onlyB.includes(stack.accessKeyId), onlyB);
});

test("another account's group looks like one that does not exist, everywhere", async () => {
  const b = await createKey('tenant-b');
  const R = { regionId: REGION };
  const calls = {
    DeleteContainerGroup: (id) => b.sdk.deleteContainerGroup(
      new $Eci.DeleteContainerGroupRequest({ ...R, containerGroupId: id })),
    RestartContainerGroup: (id) => b.sdk.restartContainerGroup(
      new $Eci.RestartContainerGroupRequest({ ...R, containerGroupId: id })),
    UpdateContainerGroup: (id) => b.sdk.updateContainerGroup(
      new $Eci.UpdateContainerGroupRequest({ ...R, containerGroupId: id, tag: [{ key: 'k', value: 'v' }] })),
    DescribeContainerLog: (id) => b.sdk.describeContainerLog(
      new $Eci.DescribeContainerLogRequest({ ...R, containerGroupId: id, containerName: 'main' })),
    DescribeContainerGroupMetric: (id) => b.sdk.describeContainerGroupMetric(
      new $Eci.DescribeContainerGroupMetricRequest({ ...R, containerGroupId: id })),
    DescribeMultiContainerGroupMetric: (id) => b.sdk.describeMultiContainerGroupMetric(
      new $Eci.DescribeMultiContainerGroupMetricRequest({ ...R, containerGroupIds: JSON.stringify([id]) })),
    ExecContainerCommand: (id) => b.sdk.execContainerCommand(new $Eci.ExecContainerCommandRequest({
      ...R, containerGroupId: id, containerName: 'main', command: JSON.stringify(['true']),
    })),
    ExecContainerCommandSync: (id) => b.sdk.execContainerCommand(new $Eci.ExecContainerCommandRequest({
      ...R, containerGroupId: id, containerName: 'main', command: JSON.stringify(['true']), sync: true,
    })),
  };
  for (const [what, call] of Object.entries(calls)) {
    const err = await sameAsMissing(what, call, groupId, MISSING_GROUP);
    assert.equal(err.code, 'InvalidParameter.NotFound', what);
  }
  // Listing and describing by ID show nothing of A's.
  const byId = await b.sdk.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({
    ...R, containerGroupIds: JSON.stringify([groupId]),
  }));
  assert.equal(byId.body.totalCount, 0);
  assert.deepEqual(await stack.listAll(b.sdk), []);
  // A's group is untouched: still Running, never restarted or updated.
  const g = await stack.describe(groupId);
  assert.equal(g.status, 'Running');
  assert.equal(g.containers[0].restartCount, 0);
  assert.ok(!(g.tags ?? []).some((t) => t.key === 'k'), JSON.stringify(g.tags));
});

test("another account's image cache looks like one that does not exist", async () => {
  const b = await createKey('tenant-b');
  const created = await sdkA.createImageCache(new $Eci.CreateImageCacheRequest({
    regionId: REGION, imageCacheName: 'tenancy-cache', image: [stack.publicImage],
  }));
  const cacheId = created.body.imageCacheId;
  try {
    const seen = await b.sdk.describeImageCaches(new $Eci.DescribeImageCachesRequest({
      regionId: REGION, imageCacheId: cacheId,
    }));
    assert.equal(seen.body.totalCount ?? 0, 0);
    assert.deepEqual(seen.body.imageCaches ?? [], []);
    const all = await b.sdk.describeImageCaches(new $Eci.DescribeImageCachesRequest({ regionId: REGION }));
    assert.deepEqual(all.body.imageCaches ?? [], []);
    const missingCache = `imc-${'z'.repeat(20)}`;
    await sameAsMissing('DeleteImageCache', (id) => b.sdk.deleteImageCache(
      new $Eci.DeleteImageCacheRequest({ regionId: REGION, imageCacheId: id })), cacheId, missingCache);
    // Using A's snapshot in a create of B's: as for a snapshot that does not exist.
    const err = await sameAsMissing('CreateContainerGroup with ImageSnapshotId', (snapshot) =>
      stack.create(stack.groupRequest('tenancy-b-snap', { imageSnapshotId: snapshot }), b.sdk),
    `s-${cacheId.slice(4)}`, `s-${missingCache.slice(4)}`);
    assert.equal(err.code, 'ImageSnapshot.NotFound');
    // A still has it.
    const mine = await sdkA.describeImageCaches(new $Eci.DescribeImageCachesRequest({
      regionId: REGION, imageCacheId: cacheId,
    }));
    assert.equal(mine.body.imageCaches.length, 1);
  } finally {
    await sdkA.deleteImageCache(new $Eci.DeleteImageCacheRequest({ regionId: REGION, imageCacheId: cacheId }));
  }
});

test('disabled key -> Forbidden.AccessKeyDisabled (403); enabled again works; deleted -> not found', async () => {
  const d = await createKey('tenant-d');
  await regions(d.sdk);
  await stack.keys(['disable', d.id]);
  assert.match(await stack.keys(['list']), new RegExp(`${d.id}\\s+tenant-d\\s+Disabled`));
  await expectApiError(regions(d.sdk),
    { code: 'Forbidden.AccessKeyDisabled', status: 403, message: /The Access Key is disabled\./ });
  await expectApiError(d.sdk.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({ regionId: REGION })),
    { code: 'Forbidden.AccessKeyDisabled', status: 403 });
  await stack.keys(['enable', d.id]);
  await regions(d.sdk);
  await stack.keys(['delete', d.id]);
  await expectApiError(regions(d.sdk), { code: 'InvalidAccessKeyId.NotFound', status: 404 });
  assert.ok(!(await stack.keys(['list'])).includes(d.id));
});

// Opens `uri`; resolves with the refusal ({statusCode, body}) or 'open'.
function tryExec(uri) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(uri);
    ws.once('open', () => {
      ws.terminate();
      resolve('open');
    });
    ws.once('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ statusCode: res.statusCode, body: JSON.parse(body) }));
    });
    ws.once('error', reject);
  });
}

test('exec tokens: single use, and bound to the key and account that asked', async () => {
  const a2 = await createKey('openeci-default'); // a second key of account A
  const ask = () => a2.sdk.execContainerCommand(new $Eci.ExecContainerCommandRequest({
    regionId: REGION, containerGroupId: groupId, containerName: 'main', command: JSON.stringify(['true']),
  }));
  const first = (await ask()).body.webSocketUri;
  assert.equal(await tryExec(first), 'open');
  const twice = await tryExec(first);
  assert.equal(twice.statusCode, 401);
  assert.equal(twice.body.Code, 'InvalidExecToken');

  // The key that asked is disabled before the token is used: refused, and the token is spent.
  const second = (await ask()).body.webSocketUri;
  await stack.keys(['disable', a2.id]);
  const refused = await tryExec(second);
  assert.equal(refused.statusCode, 403);
  assert.equal(refused.body.Code, 'Forbidden.AccessKeyDisabled');
  await stack.keys(['enable', a2.id]);
  assert.equal((await tryExec(second)).statusCode, 401);

  // The key is deleted: refused as an unknown key.
  const third = (await ask()).body.webSocketUri;
  await stack.keys(['delete', a2.id]);
  const gone = await tryExec(third);
  assert.equal(gone.statusCode, 404);
  assert.equal(gone.body.Code, 'InvalidAccessKeyId.NotFound');
});

test('throttling per account: Throttling (400) over the limit, others unaffected, then recovery', async () => {
  const c = await createKey('tenant-c');
  const results = await Promise.allSettled(Array.from({ length: 60 }, () => regions(c.sdk)));
  const refused = results.filter((r) => r.status === 'rejected').map((r) => r.reason);
  const passed = results.length - refused.length;
  assert.ok(refused.length > 0, 'nothing was throttled');
  assert.ok(passed >= 1 && passed <= 50, `${passed} passed`);
  for (const e of refused) {
    assert.equal(e.code, 'Throttling', e.message);
    assert.equal(e.statusCode ?? e.data?.statusCode, 400);
    assert.match(e.data.Message, /request throttling/);
  }
  // Account A has a bucket of its own.
  await regions(sdkA);
  await sleep(2200);
  await regions(c.sdk);
});

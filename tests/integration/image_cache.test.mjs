// Image caches through the official SDK on the real stack: CreateImageCache pulls in the
// background (Creating -> Ready, Progress 100%, pull events), DescribeImageCaches filters,
// CreateContainerGroup with AutoMatchImageCache / ImageSnapshotId starts from the cache with
// the registry STOPPED (so no registry request can have been made), DeleteImageCache, and the
// quota of 20 caches per account. The ImageCacheSize check is unit-tested only
// (image_cache_test): the smallest allowed size, 1 GiB, is far above the test image.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, $Eci, REGION, sleep, expectApiError, summarize } from './lib/stack.mjs';

let stack;
let sdk;
before(async () => {
  stack = await startStack('imagecache');
  sdk = stack.sdk();
});
after(async () => {
  await stack?.stop();
});

async function createCache(name, images, over = {}) {
  const res = await sdk.createImageCache(new $Eci.CreateImageCacheRequest({
    regionId: REGION, imageCacheName: name, image: images, ...over,
  }));
  return res.body;
}

async function describeCaches(filter = {}) {
  const res = await sdk.describeImageCaches(new $Eci.DescribeImageCachesRequest({
    regionId: REGION, ...filter,
  }));
  return res.body;
}

async function waitCache(id, pred, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = (await describeCaches({ imageCacheId: id })).imageCaches?.[0];
    if (pred(last)) return last;
    await sleep(250);
  }
  throw new Error(`image cache ${id} did not reach the state: ${JSON.stringify(last)}`);
}

let cacheId;

test('CreateImageCache answers at once, then pulls: Ready, Progress 100%, events', async () => {
  const body = await createCache('it-cache', [stack.publicImage]);
  assert.match(body.imageCacheId, /^imc-[a-z0-9]{20}$/);
  assert.match(body.containerGroupId, /^eci-[a-z0-9]{20}$/);
  cacheId = body.imageCacheId;
  const c = await waitCache(cacheId, (x) => x?.status === 'Ready' || x?.status === 'Failed');
  assert.equal(c.status, 'Ready', JSON.stringify(c));
  assert.equal(c.progress, '100%');
  assert.deepEqual(c.images, [stack.publicImage]);
  assert.equal(c.snapshotId, `s-${cacheId.slice(4)}`);
  assert.equal(c.imageCacheSize, 20);
  const reasons = c.events.map((e) => e.reason);
  for (const r of ['Pulling', 'Pulled', 'ImageCacheReady']) assert.ok(reasons.includes(r), reasons);
});

test('DescribeImageCaches filters by id, name, image and snapshot', async () => {
  assert.equal((await describeCaches({ imageCacheName: 'it-cache' })).totalCount, 1);
  assert.equal((await describeCaches({ imageCacheName: 'nope' })).totalCount, 0);
  assert.equal((await describeCaches({ image: stack.publicImage })).totalCount, 1);
  assert.equal((await describeCaches({ image: 'example.com/none:1' })).totalCount, 0);
  assert.equal((await describeCaches({ snapshotId: `s-${cacheId.slice(4)}` })).totalCount, 1);
  assert.equal((await describeCaches({ imageCacheId: 'imc-00000000000000000000' })).totalCount, 0);
});

test('ImageSnapshotId naming an unknown cache is refused', async () => {
  await expectApiError(stack.create(stack.groupRequest('it-nosnap', {
    imageSnapshotId: 'imc-00000000000000000000',
  })), { code: 'ImageSnapshot.NotFound', status: 404 });
});

test('with the registry stopped, groups start from the cache (auto-match and ImageSnapshotId)', async () => {
  await stack.openRegistry.stop();
  for (const [name, over] of [
    ['it-automatch', { autoMatchImageCache: true }],
    ['it-snapshot', { imageSnapshotId: cacheId }],
  ]) {
    const base = stack.groupRequest(name);
    const id = await stack.create(stack.groupRequest(name, {
      ...over,
      container: [{ ...base.container[0], imagePullPolicy: 'Always' }],
    }));
    const g = await stack.waitFor(id, (x) => x?.status === 'Running' || x?.status === 'Failed', 60000);
    assert.equal(g.status, 'Running', JSON.stringify(summarize(g)));
    const hit = g.events.find((e) => e.reason === 'ImageCacheHit');
    assert.ok(hit, JSON.stringify(g.events));
    assert.match(hit.message, new RegExp(`Successfully matched image cache ${cacheId}`));
    assert.ok(!g.events.some((e) => e.reason === 'Pulling'), 'no pull happened');
    await stack.delete(id);
  }
  const c = (await describeCaches({ imageCacheId: cacheId })).imageCaches[0];
  assert.ok(!Number.isNaN(Date.parse(c.lastMatchedTime)), `LastMatchedTime ${c.lastMatchedTime}`);
});

test('21st cache of an account -> QuotaExceeded; DeleteImageCache frees the slot', async () => {
  const ids = [];
  // The registry is stopped: these caches fail to pull, and still count.
  for (let i = 0; i < 19; i++) ids.push((await createCache(`it-quota-${i}`, [stack.publicImage])).imageCacheId);
  await expectApiError(createCache('it-quota-over', [stack.publicImage]),
    { code: 'QuotaExceeded', status: 403 });
  const failed = await waitCache(ids[0], (x) => x?.status === 'Failed');
  assert.ok(failed.events.some((e) => e.type === 'Warning' && e.reason === 'Failed'));
  for (const id of ids) {
    await sdk.deleteImageCache(new $Eci.DeleteImageCacheRequest({ regionId: REGION, imageCacheId: id }));
  }
  await sdk.deleteImageCache(new $Eci.DeleteImageCacheRequest({ regionId: REGION, imageCacheId: cacheId }));
  assert.equal((await describeCaches()).totalCount, 0);
  await expectApiError(
    sdk.deleteImageCache(new $Eci.DeleteImageCacheRequest({ regionId: REGION, imageCacheId: cacheId })),
    { code: 'InvalidParameter.NotFound', status: 404 });
});

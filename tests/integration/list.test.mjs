// DescribeContainerGroups filters and paging over 45 groups.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startStack, $Eci, REGION, ZONE, VSWITCH, expectApiError,
} from './lib/stack.mjs';

const N = 45;
let stack;
const ids = []; // index i -> group id of list-NN
const name = (i) => `list-${String(i).padStart(2, '0')}`;

before(async () => {
  stack = await startStack('list');
});
after(async () => {
  await stack?.stop();
});

async function describe(params) {
  const res = await stack.sdk().describeContainerGroups(
    new $Eci.DescribeContainerGroupsRequest({ regionId: REGION, ...params }),
  );
  return res.body;
}

// All pages of a filtered listing.
async function describeAll(params) {
  const out = [];
  let nextToken;
  let total;
  for (let page = 0; page < 10; page++) {
    const body = await describe({ ...params, limit: 20, nextToken });
    total ??= body.totalCount;
    out.push(...body.containerGroups);
    nextToken = body.nextToken || undefined;
    if (!nextToken) break;
  }
  return { groups: out, total };
}

async function inBatches(items, size, fn) {
  for (let i = 0; i < items.length; i += size) {
    await Promise.all(items.slice(i, i + size).map(fn));
  }
}

test(`create ${N} groups`, async () => {
  const t0 = Date.now();
  await inBatches([...Array(N).keys()], 5, async (i) => {
    const req = stack.groupRequest(name(i), {
      restartPolicy: 'Always',
      tag: [
        { key: 'suite', value: 'list' },
        { key: 'parity', value: i % 2 ? 'odd' : 'even' },
      ],
    });
    req.container[0].cpu = 0.1;
    req.container[0].memory = 0.125;
    ids[i] = await stack.create(req);
  });
  assert.equal(new Set(ids).size, N);
  console.error(`# created ${N} groups in ${Date.now() - t0} ms`);
});

test('ContainerGroupIds (JSON string)', async () => {
  const want = [ids[3], ids[17], ids[44]];
  const body = await describe({ containerGroupIds: JSON.stringify(want) });
  assert.equal(body.totalCount, 3);
  assert.deepEqual(body.containerGroups.map((g) => g.containerGroupId).sort(), [...want].sort());
});

test('ContainerGroupName', async () => {
  const body = await describe({ containerGroupName: name(7) });
  assert.equal(body.totalCount, 1);
  assert.deepEqual(body.containerGroups.map((g) => g.containerGroupId), [ids[7]]);
  assert.equal((await describe({ containerGroupName: 'list-none' })).totalCount, 0);
});

test('Status', async () => {
  let seen = 0;
  for (const status of ['Pending', 'Running']) {
    const { groups, total } = await describeAll({ status });
    assert.equal(groups.length, total);
    for (const g of groups) assert.equal(g.status, status, g.containerGroupId);
    seen += total;
  }
  assert.ok(seen <= N);
  assert.equal((await describe({ status: 'Succeeded' })).totalCount, 0);
  assert.equal((await describe({ status: 'Failed' })).totalCount, 0);
});

test('ZoneId and VSwitchId', async () => {
  assert.equal((await describe({ zoneId: ZONE })).totalCount, N);
  assert.equal((await describe({ vSwitchId: VSWITCH })).totalCount, N);
  assert.equal((await describe({ zoneId: 'cn-hangzhou-other' })).totalCount, 0);
  assert.equal((await describe({ vSwitchId: 'vsw-other' })).totalCount, 0);
});

test('Tag.N filters (all must match)', async () => {
  const odd = await describeAll({ tag: [{ key: 'parity', value: 'odd' }] });
  assert.equal(odd.total, 22);
  assert.deepEqual(
    odd.groups.map((g) => g.containerGroupId).sort(),
    ids.filter((_, i) => i % 2).sort(),
  );
  const both = await describe({ tag: [{ key: 'suite', value: 'list' }, { key: 'parity', value: 'even' }] });
  assert.equal(both.totalCount, 23);
  const none = await describe({ tag: [{ key: 'suite', value: 'list' }, { key: 'parity', value: 'neither' }] });
  assert.equal(none.totalCount, 0);
  assert.deepEqual(none.containerGroups ?? [], []);
});

test('paging: Limit 20 -> 20/20/5 via NextToken, TotalCount 45', async () => {
  const sizes = [];
  const seen = new Set();
  let nextToken;
  for (let page = 0; page < 5; page++) {
    const body = await describe({ limit: 20, nextToken });
    assert.equal(body.totalCount, N);
    sizes.push(body.containerGroups.length);
    for (const g of body.containerGroups) {
      assert.ok(!seen.has(g.containerGroupId), `duplicate ${g.containerGroupId} on page ${page + 1}`);
      seen.add(g.containerGroupId);
    }
    nextToken = body.nextToken || undefined;
    if (!nextToken) break;
  }
  assert.deepEqual(sizes, [20, 20, 5]);
  assert.deepEqual([...seen].sort(), [...ids].sort());
  // Default page size is 20 as well.
  assert.equal((await describe({})).containerGroups.length, 20);
});

test('Limit 21 -> InvalidParameter', async () => {
  await expectApiError(
    stack.sdk().describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({ regionId: REGION, limit: 21 })),
    { code: 'InvalidParameter', status: 400, message: /Limit/ },
  );
});

test(`delete all ${N}`, async () => {
  const t0 = Date.now();
  await inBatches(ids, 5, (id) => stack.delete(id));
  const deadline = Date.now() + 90000;
  let left;
  while (Date.now() < deadline) {
    left = (await describe({})).totalCount;
    if (left === 0) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.equal(left, 0, `${left} groups still listed`);
  console.error(`# deleted ${N} groups in ${Date.now() - t0} ms`);
});

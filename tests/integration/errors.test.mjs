// Request validation as the SDK user sees it: error codes, statuses and messages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startStack, $Eci, REGION, summarize, expectApiError } from './lib/stack.mjs';

let stack;
before(async () => {
  stack = await startStack('errors');
});
after(async () => {
  await stack?.stop();
});

const create = (req) => stack.create(req);

test('missing RegionId -> MissingParameter', async () => {
  const req = stack.groupRequest('err-no-region');
  delete req.regionId;
  await expectApiError(create(req), { code: 'MissingParameter', status: 400, message: /RegionId/ });
});

test('no Container -> MissingParameter', async () => {
  await expectApiError(create(stack.groupRequest('err-no-container', { container: [] })),
    { code: 'MissingParameter', status: 400, message: /Container/ });
});

test('duplicate container names -> InvalidParameter.DuplicatedName', async () => {
  const base = stack.groupRequest('err-dup').container[0];
  await expectApiError(
    create(stack.groupRequest('err-dup', { container: [base, { ...base }] })),
    { code: 'InvalidParameter.DuplicatedName', status: 400, message: /main/ },
  );
});

test('unknown region -> RegionNotSupported', async () => {
  await expectApiError(create(stack.groupRequest('err-region', { regionId: 'cn-nowhere' })),
    { code: 'RegionNotSupported', message: /cn-nowhere/ });
});

// The exact codes differ by resource (Alibaba uses Zone.NotOnSale, InvalidVSwitchId.NotFound,
// InvalidSecurityGroupId.NotFound); any InvalidParameter* is accepted too. The message must name
// the offending value.
for (const [field, value, codes] of [
  ['zoneId', 'cn-hangzhou-zz', /^(Zone\.NotOnSale|InvalidZoneId(\..+)?|InvalidParameter(\..+)?)$/],
  ['vSwitchId', 'vsw-doesnotexist', /^(InvalidVSwitchId(\..+)?|InvalidParameter(\..+)?)$/],
  ['securityGroupId', 'sg-doesnotexist', /^(InvalidSecurityGroupId(\..+)?|InvalidParameter(\..+)?)$/],
]) {
  test(`unknown ${field} is refused`, async () => {
    let err;
    try {
      await create(stack.groupRequest(`err-${field.toLowerCase()}`, { [field]: value }));
    } catch (e) {
      err = e;
    }
    assert.ok(err, `creating with ${field}=${value} succeeded`);
    assert.match(err.code ?? '', codes);
    assert.ok(err.statusCode >= 400 && err.statusCode < 500, `status ${err.statusCode}`);
    assert.match(err.data?.Message ?? '', new RegExp(value));
  });
}

test('an unsupported parameter is refused by name, not ignored', async () => {
  // Cloud-only parameters OpenECI cannot honour are refused by name.
  await expectApiError(
    create(stack.groupRequest('err-eip-id', { eipInstanceId: 'eip-1' })),
    { code: 'InvalidParameter', status: 400, message: /EipInstanceId/ },
  );
  await expectApiError(
    create(stack.groupRequest('err-eip', { autoCreateEip: true })),
    { code: 'InvalidParameter', status: 400, message: /AutoCreateEip/ },
  );
});

test('pop-core nested object ([object Object]) -> InvalidParameter', async () => {
  const err = await expectApiError(
    stack.popGet().request('CreateContainerGroup', {
      RegionId: REGION,
      ContainerGroupName: 'err-object',
      Container: [{ Name: 'main', Image: stack.publicImage }],
      DnsConfig: { NameServer: ['10.0.0.2'] },
    }),
    { code: 'InvalidParameter', message: /DnsConfig/ },
  );
  assert.equal(err.name, 'InvalidParameterError');
});

test('ClientToken: same request -> same id; different request -> IdempotentParameterMismatch', async () => {
  const token = `it-${crypto.randomUUID()}`;
  const req = stack.groupRequest('err-idem', { clientToken: token });
  const first = await create(req);
  const second = await create(req);
  assert.equal(second, first);
  await expectApiError(
    create({ ...req, containerGroupName: 'err-idem-other' }),
    { code: 'IdempotentParameterMismatch', status: 400 },
  );
  // Only one group exists under that name, none under the other.
  const res = await stack.sdk().describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({
    regionId: REGION, containerGroupName: 'err-idem',
  }));
  assert.deepEqual(res.body.containerGroups.map((g) => g.containerGroupId), [first]);
  await stack.delete(first);
  await stack.waitFor(first, (g) => g === undefined, 30000);
});

test('RestartContainerGroup of a Succeeded group -> IncorrectStatus', async () => {
  const id = await create(stack.groupRequest('err-succeeded', {
    restartPolicy: 'Never',
    container: [{ ...stack.groupRequest('x').container[0], command: ['/bin/sh', '-c', 'exit 0'] }],
  }));
  await stack.waitFor(id, (g) => {
    if (g?.status === 'Failed') throw new Error(`Failed: ${JSON.stringify(summarize(g))}`);
    return g?.status === 'Succeeded';
  }, 45000);
  await expectApiError(stack.restartGroup(id), { code: 'IncorrectStatus', status: 400 });
  assert.equal((await stack.describe(id)).status, 'Succeeded');
  await stack.delete(id);
  await stack.waitFor(id, (g) => g === undefined, 30000);
});

test('unknown ContainerGroupId on Delete/Restart is an error, not a success', async () => {
  for (const op of [(id) => stack.delete(id), (id) => stack.restartGroup(id)]) {
    let err;
    try {
      await op('eci-doesnotexist0000');
    } catch (e) {
      err = e;
    }
    assert.ok(err, 'operation on an unknown id succeeded');
    assert.ok(err.statusCode >= 400 && err.statusCode < 500, `status ${err.statusCode}`);
    assert.equal(typeof err.data?.RequestId, 'string');
  }
});

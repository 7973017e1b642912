// Authentication and the error envelope, with hand-built requests (lib/sign.mjs, checked
// against the contract's worked vectors by sign.test.mjs): the SDKs cannot be made to send a
// wrong signature, a stale timestamp or a reused nonce.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, REGION } from './lib/stack.mjs';
import http from 'node:http';
import { v1Send, v1Params, encodeForm, v3Request, rawRequest, isoSeconds, nonce } from './lib/sign.mjs';

let stack;
let ok; // {accessKeyId, secret} that the server knows
before(async () => {
  stack = await startStack('auth');
  ok = { accessKeyId: stack.accessKeyId, secret: stack.accessKeySecret };
});
after(async () => {
  await stack?.stop();
});

function assertSuccess(res) {
  assert.equal(res.status, 200, res.text);
  assert.match(res.headers['content-type'] ?? '', /^application\/json/);
  assert.ok(res.json && typeof res.json === 'object' && !Array.isArray(res.json), res.text);
  assert.equal(typeof res.json.RequestId, 'string');
  assert.equal(res.json.Code, undefined, 'a success body never carries Code');
}

// Every error: 4xx/5xx, JSON, and the five envelope fields as non-empty strings.
function assertError(res, code, status) {
  assert.equal(res.json?.Code, code, `status ${res.status}: ${res.text}`);
  if (status !== undefined) assert.equal(res.status, status, res.text);
  assert.ok(res.status >= 400 && res.status < 600, `status ${res.status}`);
  assert.match(res.headers['content-type'] ?? '', /^application\/json/);
  for (const f of ['RequestId', 'HostId', 'Code', 'Message', 'Recommend']) {
    assert.equal(typeof res.json[f], 'string', `${f} in ${res.text}`);
    assert.ok(res.json[f].length > 0, `${f} is empty in ${res.text}`);
  }
}

const send1 = (opts, params = { RegionId: REGION }) =>
  v1Send(stack.endpoint, { action: 'DescribeRegions', ...ok, ...opts }, params);

function send3(opts, query = { RegionId: REGION }) {
  const req = v3Request({ host: stack.host, action: 'DescribeRegions', ...ok, ...opts }, query);
  return rawRequest(stack.endpoint, req);
}

test('well-signed V1 GET, V1 POST and V3 requests succeed', async () => {
  assertSuccess(await send1({ method: 'GET' }));
  assertSuccess(await send1({ method: 'POST' }));
  assertSuccess(await send1({ method: 'GET', format: 'json' }));
  assertSuccess(await send3({}));
  // DescribeContainerGroups works too, with a JSON-string parameter in the signed set.
  const res = await send1({ method: 'GET', action: 'DescribeContainerGroups' },
    { RegionId: REGION, ContainerGroupIds: '["eci-doesnotexist"]' });
  assertSuccess(res);
  assert.equal(res.json.TotalCount, 0);
  assert.deepEqual(res.json.ContainerGroups, []);
});

test('missing signature -> MissingParameter', async () => {
  assertError(await send1({ sign: false }), 'MissingParameter', 400);
  // Neither Signature nor Authorization nor AccessKeyId.
  assertError(await rawRequest(stack.endpoint, {
    path: `/?Action=DescribeRegions&Version=2018-08-08&Format=JSON&RegionId=${REGION}`,
    headers: { host: stack.host },
  }), 'MissingParameter', 400);
});

test('unknown AccessKeyId -> InvalidAccessKeyId.NotFound (404)', async () => {
  assertError(await send1({ accessKeyId: 'LTAInobodyHasThisKey' }), 'InvalidAccessKeyId.NotFound', 404);
  assertError(await send3({ accessKeyId: 'LTAInobodyHasThisKey' }), 'InvalidAccessKeyId.NotFound', 404);
});

test('wrong secret -> SignatureDoesNotMatch (400)', async () => {
  assertError(await send1({ signSecret: 'not-the-secret' }), 'SignatureDoesNotMatch', 400);
  assertError(await send1({ method: 'POST', signSecret: 'not-the-secret' }), 'SignatureDoesNotMatch', 400);
  assertError(await send3({ signSecret: 'not-the-secret' }), 'SignatureDoesNotMatch', 400);
});

test('a request signed for GET but sent as POST does not verify', async () => {
  // Sign with method GET, send the same params as a POST form body.
  const { v1Params, encodeForm } = await import('./lib/sign.mjs');
  const params = v1Params({ action: 'DescribeRegions', ...ok, method: 'GET' }, { RegionId: REGION });
  const res = await rawRequest(stack.endpoint, {
    method: 'POST',
    path: '/',
    headers: { host: stack.host, 'content-type': 'application/x-www-form-urlencoded' },
    body: encodeForm(params),
  });
  assertError(res, 'SignatureDoesNotMatch', 400);
});

test('timestamp 20 minutes off -> InvalidTimeStamp.Expired', async () => {
  const past = isoSeconds(new Date(Date.now() - 20 * 60 * 1000));
  const future = isoSeconds(new Date(Date.now() + 20 * 60 * 1000));
  assertError(await send1({ timestamp: past }), 'InvalidTimeStamp.Expired', 400);
  assertError(await send1({ timestamp: future }), 'InvalidTimeStamp.Expired', 400);
  assertError(await send3({ date: past }), 'InvalidTimeStamp.Expired', 400);
});

test('a reused SignatureNonce -> SignatureNonceUsed', async () => {
  const n = nonce();
  assertSuccess(await send1({ nonce: n }));
  assertError(await send1({ nonce: n }), 'SignatureNonceUsed', 400);
  const n3 = nonce();
  assertSuccess(await send3({ nonce: n3 }));
  assertError(await send3({ nonce: n3 }), 'SignatureNonceUsed', 400);
});

test('an unsupported Version is refused', async () => {
  assertError(await send1({ version: '2014-05-26' }), 'InvalidVersion', 400);
  assertError(await send3({ version: '2014-05-26' }), 'InvalidVersion', 400);
});

test('Format=XML is answered in XML', async () => {
  const res = await send1({ format: 'XML' });
  assert.equal(res.status, 200, res.text);
  assert.match(res.headers['content-type'] ?? '', /xml/);
  const body = res.text.trim();
  assert.match(body, /^(<\?xml[^>]*\?>\s*)?<DescribeRegionsResponse>/);
  assert.match(body, /<RequestId>[^<]+<\/RequestId>/);
  assert.match(body, new RegExp(`<RegionId>${REGION}</RegionId>`));
  assert.doesNotMatch(body, /<Code>/);
});

test('a chunked form body and a 70 KB request line are read; a 200 KB one is refused', async () => {
  // Chunked: Node sends Transfer-Encoding: chunked when no Content-Length is set.
  const signed = v1Params({ ...ok, action: 'DescribeRegions', method: 'POST' }, { RegionId: REGION });
  const body = encodeForm(signed);
  const url = new URL(stack.endpoint);
  const res = await new Promise((resolve, reject) => {
    const req = http.request({
      host: url.hostname, port: url.port, method: 'POST', path: '/',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    }, (r) => {
      const chunks = [];
      r.on('data', (c) => chunks.push(c));
      r.on('end', () => resolve({ status: r.statusCode, headers: r.headers, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.write(body.slice(0, 40));
    setTimeout(() => req.end(body.slice(40)), 50);
  });
  assert.equal(res.status, 200, res.text);
  assert.ok(JSON.parse(res.text).Regions, res.text);

  const long = await send1({ method: 'GET', action: 'DescribeContainerGroups' },
    { RegionId: REGION, 'Tag.1.Key': 'k', 'Tag.1.Value': 'v'.repeat(70000) });
  assertSuccess(long);
  assert.equal(long.json.TotalCount, 0);

  const huge = await send1({ method: 'GET', action: 'DescribeContainerGroups' },
    { RegionId: REGION, 'Tag.1.Key': 'k', 'Tag.1.Value': 'v'.repeat(200000) });
  // The request line alone is longer than the 128 KiB the server reads: URI Too Long.
  assert.equal(huge.status, 414, `status ${huge.status}`);
});

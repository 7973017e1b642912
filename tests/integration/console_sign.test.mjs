// The web console's own request signing (web/console/src/api.js, run here in Node, which has the
// same Web Crypto API) against the RPC V1 vector of the SDK wire contract, its plain-JS HMAC-SHA1
// fallback against the same vector, and its shell-line helpers. No server needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sign, stringToSign } from '../../web/console/src/api.js';
import { hmacSha1Base64 } from '../../web/console/src/sha1.js';
import { shellLine, shellWords, keyValueLines } from '../../web/console/src/dom.js';

const PARAMS = {
  AccessKeyId: 'testid',
  Action: 'DescribeContainerGroups',
  ContainerGroupIds: '["eci-1","eci-2"]',
  Format: 'JSON',
  Limit: '20',
  RegionId: 'cn-hangzhou',
  SignatureMethod: 'HMAC-SHA1',
  SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
  SignatureVersion: '1.0',
  'Tag.1.Key': 'env',
  'Tag.1.Value': 'a b*c~d+e/é',
  Timestamp: '2024-05-01T12:00:00Z',
  Version: '2018-08-08',
};
const WANT_STRING_TO_SIGN = 'POST&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeContainerGroups%26ContainerGroupIds%3D%255B%2522eci-1%2522%252C%2522eci-2%2522%255D%26Format%3DJSON%26Limit%3D20%26RegionId%3Dcn-hangzhou%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Tag.1.Key%3Denv%26Tag.1.Value%3Da%2520b%252Ac~d%252Be%252F%25C3%25A9%26Timestamp%3D2024-05-01T12%253A00%253A00Z%26Version%3D2018-08-08';
const WANT_SIGNATURE = 'rHAf3ixxkncI6EmUEVtDP7BWd6g=';

test('the console signs the wire-contract V1 vector (Web Crypto)', async () => {
  // Parameter order must not matter, and a Signature already present is ignored.
  const shuffled = Object.fromEntries(Object.entries({ ...PARAMS, Signature: 'x' }).reverse());
  assert.equal(stringToSign('POST', shuffled), WANT_STRING_TO_SIGN);
  assert.equal(await sign('testsecret', WANT_STRING_TO_SIGN), WANT_SIGNATURE);
});

test('the plain-JS HMAC-SHA1 fallback gives the same signature', () => {
  const enc = new TextEncoder();
  assert.equal(hmacSha1Base64(enc.encode('testsecret&'), enc.encode(WANT_STRING_TO_SIGN)), WANT_SIGNATURE);
  // A key longer than the 64-byte block is hashed first.
  assert.equal(hmacSha1Base64(enc.encode('k'.repeat(100)), enc.encode('m')), 'AU8I6aq/eYDQeiBaTGOHQ5Ff+RU=' /* node:crypto */);
});

test('command lines split like a shell and print back the same words', () => {
  assert.deepEqual(shellWords(`sh -c 'echo "a b"; exit 3' x\\ y ""`), ['sh', '-c', 'echo "a b"; exit 3', 'x y', '']);
  const words = ['sh', '-c', `trap "exit 0" TERM; echo it's`];
  assert.deepEqual(shellWords(shellLine(words)), words);
  assert.throws(() => shellWords(`echo 'open`), /unclosed/);
  assert.deepEqual(keyValueLines('A=1\n\n# c\nB = x=y\n', 'Env'), [['A', '1'], ['B', ' x=y']]);
  assert.throws(() => keyValueLines('novalue', 'Env'), /Env: "novalue" is not KEY=VALUE/);
});

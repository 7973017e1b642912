// Self-check of lib/sign.mjs against the worked vectors of sdk-wire-contract.md section 5.
// Needs no server: if these fail, auth.test.mjs results mean nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { v1Signature, v1StringToSign, v3Authorization, EMPTY_SHA256, pct } from './lib/sign.mjs';

const common = {
  AccessKeyId: 'testid',
  Action: 'DescribeContainerGroups',
  Format: 'JSON',
  SignatureMethod: 'HMAC-SHA1',
  SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
  SignatureVersion: '1.0',
  Timestamp: '2024-05-01T12:00:00Z',
  Version: '2018-08-08',
  RegionId: 'cn-hangzhou',
  ContainerGroupIds: '["eci-1","eci-2"]',
  Limit: '20',
  'Tag.1.Key': 'env',
  'Tag.1.Value': 'a b*c~d+e/é',
};

test('pct is RFC 3986 with upper-case hex', () => {
  assert.equal(pct('a b*c~d+e/é!\'()'), 'a%20b%2Ac~d%2Be%2F%C3%A9%21%27%28%29');
});

test('V1 pop-core POST vector', () => {
  assert.equal(
    v1StringToSign('POST', common),
    'POST&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeContainerGroups%26ContainerGroupIds%3D' +
      '%255B%2522eci-1%2522%252C%2522eci-2%2522%255D%26Format%3DJSON%26Limit%3D20%26RegionId' +
      '%3Dcn-hangzhou%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-' +
      '4e0ad82fd6cf%26SignatureVersion%3D1.0%26Tag.1.Key%3Denv%26Tag.1.Value%3Da%2520b%252Ac~d' +
      '%252Be%252F%25C3%25A9%26Timestamp%3D2024-05-01T12%253A00%253A00Z%26Version%3D2018-08-08',
  );
  assert.equal(v1Signature('POST', common, 'testsecret'), 'rHAf3ixxkncI6EmUEVtDP7BWd6g=');
});

test('V1 GET and style-B vectors', () => {
  assert.equal(v1Signature('GET', common, 'testsecret'), 't/AfRRdeJ6xV8UcBQUFfQTUmIIQ=');
  assert.equal(
    v1Signature('POST', { ...common, Format: 'json' }, 'testsecret'),
    'jr4HVkX9hXjrzYqJbpZikr8fVME=',
  );
});

test('V1 ECS-shaped vector', () => {
  const params = {
    AccessKeyId: 'testid',
    Action: 'DescribeRegions',
    Format: 'XML',
    SignatureMethod: 'HMAC-SHA1',
    SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
    SignatureVersion: '1.0',
    Timestamp: '2016-02-23T12:46:24Z',
    Version: '2014-05-26',
  };
  assert.equal(v1Signature('GET', params, 'testsecret'), 'OLeaidS1JvxuMvnyHOwuJ+uX5qY=');
});

test('V3 vector', () => {
  const r = v3Authorization({
    method: 'POST',
    query: {
      ContainerGroupIds: '["eci-1","eci-2"]',
      Limit: '20',
      RegionId: 'cn-hangzhou',
      'Tag.1.Key': 'env',
      'Tag.1.Value': 'a b*c~d+e/é',
    },
    headers: {
      host: '127.0.0.1:18080',
      'x-acs-version': '2018-08-08',
      'x-acs-action': 'DescribeContainerGroups',
      'x-acs-date': '2024-05-01T12:00:00Z',
      'x-acs-signature-nonce': '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
      'x-acs-content-sha256': EMPTY_SHA256,
      'x-acs-credentials-provider': 'static_ak',
      accept: 'application/json',
    },
    accessKeyId: 'testid',
    secret: 'testsecret',
  });
  assert.ok(r.stringToSign.endsWith(
    'dfbf6c55598f49347d2b4f5acd79e4547032f0ed16d57fe3949d649f59550c4d'));
  assert.equal(r.signature, 'db4ba4d886dc49c3d207425ee490998a1ecad79ab895f39693817048a30f6221');
  assert.equal(
    r.authorization,
    'ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;x-acs-action;x-acs-content-sha256;' +
      'x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,' +
      'Signature=db4ba4d886dc49c3d207425ee490998a1ecad79ab895f39693817048a30f6221',
  );
});

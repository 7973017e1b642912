// HTTPS and wss:// on the real stack: a server started with OPENECI_TLS_CERT / OPENECI_TLS_KEY
// (a test CA and a server certificate for 127.0.0.1 and localhost, made here with openssl in the
// stack's directory). The official SDK with protocol 'https' (trusting the test CA through its
// `ca` option) creates, describes and deletes a group; pop-core over https; an exec session over
// wss://; the eci CLI over https and wss://; plain http to the TLS port is refused in clear
// text; silent and stalled TLS clients do not hold up others; bad certificate settings stop
// `openeci serve` at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import WebSocket from 'ws';
import { Stack, $Eci, REGION, REPO_ROOT, sleep } from './lib/stack.mjs';

const ECI = process.env.OPENECI_ECI_BIN ?? [
  path.join(REPO_ROOT, 'build/dev/src/cli/eci'),
  path.join(REPO_ROOT, 'build/release/src/cli/eci'),
].find((p) => fs.existsSync(p));

// Writes ca.pem, server.pem/server.key (signed by the CA, SAN 127.0.0.1 and localhost) and an
// unrelated other.key into `dir`.
function makeCertificates(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const run = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run('req', '-x509', ...ec, '-days', '2', '-subj', '/CN=OpenECI test CA', '-keyout', 'ca.key',
    '-out', 'ca.pem');
  run('req', ...ec, '-subj', '/CN=localhost', '-keyout', 'server.key', '-out', 'server.csr');
  fs.writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
    '-days', '2', '-extfile', 'san.ext', '-out', 'server.pem');
  run('genpkey', '-algorithm', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'other.key');
}

// The test stack with its server on HTTPS; its clients trust the test CA.
class TlsStack extends Stack {
  async startServer(timeoutMs) {
    if (!this.tlsDir) {
      this.tlsDir = path.join(this.dir, 'tls');
      makeCertificates(this.tlsDir);
      this.ca = fs.readFileSync(path.join(this.tlsDir, 'ca.pem'), 'utf8');
      this.extraEnv = {
        ...this.extraEnv,
        OPENECI_TLS_CERT: path.join(this.tlsDir, 'server.pem'),
        OPENECI_TLS_KEY: path.join(this.tlsDir, 'server.key'),
      };
      this.endpoint = `https://${this.host}`;
    }
    return super.startServer(timeoutMs);
  }

  sdk(extra = {}) {
    return super.sdk({ protocol: 'https', ca: this.ca, ...extra });
  }

  popClient() {
    const c = super.popClient();
    c.opts = { ...c.opts, agent: new https.Agent({ ca: this.ca, keepAlive: true }) };
    return c;
  }
}

let stack;
let groupId;
before(async () => {
  stack = new TlsStack('tls');
  try {
    await stack.start();
  } catch (e) {
    await stack.stop().catch(() => {});
    throw e;
  }
});
after(async () => {
  await stack?.stop();
});

const regions = (client) => client.describeRegions(new $Eci.DescribeRegionsRequest({}));

test('the server says it listens on https://', () => {
  const log = fs.readFileSync(stack.serverLog, 'utf8');
  assert.match(log, new RegExp(`OpenECI listening on https://${stack.host}`));
});

test('SDK over https: create, describe, then (later) delete a group', async () => {
  groupId = await stack.create(stack.groupRequest('tls-sdk'));
  assert.match(groupId, /^eci-/);
  const g = await stack.waitFor(groupId, (x) => x?.status === 'Running', 90000);
  assert.equal(g.containerGroupName, 'tls-sdk');
});

test('SDK over https without the test CA refuses the certificate', async () => {
  await assert.rejects(regions(stack.sdk({ ca: undefined })),
    (e) => /self[- ]signed|unable to verify|certificate/i.test(String(e.message ?? e)));
});

test('pop-core over https: GET and POST', async () => {
  const get = await stack.popGet().request('DescribeContainerGroups', {
    RegionId: REGION, ContainerGroupIds: JSON.stringify([groupId]),
  });
  assert.equal(get.ContainerGroups[0].ContainerGroupId, groupId);
  const post = await stack.popPost().request('DescribeRegions', {});
  assert.ok(post.Regions.length >= 1);
});

test('exec over wss:// runs a command', async () => {
  const res = await stack.sdk().execContainerCommand(new $Eci.ExecContainerCommandRequest({
    regionId: REGION,
    containerGroupId: groupId,
    containerName: 'main',
    command: JSON.stringify(['sh', '-c', 'echo over-$((6*7)); exit 4']),
  }));
  const uri = res.body.webSocketUri;
  assert.match(uri, new RegExp(`^wss://${stack.host}/exec/[A-Za-z0-9]+$`));
  assert.equal(res.body.httpUrl, uri.replace(/^wss:/, 'https:'));
  const ws = new WebSocket(uri, { ca: stack.ca });
  let stdout = '';
  let exit;
  ws.on('message', (data) => {
    const buf = Buffer.from(data);
    if (buf[0] === 1) stdout += buf.subarray(1).toString();
    if (buf[0] === 3) exit = JSON.parse(buf.subarray(1).toString());
  });
  const closed = await new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('close', (code) => resolve(code));
  });
  assert.equal(stdout, 'over-42\n');
  assert.deepEqual(exit, { ExitCode: 4 });
  assert.equal(closed, 1000);
});

// Runs eci against the TLS endpoint; resolves {code, stdout, stderr}.
function eci(args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(ECI, ['--endpoint', stack.endpoint, '--access-key-id', stack.accessKeyId,
      '--access-key-secret', stack.accessKeySecret, ...args], {
      env: { PATH: process.env.PATH, HOME: stack.dir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('eci over https and wss:// with --ca-file, and refused without it', { skip: !ECI }, async () => {
  const ca = path.join(stack.tlsDir, 'ca.pem');
  const ps = await eci(['--ca-file', ca, 'ps', '-o', 'json']);
  assert.equal(ps.code, 0, ps.stderr);
  assert.ok(JSON.parse(ps.stdout).ContainerGroups.some((g) => g.ContainerGroupId === groupId));
  const ex = await eci(['exec', groupId, '--', 'sh', '-c', 'echo via-eci; exit 6'],
    { OPENECI_CA_FILE: ca });
  assert.equal(ex.stdout, 'via-eci\n', ex.stderr);
  assert.equal(ex.code, 6);
  const untrusted = await eci(['regions']);
  assert.equal(untrusted.code, 3, untrusted.stderr);  // connection error
  assert.match(untrusted.stderr, /certificate verify failed/);
});

test('plain http to the TLS port gets a clear-text 400 and the connection closes', async () => {
  const res = await fetch(`http://${stack.host}/?Action=DescribeRegions`);
  assert.equal(res.status, 400);
  const body = await res.json();
  assert.equal(body.Code, 'InvalidParameter');
  assert.match(body.Message, /HTTPS only; use https:\/\//);
  await assert.rejects(regions(stack.sdk({ protocol: 'http' })), /HTTPS only/);
});

// Opens a TCP connection and writes `bytes` (maybe none); resolves when the server closes it.
function lingering(bytes) {
  const socket = net.connect(stack.port, '127.0.0.1');
  if (bytes) socket.write(bytes);
  socket.on('error', () => {});
  socket.resume();  // read (and drop) what the server sends, e.g. an alert: else 'close' never comes
  socket.closedByServer = new Promise((resolve) => socket.once('close', resolve));
  return socket;
}

test('silent and stalled TLS clients do not hold up others, and are dropped', async () => {
  // More than the server's I/O threads (2): none of them may take a thread for itself.
  const silent = [1, 2, 3].map(() => lingering());
  // A TLS record header announcing a ClientHello that never comes.
  const stalled = [1, 2, 3].map(() => lingering(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00])));
  const garbage = lingering(Buffer.from('\x16\x03\x01\x00\x05hello, not TLS at all'));
  await sleep(200);
  for (let i = 0; i < 3; i++) {
    const res = await regions(stack.sdk());
    assert.ok(res.body.regions.length >= 1);
  }
  await garbage.closedByServer;  // a broken handshake ends at once
  // The server ends handshakes that do not complete (after 10 s); wait well beyond that.
  const dropped = Promise.all([...silent, ...stalled].map((s) => s.closedByServer));
  const timeout = sleep(60000).then(() => 'not dropped');
  assert.notEqual(await Promise.race([dropped, timeout]), 'not dropped');
});

test('SDK over https: delete the group', async () => {
  await stack.delete(groupId);
  await stack.waitFor(groupId, (g) => g === undefined, 60000);
});

// `openeci serve` with these TLS settings; resolves {code, stderr}. It fails before it starts
// containerd or touches its state directory.
function serveWith(env) {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oeci-tlsbad-'));
  return new Promise((resolve, reject) => {
    const child = spawn(stack.bin, ['serve'], {
      env: { PATH: process.env.PATH, OPENECI_STATE_DIR: stateDir, OPENECI_LISTEN: '127.0.0.1:0',
        ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      fs.rmSync(stateDir, { recursive: true, force: true });
      resolve({ code, stderr });
    });
  });
}

test('bad TLS settings stop openeci serve at start-up with a clear error', async () => {
  const f = (name) => path.join(stack.tlsDir, name);
  const half = await serveWith({ OPENECI_TLS_CERT: f('server.pem') });
  assert.equal(half.code, 2);
  assert.match(half.stderr, /set both OPENECI_TLS_CERT and OPENECI_TLS_KEY/);
  const mismatch = await serveWith({ OPENECI_TLS_CERT: f('server.pem'), OPENECI_TLS_KEY: f('other.key') });
  assert.equal(mismatch.code, 2);
  assert.match(mismatch.stderr, /does not belong to the certificate/);
  const missing = await serveWith({ OPENECI_TLS_CERT: f('nope.pem'), OPENECI_TLS_KEY: f('server.key') });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read the certificate chain .*nope\.pem/);
});

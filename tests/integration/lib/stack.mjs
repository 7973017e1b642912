// The real OpenECI stack for one test file: two local registries (one open, one behind basic
// auth) holding busybox, and the OpenECI server (which runs its own containerd) on a fresh
// state directory. Everything listens on 127.0.0.1 on free ports and lives below one private
// temp directory, so test files never share state.
//
//   const stack = await startStack('sdk_v3');   // in before()
//   ...stack.sdk(), stack.popGet(), stack.waitFor(id, g => g?.status === 'Running') ...
//   await stack.stop();                          // in after(); also runs on exit/signals
//
// Environment it reads:
//   OPENECI_BIN         server binary (default build/dev/src/server/openeci, else release)
//   OPENECI_IMAGES_DIR  directory of pause.tar and busybox.tar (default build/images; built with
//                       scripts/images/build.sh when missing)
//   OPENECI_IT_RUN_DIR  if set, the stack records what it started there so scripts/test can
//                       reap it even if this process dies (see lib/reap.mjs)
//   OPENECI_IT_KEEP=1   keep the temp directory (logs, state) after stop() for debugging
//
// stop() throws (after tearing everything down) when the server's log holds a sanitizer report:
// under scripts/test-sanitizers a leak reported at exit, or a report that killed the server,
// fails the test file even when every assertion passed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import http from 'node:http';
import { spawn, execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import eciModule from '@alicloud/eci20180808';
import openapi from '@alicloud/openapi-client';
import Pop from '@alicloud/pop-core';
import { alive, reapStack, pidsMentioning } from './reap.mjs';

export { alive, groupCgroupDirs } from './reap.mjs';

const execFileP = promisify(execFile);

export const Eci = eciModule.default;
export const $Eci = eciModule;
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export const REGION = 'cn-hangzhou';
export const ZONE = 'cn-hangzhou-a';
export const VSWITCH = 'vsw-openeci-it';
export const SECURITY_GROUP = 'sg-openeci-it';
export const SUBNET = '10.77.0.0/24';
export const BRIDGE = 'openeci-it0';
export const REGISTRY_USER = 'testuser';
export const REGISTRY_PASSWORD = 'testpass';
export const ACCESS_KEY_ID = 'LTAI5tOpenEciIntegration';
export const ACCESS_KEY_SECRET = 'itSecret0123456789abcdefghijklmn';
const READY_RE = /OpenECI listening on https?:\/\/(\S+)/;
// The first line of an AddressSanitizer / LeakSanitizer / UBSan report (scripts/test-sanitizers).
const SANITIZER_REPORT_RE = /^==\d+==ERROR: \w+Sanitizer|: runtime error: |^SUMMARY: \w+Sanitizer/m;

// A container that runs until SIGTERM and exits 0 promptly on it (busybox sh as PID 1 ignores
// signals it has no trap for, which would make every stop wait for the grace period). One long
// sleep the shell waits for: a trapped signal ends `wait` at once, and an idle container costs
// no CPU (a `sleep 1` loop forks every second, which at hundreds of groups loads the machine).
export const SLEEPER = ['/bin/sh', '-c', 'trap "exit 0" TERM; sleep 2147483647 & wait'];

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function inSubnet(ip, cidr = SUBNET) {
  const toInt = (s) => s.split('.').reduce((a, o) => (a << 8) + Number(o), 0) >>> 0;
  const [base, bits] = cidr.split('/');
  const mask = bits === '0' ? 0 : (~0 << (32 - Number(bits))) >>> 0;
  return /^\d+\.\d+\.\d+\.\d+$/.test(ip ?? '') && (toInt(ip) & mask) === (toInt(base) & mask);
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function httpStatus(url) {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

function tail(file, lines = 40) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

// The sanitizer report in a log from its first line on (at most 80 lines), or null.
export function sanitizerReportIn(file) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const m = SANITIZER_REPORT_RE.exec(text);
  if (!m) return null;
  const start = text.lastIndexOf('\n', m.index) + 1;
  return text.slice(start).split('\n').slice(0, 80).join('\n');
}

function findServerBinary() {
  const candidates = [
    process.env.OPENECI_BIN,
    path.join(REPO_ROOT, 'build/dev/src/server/openeci'),
    path.join(REPO_ROOT, 'build/release/src/server/openeci'),
  ].filter(Boolean);
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new Error(`OpenECI server binary not found (tried ${candidates.join(', ')})`);
  return found;
}

function ensureImages() {
  const dir = process.env.OPENECI_IMAGES_DIR ?? path.join(REPO_ROOT, 'build/images');
  if (!['busybox.tar', 'pause.tar', 'tls.tar'].every((f) => fs.existsSync(path.join(dir, f)))) {
    execFileSync(path.join(REPO_ROOT, 'scripts/images/build.sh'), [dir], { stdio: 'inherit' });
  }
  return {
    pause: path.join(dir, 'pause.tar'),
    busybox: path.join(dir, 'busybox.tar'),
    tls: path.join(dir, 'tls.tar'), // busybox + openssl (HTTPS probe tests)
  };
}

// Spawns a long-running process in its own process group with output to `log`.
function spawnLogged(cmd, args, { env, log }) {
  const fd = fs.openSync(log, 'a');
  const child = spawn(cmd, args, { env, detached: true, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return child;
}

async function stopChild(child, graceMs = 15000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(child.pid, 'SIGTERM');
  } catch {
    return;
  }
  let timer;
  const res = await Promise.race([
    child.exited,
    new Promise((r) => { timer = setTimeout(() => r(null), graceMs); }),
  ]);
  clearTimeout(timer);
  if (res === null) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // gone
    }
    await child.exited;
  }
}

export class Registry {
  constructor(dir, name, { auth }) {
    this.dir = path.join(dir, name);
    this.name = name;
    this.auth = auth;
  }

  async start() {
    fs.mkdirSync(path.join(this.dir, 'storage'), { recursive: true });
    this.port = await freePort();
    this.host = `127.0.0.1:${this.port}`;
    let authYaml = '';
    if (this.auth) {
      const htpasswd = execFileSync('htpasswd', ['-Bbn', REGISTRY_USER, REGISTRY_PASSWORD], {
        encoding: 'utf8',
      });
      fs.writeFileSync(path.join(this.dir, 'htpasswd'), htpasswd);
      authYaml = `auth:\n  htpasswd:\n    realm: openeci-it\n    path: ${path.join(this.dir, 'htpasswd')}\n`;
    }
    const config = path.join(this.dir, 'config.yml');
    fs.writeFileSync(
      config,
      'version: 0.1\n' +
        'log:\n  level: warn\n  accesslog:\n    disabled: true\n' +
        `storage:\n  filesystem:\n    rootdirectory: ${path.join(this.dir, 'storage')}\n` +
        '  delete:\n    enabled: true\n' +
        `http:\n  addr: ${this.host}\n` +
        authYaml,
    );
    this.log = path.join(this.dir, 'registry.log');
    this.child = spawnLogged('docker-registry', ['serve', config], { env: process.env, log: this.log });
    const want = this.auth ? 401 : 200;
    const deadline = Date.now() + 20000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) break;
      if ((await httpStatus(`http://${this.host}/v2/`)) === want) return this;
      await sleep(100);
    }
    throw new Error(`registry ${this.name} did not come up on ${this.host}:\n${tail(this.log)}`);
  }

  async push(archive, repoTag) {
    const args = ['copy', '--quiet', '--dest-tls-verify=false'];
    if (this.auth) args.push('--dest-creds', `${REGISTRY_USER}:${REGISTRY_PASSWORD}`);
    args.push(`oci-archive:${archive}`, `docker://${this.host}/${repoTag}`);
    await execFileP('skopeo', args, { timeout: 60000 });
    return `${this.host}/${repoTag}`;
  }

  stop() {
    return stopChild(this.child, 5000);
  }
}

export class Stack {
  // `env`: extra OPENECI_* settings for this stack's server (e.g. a short token TTL).
  constructor(name, { env = {} } = {}) {
    this.name = name;
    this.extraEnv = env;
    this.accessKeyId = ACCESS_KEY_ID;
    this.accessKeySecret = ACCESS_KEY_SECRET;
    this.groups = new Set(); // every group id this stack created (for cleanup)
    this.stopped = false;
  }

  // ---- lifecycle --------------------------------------------------------------------------

  async start() {
    const t0 = Date.now();
    this.bin = findServerBinary();
    this.imageArchives = ensureImages();
    // Short path: containerd's socket lives below it and unix socket paths max out at 107.
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `oeci-${this.name.slice(0, 12)}-`));
    this.stateDir = path.join(this.dir, 'state');
    this.socket = path.join(this.stateDir, 'containerd', 'containerd.sock');
    this.serverLog = path.join(this.dir, 'server.log');
    installExitHandlers(this);
    this.record();

    this.openRegistry = await new Registry(this.dir, 'registry-open', { auth: false }).start();
    this.authRegistry = await new Registry(this.dir, 'registry-auth', { auth: true }).start();
    this.record();
    [this.publicImage, this.privateImage] = await Promise.all([
      this.openRegistry.push(this.imageArchives.busybox, 'library/busybox:1.36'),
      this.authRegistry.push(this.imageArchives.busybox, 'private/busybox:1.36'),
    ]);

    this.port = await freePort();
    this.host = `127.0.0.1:${this.port}`;
    this.endpoint = `http://${this.host}`;
    const t1 = Date.now();
    await this.startServer();
    console.error(`# ${this.name}: stack up in ${Date.now() - t0} ms (server ${Date.now() - t1} ms)`);
    return this;
  }

  serverEnv() {
    return {
      ...process.env,
      OPENECI_LISTEN: this.host,
      OPENECI_STATE_DIR: this.stateDir,
      OPENECI_ACCESS_KEY_ID: this.accessKeyId,
      OPENECI_ACCESS_KEY_SECRET: this.accessKeySecret,
      OPENECI_REGION: REGION,
      OPENECI_ZONE: ZONE,
      OPENECI_VSWITCH: VSWITCH,
      OPENECI_SECURITY_GROUP: SECURITY_GROUP,
      OPENECI_SUBNET: SUBNET,
      OPENECI_BRIDGE: BRIDGE,
      OPENECI_SANDBOX_IMAGE_ARCHIVE: this.imageArchives.pause,
      OPENECI_BACKOFF_BASE_MS: '200',
      OPENECI_BACKOFF_MAX_MS: '2000',
      // busybox `sleep` is PID 1 of its container and ignores SIGTERM: keep deletes quick.
      OPENECI_STOP_GRACE_SECONDS: '2',
      // Node capacity admission counts the groups' requested vCPUs and memory (2 vCPU / 4 GiB
      // each by default): suites that create many tiny groups on a 2-core test machine are not
      // about capacity (validation.test.mjs configures a small node itself).
      OPENECI_CPU_OVERCOMMIT: '32',
      OPENECI_MEMORY_OVERCOMMIT: '16',
      // Per-account throttling off: suites send as fast as they like (tenancy.test.mjs turns
      // it on for itself).
      OPENECI_THROTTLE_READ_RATE: '0',
      OPENECI_THROTTLE_WRITE_RATE: '0',
      ...this.extraEnv,
    };
  }

  async startServer(timeoutMs = 60000) {
    const offset = fs.existsSync(this.serverLog) ? fs.statSync(this.serverLog).size : 0;
    fs.appendFileSync(this.serverLog, `\n==== openeci serve started by tests at ${new Date().toISOString()}\n`);
    this.server = spawnLogged(this.bin, ['serve'], { env: this.serverEnv(), log: this.serverLog });
    this.record();
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const text = fs.readFileSync(this.serverLog, 'utf8').slice(offset);
      const m = READY_RE.exec(text);
      if (m) {
        if (m[1] !== this.host) {
          throw new Error(`server says it listens on ${m[1]}, expected ${this.host}`);
        }
        return;
      }
      if (this.server.exitCode !== null || this.server.signalCode !== null) {
        throw new Error(`openeci exited (${this.server.exitCode ?? this.server.signalCode}) ` +
          `before it was ready:\n${tail(this.serverLog)}`);
      }
      await sleep(100);
    }
    throw new Error(`openeci not ready after ${timeoutMs} ms:\n${tail(this.serverLog)}`);
  }

  // `openeci keys <args>` on this stack's store (also while the server runs); its stdout.
  async keys(args) {
    const { stdout } = await execFileP(this.bin, ['keys', ...args],
      { env: this.serverEnv(), timeout: 20000 });
    return stdout;
  }

  // SIGKILL of the server process only (what its children do is the server's business).
  async kill9() {
    process.kill(this.server.pid, 'SIGKILL');
    await this.server.exited;
  }

  // Starts the server again on the same state dir and port; stops it first (SIGTERM) if it runs.
  async restart() {
    await stopChild(this.server, 30000);
    await this.startServer();
  }

  // Tears everything down: leftover groups through the API, the server (SIGTERM), then the
  // registries, then whatever is still there (lib/reap.mjs). Safe to call twice.
  async stop() {
    if (this.stopped) return this.leftovers ?? [];
    this.stopped = true;
    const t0 = Date.now();
    if (this.server && !alive(this.server.pid)) {
      // Killed by a test (kill9) and not restarted: only a running server can tear its pods
      // down properly (network namespaces, CNI state, iptables), so bring it back for that.
      await this.startServer(30000).catch((e) => console.error(`# ${this.name}: ${e.message}`));
    }
    if (this.server && alive(this.server.pid)) {
      try {
        for (const id of await this.ctrGroupIds()) this.groups.add(id);
      } catch {
        // containerd may be gone
      }
      this.record();
      await this.deleteAllGroups(20000).catch(() => {});
    }
    await stopChild(this.server, 30000);
    await Promise.all([this.openRegistry?.stop(), this.authRegistry?.stop()]);
    const sanitizerReport = this.server ? sanitizerReportIn(this.serverLog) : null;
    const keep = process.env.OPENECI_IT_KEEP === '1';
    this.leftovers = reapStack({ ...this.reapRecord(), dir: keep ? null : this.dir });
    if (keep) {
      // Only processes: keep files for inspection.
      for (const pid of pidsMentioning(this.dir)) process.kill(pid, 'SIGKILL');
      console.error(`# OPENECI_IT_KEEP: kept ${this.dir}`);
    }
    if (this.leftovers.length) {
      console.error(`# ${this.name}: teardown had to clean up after the server:\n#   ` +
        this.leftovers.join('\n#   '));
    }
    this.record({ done: true });
    console.error(`# ${this.name}: stack down in ${Date.now() - t0} ms`);
    if (sanitizerReport) {
      throw new Error(`${this.name}: the server's log has a sanitizer report:\n${sanitizerReport}`);
    }
    return this.leftovers;
  }

  // What lib/reap.mjs needs to clean up after this stack.
  reapRecord() {
    const live = (c) => (c && c.exitCode === null && c.signalCode === null ? c.pid : undefined);
    return {
      dir: this.dir,
      serverPid: live(this.server),
      pids: [live(this.openRegistry?.child), live(this.authRegistry?.child)].filter(Boolean),
      groups: [...this.groups],
      bridge: BRIDGE,
    };
  }

  // Writes OPENECI_IT_RUN_DIR/<name>-<pid>.json for scripts/test's last-resort reaper.
  record(extra = {}) {
    const runDir = process.env.OPENECI_IT_RUN_DIR;
    if (!runDir) return;
    const rec = { testPid: extra.done ? undefined : process.pid, ...this.reapRecord(), ...extra };
    try {
      fs.mkdirSync(runDir, { recursive: true });
      fs.writeFileSync(path.join(runDir, `${this.name}-${process.pid}.json`), JSON.stringify(rec));
    } catch {
      // best effort
    }
  }

  // ---- clients ----------------------------------------------------------------------------

  // The eci20180808 client as a user configures it: default V3 signing, default timeouts.
  sdk(extra = {}) {
    return new Eci(new openapi.Config({
      endpoint: this.host,
      protocol: 'http',
      accessKeyId: this.accessKeyId,
      accessKeySecret: this.accessKeySecret,
      ...extra,
    }));
  }

  popClient() {
    return new Pop.RPCClient({
      accessKeyId: this.accessKeyId,
      accessKeySecret: this.accessKeySecret,
      endpoint: this.endpoint,
      apiVersion: '2018-08-08',
    });
  }

  // pop-core GET (params in the query). Returns {request(action, params)}.
  popGet() {
    const c = this.popClient();
    return { client: c, request: (action, params = {}) => c.request(action, params, {}) };
  }

  // pop-core POST (all params in a form body).
  popPost() {
    const c = this.popClient();
    return { client: c, request: (action, params = {}) => c.request(action, params, { method: 'POST' }) };
  }

  // ---- API helpers ------------------------------------------------------------------------

  // A minimal valid CreateContainerGroup request (camelCase model fields) with one sleeper
  // container from the open registry; `over` is merged on top.
  // The SDK's Container of a small sleeper named "main" from the public registry; `over`
  // replaces or adds fields.
  mainContainer(over = {}) {
    return {
      name: 'main',
      image: this.publicImage,
      imagePullPolicy: 'IfNotPresent',
      command: SLEEPER,
      cpu: 0.25,
      memory: 0.25,
      ...over,
    };
  }

  groupRequest(name, over = {}) {
    return {
      regionId: REGION,
      zoneId: ZONE,
      vSwitchId: VSWITCH,
      securityGroupId: SECURITY_GROUP,
      containerGroupName: name,
      restartPolicy: 'Never',
      container: [this.mainContainer()],
      ...over,
    };
  }

  // CreateContainerGroup through the SDK; remembers the id for cleanup; returns the id.
  async create(req, client = this.sdk()) {
    const res = await client.createContainerGroup(new $Eci.CreateContainerGroupRequest(req));
    const id = res.body.containerGroupId;
    if (id) {
      this.groups.add(id);
      this.record();
    }
    return id;
  }

  track(id) {
    this.groups.add(id);
    this.record();
  }

  async describe(groupId, client = this.sdk()) {
    const res = await client.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({
      regionId: REGION,
      containerGroupIds: JSON.stringify([groupId]),
    }));
    return (res.body.containerGroups ?? []).find((g) => g.containerGroupId === groupId);
  }

  async delete(groupId, client = this.sdk()) {
    await client.deleteContainerGroup(new $Eci.DeleteContainerGroupRequest({
      regionId: REGION,
      containerGroupId: groupId,
    }));
  }

  async restartGroup(groupId, client = this.sdk()) {
    await client.restartContainerGroup(new $Eci.RestartContainerGroupRequest({
      regionId: REGION,
      containerGroupId: groupId,
    }));
  }

  // ExecContainerCommand with Sync: `command` (an argv array) in the group's container; returns
  // what it printed.
  async execSync(groupId, containerName, command, client = this.sdk()) {
    const res = await client.execContainerCommand(new $Eci.ExecContainerCommandRequest({
      regionId: REGION, containerGroupId: groupId, containerName,
      command: JSON.stringify(command), sync: true,
    }));
    return res.body.syncResponse;
  }

  // Every group the server lists (all pages).
  async listAll(client = this.sdk()) {
    const out = [];
    let nextToken;
    do {
      const res = await client.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({
        regionId: REGION,
        limit: 20,
        nextToken,
      }));
      out.push(...(res.body.containerGroups ?? []));
      nextToken = res.body.nextToken || undefined;
    } while (nextToken && out.length < 10000);
    return out;
  }

  // Polls DescribeContainerGroups until predicate(group) is true (group is undefined when the
  // server does not list it). Returns that group; on timeout throws with the last state seen.
  async waitFor(groupId, predicate, timeoutMs = 60000, intervalMs = 250) {
    const deadline = Date.now() + timeoutMs;
    let last;
    let lastErr;
    while (Date.now() < deadline) {
      try {
        last = await this.describe(groupId);
        lastErr = undefined;
      } catch (e) {
        lastErr = e; // transient (e.g. a server restart): keep polling
      }
      if (!lastErr && predicate(last)) return last; // a throwing predicate ends the wait
      await sleep(intervalMs);
    }
    throw new Error(`waitFor(${groupId}) timed out after ${timeoutMs} ms; last state: ` +
      (lastErr ? `error ${lastErr.message}` : JSON.stringify(summarize(last), null, 1)));
  }

  // Deletes every group the server lists and waits (up to budgetMs) until none is listed.
  async deleteAllGroups(budgetMs = 30000) {
    const deadline = Date.now() + budgetMs;
    const groups = await this.listAll();
    for (const g of groups) {
      this.groups.add(g.containerGroupId);
      await this.delete(g.containerGroupId).catch(() => {});
    }
    while (Date.now() < deadline) {
      if ((await this.listAll()).length === 0) return true;
      await sleep(300);
    }
    return false;
  }

  // Pushes busybox plus `layers` layers of `bytes` random bytes each (never seen by containerd,
  // so a pull really downloads them) to the open registry as `repoTag`; returns the image.
  pushRandomImage(repoTag, { layers = 2, bytes = 3 << 20 } = {}) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oeci-img-'));
    const layout = path.join(dir, 'layout');
    const bundle = path.join(dir, 'bundle');
    try {
      execFileSync('skopeo', ['copy', '-q', `oci-archive:${this.imageArchives.busybox}`,
        `oci:${layout}:1`]);
      for (let i = 0; i < layers; i++) {
        execFileSync('umoci', ['unpack', '--image', `${layout}:1`, bundle], { stdio: 'ignore' });
        execFileSync('sh', ['-c', `head -c ${bytes} /dev/urandom > ${bundle}/rootfs/blob${i}`]);
        execFileSync('umoci', ['repack', '--image', `${layout}:1`, bundle], { stdio: 'ignore' });
        fs.rmSync(bundle, { recursive: true, force: true });
      }
      execFileSync('skopeo', ['copy', '-q', '--dest-tls-verify=false', `oci:${layout}:1`,
        `docker://${this.openRegistry.host}/${repoTag}`]);
      return `${this.openRegistry.host}/${repoTag}`;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  // ---- containerd view --------------------------------------------------------------------

  async ctr(args, { timeoutMs = 20000 } = {}) {
    const { stdout } = await execFileP('ctr', ['--address', this.socket, '-n', 'k8s.io', ...args], {
      timeout: timeoutMs,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  }

  // [{id, kind: 'sandbox'|'container', labels, info}] of the group, from `ctr containers`.
  async ctrContainers(groupId) {
    const ids = (await this.ctr(['containers', 'ls', '-q', `labels."openeci.group-id"==${groupId}`]))
      .split('\n').map((s) => s.trim()).filter(Boolean);
    const out = [];
    for (const id of ids) {
      // The controller may remove a container between `ls` and `info` (a finished group
      // releases its containers at once): one that is gone is simply not listed.
      let text;
      try {
        text = await this.ctr(['containers', 'info', id]);
      } catch (e) {
        if (/not found/.test(String(e.stderr ?? e.message))) continue;
        throw e;
      }
      const info = JSON.parse(text);
      const labels = info.Labels ?? {};
      out.push({ id, kind: labels['io.cri-containerd.kind'], labels, info });
    }
    return out;
  }

  // Map task id -> {pid, status} from `ctr tasks ls`.
  async ctrTasks() {
    const tasks = new Map();
    for (const line of (await this.ctr(['tasks', 'ls'])).split('\n').slice(1)) {
      const [id, pid, status] = line.trim().split(/\s+/);
      if (id) tasks.set(id, { pid: Number(pid), status });
    }
    return tasks;
  }

  // The group's containerd objects: sandboxes and containers, with the task pid and status
  // of each ({..., task: {pid, status} | undefined}).
  async ctrGroup(groupId) {
    const [objs, tasks] = [await this.ctrContainers(groupId), await this.ctrTasks()];
    for (const o of objs) o.task = tasks.get(o.id);
    return {
      sandboxes: objs.filter((o) => o.kind === 'sandbox'),
      containers: objs.filter((o) => o.kind === 'container'),
      all: objs,
    };
  }

  // The one running (non-sandbox) container of the group with its process; throws otherwise.
  async runningContainer(groupId) {
    const { containers } = await this.ctrGroup(groupId);
    const running = containers.filter((c) => c.task?.status === 'RUNNING');
    if (running.length !== 1) {
      throw new Error(`expected 1 running container for ${groupId}, got ` +
        JSON.stringify(containers.map((c) => ({ id: c.id, task: c.task }))));
    }
    return { ...running[0], proc: procInfo(running[0].task.pid) };
  }

  async ctrGroupIds() {
    const ids = new Set();
    for (const id of (await this.ctr(['containers', 'ls', '-q'])).split('\n').map((s) => s.trim()).filter(Boolean)) {
      try {
        const info = JSON.parse(await this.ctr(['containers', 'info', id]));
        const g = info.Labels?.['openeci.group-id'];
        if (g) ids.add(g);
      } catch {
        // raced with removal
      }
    }
    return ids;
  }
}

// What the kernel says about a process: argv, environment, cwd and cgroup paths per controller.
export function procInfo(pid) {
  const nulSplit = (s) => s.split('\0').filter((x, i, a) => !(x === '' && i === a.length - 1));
  const env = {};
  for (const kv of nulSplit(fs.readFileSync(`/proc/${pid}/environ`, 'utf8'))) {
    const i = kv.indexOf('=');
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  const cgroups = {};
  for (const line of fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    for (const c of m[1].split(',')) cgroups[c || 'unified'] = m[2];
  }
  return {
    pid,
    argv: nulSplit(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')),
    env,
    cwd: fs.readlinkSync(`/proc/${pid}/cwd`),
    cgroups,
  };
}

export function readCgroupValue(controller, cgroupPath, file) {
  return fs.readFileSync(path.join('/sys/fs/cgroup', controller, cgroupPath, file), 'utf8').trim();
}

// Awaits an API call that must fail; checks the error (SDK or pop-core) and returns it.
// want: {code, status?, message?: RegExp}. For the eci20180808 SDK `status` is the HTTP status.
export async function expectApiError(promise, want) {
  let err;
  try {
    const res = await promise;
    assert.fail(`expected ${want.code}, got success: ${JSON.stringify(res?.body ?? res)}`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    err = e;
  }
  const data = err.data ?? {};
  assert.equal(err.code, want.code, `error code (message: ${err.message})`);
  if (want.status !== undefined) assert.equal(err.statusCode ?? data.statusCode, want.status);
  if (want.message) assert.match(data.Message ?? err.message, want.message);
  for (const field of ['RequestId', 'Code', 'Message']) {
    assert.equal(typeof data[field], 'string', `error body has ${field}: ${JSON.stringify(data)}`);
  }
  return err;
}

// Short view of a group for failure messages.
export function summarize(g) {
  if (!g) return g;
  return {
    id: g.containerGroupId,
    status: g.status,
    ip: g.intranetIp,
    containers: (g.containers ?? []).map((c) => ({
      name: c.name,
      ready: c.ready,
      restartCount: c.restartCount,
      current: c.currentState,
      previous: c.previousState,
    })),
    events: (g.events ?? []).map((e) => `${e.reason}: ${e.message}`),
  };
}

// ---- teardown on abnormal exit ------------------------------------------------------------

const liveStacks = new Set();
let handlersInstalled = false;

function installExitHandlers(stack) {
  liveStacks.add(stack);
  if (handlersInstalled) return;
  handlersInstalled = true;
  // Synchronous last resort: the process is exiting and stop() did not finish.
  process.on('exit', () => {
    for (const s of liveStacks) {
      if (s.leftovers) continue;
      reapStack(s.reapRecord());
    }
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, async () => {
      const timer = setTimeout(() => process.exit(128 + os.constants.signals[sig]), 60000);
      timer.unref();
      for (const s of liveStacks) await s.stop().catch(() => {});
      process.exit(128 + os.constants.signals[sig]);
    });
  }
}

export async function startStack(name, options = {}) {
  const s = new Stack(name, options);
  try {
    await s.start();
  } catch (e) {
    await s.stop().catch(() => {});
    throw e;
  }
  return s;
}

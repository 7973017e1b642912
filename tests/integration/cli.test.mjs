// The `eci` command-line client (build/dev/src/cli/eci, or OPENECI_ECI_BIN) against the real
// stack, the way a person uses it at a terminal: configure a profile, run --wait, ps, describe,
// logs and logs -f, exec (plain, and -it inside a pseudo-terminal with a resize), rm, restart,
// image-cache create/ls/rm, top --once, regions, --output json, create -f, and the documented
// exit codes (1 API error, 2 usage, 3 connection, exec passes the remote code through), and
// the pull progress run --wait shows for an image pulled through a throttling proxy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { startStack, sleep, inSubnet, freePort, REGION, ZONE, REPO_ROOT, SLEEPER } from './lib/stack.mjs';

const ECI = process.env.OPENECI_ECI_BIN ?? [
  path.join(REPO_ROOT, 'build/dev/src/cli/eci'),
  path.join(REPO_ROOT, 'build/release/src/cli/eci'),
].find((p) => fs.existsSync(p));

// One line a second, forever, and a clean exit on SIGTERM.
const TICKER = 'trap "exit 0" TERM; i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 1; done';

let stack;
let home;     // HOME of every eci call: the config lives below it
let config;   // the config file eci configure writes
let webId;    // a Running group "cli-web" printing ticks

// Runs eci with `args`; resolves {code, stdout, stderr} (never rejects on a non-zero exit).
function eci(args, { env = {}, input, timeoutMs = 120000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(ECI, args, {
      env: { PATH: process.env.PATH, HOME: home, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? 128, signal, stdout, stderr });
    });
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

async function eciOk(args, opts) {
  const r = await eci(args, opts);
  assert.equal(r.code, 0, `eci ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

// Rows of a table as arrays of cells (split on runs of 2+ spaces), header first.
function table(text) {
  return text.trimEnd().split('\n').map((line) => line.trim().split(/\s{2,}/));
}

// Listens on 127.0.0.1 and forwards each connection to `targetPort`, passing the replies on at
// about `bytesPerSecond`, so that a pull through it lasts a few seconds. Resolves
// {port, close()}.
function slowProxy(targetPort, bytesPerSecond) {
  const sockets = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    const t0 = Date.now();
    let sent = 0;
    client.pipe(upstream);
    upstream.on('data', (chunk) => {
      client.write(chunk);
      sent += chunk.length;
      const ahead = (sent / bytesPerSecond) * 1000 - (Date.now() - t0);
      if (ahead > 0) {
        upstream.pause();
        setTimeout(() => upstream.resume(), ahead);
      }
    });
    upstream.on('end', () => client.end());
    for (const s of [client, upstream]) {
      s.on('error', () => { client.destroy(); upstream.destroy(); });
      s.on('close', () => sockets.delete(s));
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: server.address().port,
    close: () => { for (const s of sockets) s.destroy(); server.close(); },
  })));
}

before(async () => {
  assert.ok(ECI, 'eci binary not built (cmake --build build/dev --target eci)');
  stack = await startStack('cli', { env: { OPENECI_METRICS_INTERVAL_SECONDS: '1' } });
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'oeci-cli-home-'));
  config = path.join(home, '.openeci', 'config.json');
});

after(async () => {
  await stack?.stop();
  if (home) fs.rmSync(home, { recursive: true, force: true });
});

test('configure writes a 0600 profile that later commands use', async () => {
  const r = await eciOk(['configure', '--endpoint', stack.host,
    '--access-key-id', stack.accessKeyId, '--access-key-secret', stack.accessKeySecret,
    '--region', REGION]);
  assert.match(r.stdout, /Saved profile "default"/);
  assert.equal(fs.statSync(config).mode & 0o777, 0o600);
  const saved = JSON.parse(fs.readFileSync(config, 'utf8'));
  assert.equal(saved.current, 'default');
  assert.deepEqual(saved.profiles.default, {
    endpoint: stack.endpoint, access_key_id: stack.accessKeyId,
    access_key_secret: stack.accessKeySecret, region_id: REGION,
  });
  // Shown back with the secret masked.
  const shown = await eciOk(['configure']);
  assert.match(shown.stdout, new RegExp(`endpoint: +${stack.endpoint}`));
  assert.doesNotMatch(shown.stdout, new RegExp(stack.accessKeySecret));
});

test('regions: table and raw JSON', async () => {
  const rows = table((await eciOk(['regions'])).stdout);
  assert.deepEqual(rows[0], ['REGION', 'ENDPOINT', 'ZONES']);
  assert.equal(rows[1][0], REGION);
  assert.match(rows[1][2], new RegExp(ZONE));
  const json = JSON.parse((await eciOk(['regions', '--output', 'json'])).stdout);
  assert.equal(json.Regions[0].RegionId, REGION);
  assert.equal(typeof json.RequestId, 'string');
});

test('run --wait prints the state changes and events until Running', async () => {
  const r = await eciOk(['run', '--name', 'cli-web', '--image', stack.publicImage,
    '--cpu', '0.25', '--memory', '0.25', '-e', 'GREETING=hello world', '-p', '8080/tcp',
    '--tag', 'team=cli', '--restart', 'Always', '--wait', '--', '/bin/sh', '-c', TICKER]);
  webId = r.stdout.trim();
  assert.match(webId, /^eci-/);
  stack.track(webId);
  assert.match(r.stderr, /Status: Pending/);
  assert.match(r.stderr, /Pulling\tPulling image/);
  assert.match(r.stderr, /Started\t/);
  assert.match(r.stderr, /Status: Running/);
  const g = await stack.describe(webId);
  assert.equal(g.status, 'Running');
  const c = g.containers[0];
  assert.equal(c.name, 'cli-web');
  assert.deepEqual(c.commands, ['/bin/sh', '-c', TICKER]);
  assert.deepEqual(c.environmentVars.map((e) => [e.key, e.value]), [['GREETING', 'hello world']]);
  assert.deepEqual(c.ports.map((p) => [p.port, p.protocol]), [[8080, 'TCP']]);
  assert.deepEqual(g.tags.map((t) => [t.key, t.value]), [['team', 'cli']]);
  // The process really runs with that environment.
  const proc = (await stack.runningContainer(webId)).proc;
  assert.equal(proc.env.GREETING, 'hello world');
});

test('run --wait shows the byte progress of a slow pull before Running', async () => {
  stack.pushRandomImage('slow/big:1');
  const proxy = await slowProxy(stack.openRegistry.port, 1024 * 1024);
  try {
    const image = `127.0.0.1:${proxy.port}/slow/big:1`;
    const r = await eciOk(['run', '--name', 'cli-slow-pull', '--image', image, '--wait',
      '--timeout', '120s', '--', ...SLEEPER]);
    const id = r.stdout.trim();
    stack.track(id);
    // Not a terminal: each progress event is a plain line.
    const progress = new RegExp(`PullProgress\\tPulling image "${image}": ` +
      '(layer \\d+ of \\d+ done, )?[\\d.]+ (B|KiB|MiB) of [\\d.]+ MiB');
    const lines = r.stderr.split('\n');
    const first = lines.findIndex((l) => progress.test(l));
    assert.ok(first >= 0, `no progress line:\n${r.stderr}`);
    const shown = lines.filter((l) => progress.test(l));
    console.error(`# ${shown.length} progress line(s), last: ${shown.at(-1).trim()}`);
    assert.ok(first < lines.findIndex((l) => l === 'Status: Running'), r.stderr);
    assert.ok(lines.findIndex((l) => /\tPulled\t/.test(l)) > first, r.stderr);
    await eciOk(['rm', id]);
  } finally {
    proxy.close();
  }
});

test('run --wait fails with exit code 1 when the image cannot be pulled', async () => {
  const port = await freePort();
  const r = await eci(['run', '--name', 'cli-bad-image', '--image', `127.0.0.1:${port}/nope:1`,
    '--wait', '--timeout', '60s']);
  const id = r.stdout.trim();
  if (id.startsWith('eci-')) stack.track(id);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /Error: eci-\S+ cannot start: container cli-bad-image: (ErrImagePull|ImagePullBackOff)/);
  await eciOk(['rm', id]);
});

test('ps lists the group with ID, name, status, IP, age and restarts; filters work', async () => {
  const rows = table((await eciOk(['ps'])).stdout);
  assert.deepEqual(rows[0], ['ID', 'NAME', 'STATUS', 'IP', 'AGE', 'RESTARTS']);
  const row = rows.find((r) => r[0] === webId);
  assert.ok(row, `ps shows ${webId}: ${JSON.stringify(rows)}`);
  assert.equal(row[1], 'cli-web');
  assert.equal(row[2], 'Running');
  assert.ok(inSubnet(row[3]), `IP ${row[3]}`);
  assert.match(row[4], /^\d+[smhd]$/);
  assert.equal(row[5], '0');

  const byTag = table((await eciOk(['ps', '--tag', 'team=cli'])).stdout);
  assert.deepEqual(byTag.slice(1).map((r) => r[0]), [webId]);
  assert.equal(table((await eciOk(['ps', '--status', 'Failed'])).stdout).length, 1);
  const byName = JSON.parse((await eciOk(['ps', '--name', 'cli-web', '-o', 'json'])).stdout);
  assert.deepEqual(byName.ContainerGroups.map((g) => g.ContainerGroupId), [webId]);
});

test('ps pages through NextToken (more than 20 groups)', async () => {
  // 21 cheap groups that are never started for long: Never + an immediately exiting command.
  const ids = [];
  for (let i = 0; i < 21; i++) {
    const r = await eciOk(['run', '--name', `cli-page-${i}`, '--image', stack.publicImage,
      '--restart', 'Never', '--tag', 'page=yes', '--', '/bin/true']);
    ids.push(r.stdout.trim());
    stack.track(r.stdout.trim());
  }
  const rows = table((await eciOk(['ps', '--tag', 'page=yes'])).stdout).slice(1);
  assert.deepEqual(rows.map((r) => r[0]).sort(), [...ids].sort());
  const rm = await eciOk(['rm', ...ids]);
  assert.deepEqual(rm.stdout.trim().split('\n').sort(), [...ids].sort());
});

test('describe: readable by ID or name, and raw JSON', async () => {
  const text = (await eciOk(['describe', 'cli-web'])).stdout;
  assert.match(text, new RegExp(`ID: +${webId}`));
  assert.match(text, /Status: +Running/);
  assert.match(text, /Env: +GREETING=hello world/);
  assert.match(text, /Ports: +8080\/TCP/);
  assert.match(text, /State: +Running since/);
  assert.match(text, /Events:\n +TYPE +REASON/);
  assert.match(text, /Normal +Started/);
  const json = JSON.parse((await eciOk(['describe', webId, '-o', 'json'])).stdout);
  assert.equal(json.ContainerGroupId, webId);
  assert.equal(json.Containers[0].Name, 'cli-web');
});

test('logs: content, --tail, --timestamps, --since', async () => {
  let out = '';
  for (let i = 0; i < 40 && !/tick 3\n/.test(out); i++) {
    out = (await eciOk(['logs', 'cli-web'])).stdout;
    await sleep(250);
  }
  assert.match(out, /^tick 1\ntick 2\ntick 3\n/);
  const tail = (await eciOk(['logs', '--tail', '1', webId])).stdout;
  assert.match(tail, /^tick \d+\n$/);
  const stamped = (await eciOk(['logs', '--tail', '2', '--timestamps', webId])).stdout;
  const lines = stamped.trimEnd().split('\n');
  assert.equal(lines.length, 2);
  for (const l of lines) assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z tick \d+$/);
  const recent = (await eciOk(['logs', '--since', '3s', webId])).stdout.trimEnd().split('\n');
  assert.ok(recent.length >= 1 && recent.length <= 5, `--since 3s gave ${recent.length} lines`);
});

test('logs -f prints every new line once and ends with the container', async () => {
  const r = await eciOk(['run', '--name', 'cli-counter', '--image', stack.publicImage,
    '--restart', 'Never', '--wait', '--',
    '/bin/sh', '-c', 'for i in 1 2 3 4 5 6; do echo "line $i"; echo "same"; sleep 1; done']);
  const id = r.stdout.trim();
  stack.track(id);
  const t0 = Date.now();
  const f = await eciOk(['logs', '-f', id], { timeoutMs: 60000 });
  const want = [];
  for (let i = 1; i <= 6; i++) want.push(`line ${i}`, 'same');
  assert.deepEqual(f.stdout.trimEnd().split('\n'), want);
  // It followed (the container ran for ~6 s) and stopped by itself when the container ended.
  assert.ok(Date.now() - t0 >= 2000, `logs -f returned after ${Date.now() - t0} ms`);
  await eciOk(['rm', id]);
});

test('exec: plain command, stdout/stderr separated, exit code passed through', async () => {
  const r = await eci(['exec', 'cli-web', '--', 'sh', '-c', 'echo out; echo err >&2; exit 7']);
  assert.equal(r.code, 7, r.stderr);
  assert.equal(r.stdout, 'out\n');
  assert.equal(r.stderr, 'err\n');
  const ok = await eciOk(['exec', webId, 'cli-web', '--', 'cat', '/proc/1/cmdline']);
  assert.match(ok.stdout, /tick/);
});

test('exec -i forwards stdin', async () => {
  // The command reads one line; stdin cannot be half-closed, so it must not wait for EOF.
  const r = await eci(['exec', '-i', 'cli-web', '--', 'sh', '-c', 'read line; echo "got $line"'],
    { input: 'hello\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'got hello\n');
});

// Drives `eci exec -it` in a pseudo-terminal (python3's pty): size 30x100 at start, then a
// resize to 40x120 (SIGWINCH), typing into the remote shell, and the exit code.
const PTY_DRIVER = `
import fcntl, os, pty, select, struct, sys, termios, time
def setsize(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
pid, fd = pty.fork()
if pid == 0:
    setsize(0, 30, 100)
    os.execv(sys.argv[1], sys.argv[1:])
out = b''
def until(pattern, timeout=20):
    global out
    end = time.time() + timeout
    while pattern.encode() not in out:
        r, _, _ = select.select([fd], [], [], max(0, end - time.time()))
        if not r:
            sys.stderr.write('timeout waiting for %r; got %r\\n' % (pattern, out)); sys.exit(99)
        try:
            data = os.read(fd, 4096)
        except OSError:
            data = b''
        if not data:
            sys.stderr.write('eof waiting for %r; got %r\\n' % (pattern, out)); sys.exit(98)
        out += data
os.write(fd, b'stty size; echo "A$((6*7))"\\r')
until('A42')
setsize(fd, 40, 120)
time.sleep(1)
os.write(fd, b'stty size; echo "B$((6*8))"\\r')
until('B48')
os.write(fd, b'exit 3\\r')
while True:
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    out += data
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors='replace'))
sys.exit(os.waitstatus_to_exitcode(status))
`;

test('exec -it: raw terminal through a pty, resize, exit code', async () => {
  const r = await new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', PTY_DRIVER, ECI, 'exec', '-it', 'cli-web', '--', 'sh'], {
      env: { PATH: process.env.PATH, HOME: home },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  assert.equal(r.code, 3, `pty run: ${r.stderr}\n${r.stdout}`);
  assert.match(r.stdout, /30 100\r\n/);  // the initial size
  assert.match(r.stdout, /A42/);
  assert.match(r.stdout, /40 120\r\n/);  // after SIGWINCH
  assert.match(r.stdout, /B48/);
});

test('top --once shows CPU and memory of the running group', async () => {
  let row;
  let out;
  for (let i = 0; i < 40; i++) {
    out = (await eciOk(['top', '--once'])).stdout;
    row = table(out).find((r) => r[0] === webId);
    if (row && row[2] !== '-') break;
    await sleep(500);
  }
  assert.deepEqual(table(out)[0], ['ID', 'NAME', 'CPU', 'CPU%', 'MEMORY', 'SAMPLED']);
  assert.ok(row && row[2] !== '-', `top: ${out}`);
  assert.match(row[2], /^\d+m$/);
  assert.match(row[3], /^\d+%$/);
  assert.match(row[4], /^\d+(\.\d)?(Ki|Mi|Gi)?$/);
  const json = JSON.parse((await eciOk(['top', '--once', '-o', 'json'])).stdout);
  assert.ok(json.MonitorDatas.some((d) => d.ContainerGroupId === webId));
});

test('restart: the group gets a new sandbox and runs again', async () => {
  const before = (await stack.ctrGroup(webId)).sandboxes.map((s) => s.id);
  const r = await eciOk(['restart', 'cli-web']);
  assert.equal(r.stdout.trim(), webId);
  await stack.waitFor(webId, (g) => g?.status === 'Running' &&
    g.events.some((e) => e.reason === 'Restarting' || /restart/i.test(e.message)), 60000)
    .catch(async () => stack.waitFor(webId, (g) => g?.status === 'Running', 60000));
  let after;
  for (let i = 0; i < 60; i++) {
    after = (await stack.ctrGroup(webId)).sandboxes.filter((s) => s.task?.status === 'RUNNING')
      .map((s) => s.id);
    if (after.length === 1 && !before.includes(after[0])) break;
    await sleep(500);
  }
  assert.ok(after.length === 1 && !before.includes(after[0]),
    `new sandbox: before ${before}, after ${after}`);
});

test('image-cache create shows progress to Ready; ls and rm', async () => {
  const r = await eciOk(['image-cache', 'create', '--name', 'cli-cache', '--image',
    stack.publicImage], { timeoutMs: 180000 });
  const id = r.stdout.trim();
  assert.match(id, /^imc-/);
  assert.match(r.stderr, /Status: Creating/);
  assert.match(r.stderr, /Status: Ready  Progress: 100%/);
  const rows = table((await eciOk(['image-cache', 'ls'])).stdout);
  assert.deepEqual(rows[0], ['ID', 'NAME', 'STATUS', 'PROGRESS', 'SNAPSHOT', 'AGE', 'IMAGES']);
  const row = rows.find((x) => x[0] === id);
  assert.deepEqual([row[1], row[2], row[3], row[6]], ['cli-cache', 'Ready', '100%', stack.publicImage]);
  const json = JSON.parse((await eciOk(['image-cache', 'ls', '-o', 'json'])).stdout);
  assert.ok(json.ImageCaches.some((c) => c.ImageCacheId === id));
  assert.equal((await eciOk(['image-cache', 'rm', 'cli-cache'])).stdout.trim(), id);
  assert.ok(!table((await eciOk(['image-cache', 'ls'])).stdout).some((x) => x[0] === id));
  const none = await eci(['image-cache', 'rm', id]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /Error: InvalidParameter.NotFound/);
});

test('create -f: a YAML template (CreateContainerGroupFromTemplate)', async (t) => {
  const file = path.join(home, 'web.yaml');
  fs.writeFileSync(file, `regionId: ${REGION}
containerGroupName: cli-template
restartPolicy: Never
tags:
  - key: from
    value: template
spec:
  containers:
    - name: app
      image: ${stack.publicImage}
      imagePullPolicy: IfNotPresent
      command: ["/bin/sh", "-c"]
      args: ["echo from-template; sleep 30"]
      resources: {cpu: 0.25, memory: 0.25}
`);
  const r = await eci(['create', '-f', file, '--wait']);
  if (r.code === 1 && /InvalidAction/.test(r.stderr)) {
    // The server action is another branch's work; until it is merged the error is reported.
    assert.match(r.stderr, /^Error: InvalidAction: .*\(RequestId [^)]+\)/);
    t.skip('CreateContainerGroupFromTemplate is not implemented by this server yet');
    return;
  }
  assert.equal(r.code, 0, r.stderr);
  const id = r.stdout.trim();
  stack.track(id);
  const g = await stack.describe(id);
  assert.equal(g.containerGroupName, 'cli-template');
  assert.deepEqual(g.tags.map((x) => [x.key, x.value]), [['from', 'template']]);
  await eciOk(['rm', id]);
});

test('create -f refuses a broken YAML file before calling the API (exit 2)', async () => {
  const file = path.join(home, 'broken.yaml');
  fs.writeFileSync(file, 'spec: [1, 2\nname: x\n');
  const r = await eci(['create', '-f', file]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /broken\.yaml is not valid YAML: line \d+/);
});

test('rm deletes by name; the group is gone from ps', async () => {
  const id = (await eciOk(['run', '--name', 'cli-doomed', '--image', stack.publicImage,
    '--', '/bin/sh', '-c', TICKER])).stdout.trim();
  stack.track(id);
  assert.equal((await eciOk(['rm', 'cli-doomed'])).stdout.trim(), id);
  assert.ok(!table((await eciOk(['ps'])).stdout).some((r) => r[0] === id));
});

test('errors: API errors exit 1 with Code, Message and RequestId', async () => {
  const missing = await eci(['describe', 'eci-doesnotexist0000']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^Error: InvalidParameter.NotFound: /);

  const region = await eci(['--region', 'cn-nowhere', 'ps']);
  assert.equal(region.code, 1);
  assert.match(region.stderr, /^Error: RegionNotSupported: .* \(RequestId [0-9A-F-]+\)\nHint: .*eci regions/);

  const secret = await eci(['ps', '--access-key-secret', 'wrong']);
  assert.equal(secret.code, 1);
  assert.match(secret.stderr, /^Error: SignatureDoesNotMatch: .*\nHint: check the access_key_secret/);

  const exited = (await eciOk(['run', '--name', 'cli-exited', '--image', stack.publicImage,
    '--restart', 'Never', '--', '/bin/true'])).stdout.trim();
  stack.track(exited);
  await stack.waitFor(exited, (g) => g?.status === 'Succeeded', 60000);
  const exec = await eci(['exec', exited, '--', 'true']);
  assert.equal(exec.code, 1);
  assert.match(exec.stderr, /^Error: IncorrectStatus: /);
  await eciOk(['rm', exited]);
});

test('errors: usage errors exit 2, connection errors exit 3, with hints', async () => {
  const noName = await eci(['run', '--image', 'x']);
  assert.equal(noName.code, 2);
  assert.match(noName.stderr, /--name is required/);

  const profile = await eci(['--profile', 'nope', 'ps']);
  assert.equal(profile.code, 2);
  assert.match(profile.stderr, /^Error: unknown profile "nope" \(known: default\)\nHint: create it with `eci configure --profile nope/);

  const noEndpoint = await eci(['ps'], { env: { OPENECI_CONFIG: path.join(home, 'none.json') } });
  assert.equal(noEndpoint.code, 2);
  assert.match(noEndpoint.stderr, /^Error: no endpoint/);

  const badDuration = await eci(['logs', '--since', 'soon', 'cli-web']);
  assert.equal(badDuration.code, 2);

  const port = await freePort();
  const refused = await eci(['--endpoint', `127.0.0.1:${port}`, 'ps']);
  assert.equal(refused.code, 3);
  assert.match(refused.stderr, new RegExp(`^Error: cannot reach http://127.0.0.1:${port}: Connection refused\\nHint: is \`openeci serve\` running at http://127.0.0.1:${port}\\?`));

  // Environment variables override the profile, flags override both.
  const viaEnv = await eci(['ps'], { env: { OPENECI_ENDPOINT: `127.0.0.1:${port}` } });
  assert.equal(viaEnv.code, 3);
  const flagWins = await eci(['--endpoint', stack.host, 'ps'], {
    env: { OPENECI_ENDPOINT: `127.0.0.1:${port}` } });
  assert.equal(flagWins.code, 0, flagWins.stderr);

  const help = await eci(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Exit codes:\n +0 +success\n +1 .*\n +2 .*\n +3 /);
});

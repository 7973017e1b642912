// The web console end to end, as a person uses it: Debian's headless Chromium (driven by
// playwright-core) signs in with the AccessKey, creates a group with the form, watches it reach
// Running in the list, opens it, reads its logs, runs a command in the browser terminal (the
// WebSocket exec), and sees the CPU and memory charts draw. Each step leaves a screenshot in
// build/test-artifacts/console/. The AccessKeySecret must never appear in a request URL, and
// the key must not be in localStorage.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';
import { startStack, sleep, REPO_ROOT } from './lib/stack.mjs';

const ARTIFACTS = path.join(REPO_ROOT, 'build/test-artifacts/console');
const CHROMIUM = '/usr/bin/chromium';
const GROUP = 'web-demo';

let stack;
let context;
let page;
let profileDir;
const requestUrls = [];

// The console directory the server uses by default (build/<preset>/console beside its binary's
// build tree); built here when scripts/test did not (e.g. a test file run on its own).
function ensureConsoleBuilt(serverBin) {
  const dir = path.resolve(path.dirname(serverBin), '../../console');
  if (!fs.existsSync(path.join(dir, 'index.html'))) {
    execFileSync('node', [path.join(REPO_ROOT, 'web/console/build.mjs'), dir], { stdio: 'inherit' });
  }
}

function rawGet(target) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: stack.port, path: target, method: 'GET', agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function shot(name) {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

async function eventually(what, check, timeoutMs = 60000, intervalMs = 500) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await check();
      if (last) return last;
    } catch (e) {
      last = e.message;
    }
    await sleep(intervalMs);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
}

before(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  stack = await startStack('console', { env: { OPENECI_METRICS_INTERVAL_SECONDS: '1' } });
  ensureConsoleBuilt(stack.bin);
  profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oeci-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1360, height: 860 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = context.pages()[0] ?? await context.newPage();
  page.on('request', (r) => requestUrls.push(r.url()));
  page.on('pageerror', (e) => console.error(`# page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') console.error(`# browser ${m.type()}: ${m.text()}`);
  });
});

after(async () => {
  await context?.close().catch(() => {});
  if (profileDir) fs.rmSync(profileDir, { recursive: true, force: true });
  await stack?.stop();
});

test('the server serves the console files and nothing outside them', async () => {
  for (const target of ['/console', '/console/']) {
    const r = await rawGet(target);
    assert.equal(r.status, 200, target);
    assert.match(r.type, /^text\/html/);
    assert.match(r.body, /OpenECI console/);
  }
  const js = await rawGet('/console/app.js');
  assert.equal(js.status, 200);
  assert.match(js.type, /^text\/javascript/);
  assert.equal((await rawGet('/console/vendor/xterm.mjs')).status, 200);
  for (const target of ['/console/nope.js', '/console/%2e%2e/%2e%2e/CMakeCache.txt', '/console/vendor']) {
    assert.equal((await rawGet(target)).status, 404, target);
  }
});

test('sign in, create, watch it run, logs, terminal, charts', async () => {
  await page.goto(`${stack.endpoint}/console/`);
  await page.locator('#signin').waitFor();
  await shot('01-sign-in');

  // A wrong secret is refused and nothing is kept.
  await page.fill('input[name=id]', stack.accessKeyId);
  await page.fill('input[name=secret]', 'not-the-secret');
  await page.click('#signin button[type=submit]');
  await page.locator('#signin-error').filter({ hasText: 'SignatureDoesNotMatch' }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);

  await page.fill('input[name=secret]', stack.accessKeySecret);
  await page.click('#signin button[type=submit]');
  await page.locator('#groups').waitFor();
  await page.locator('#groups-summary', { hasText: 'groups' }).waitFor();

  // A finished and a failed group too, so the list shows the status colours.
  const job = (name, script) => stack.create(stack.groupRequest(name, {
    container: [{ name: 'job', image: stack.publicImage, command: ['sh', '-c', script], cpu: 0.25, memory: 0.25 }],
  }));
  await job('batch-job', 'echo done');
  await job('crash-job', 'echo oops >&2; exit 3');

  await page.click('nav >> text=Create');
  const form = page.locator('#create-form');
  await form.waitFor();

  // From a template: created when the server offers CreateContainerGroupFromTemplate, a clear
  // note otherwise.
  const template = JSON.parse(await page.inputValue('#template-json'));
  template.containerGroupName = 'from-template';
  template.spec.containers[0].image = stack.publicImage;
  await page.fill('#template-json', JSON.stringify(template, null, 2));
  await page.click('#template-form button[type=submit]');
  const templateOutcome = await eventually('template outcome', async () => {
    if (await page.locator('#template-error').isVisible()) return 'note';
    return page.url().endsWith('#/groups') ? 'created' : null;
  }, 15000, 200);
  if (templateOutcome === 'note') {
    assert.match(await page.locator('#template-error').innerText(), /not available|InvalidParameter|IncorrectUserTemplateFormat/);
  } else {
    await page.locator('#groups-body tr[data-name="from-template"]').waitFor({ timeout: 15000 });
    stack.track(await page.locator('#groups-body tr[data-name="from-template"]').getAttribute('data-id'));
    await page.click('nav >> text=Create');
    await form.waitFor();
  }
  await form.locator('input[name=name]').fill(GROUP);
  await form.locator('input[name=image]').fill(stack.publicImage);
  await form.locator('input[name=command]').fill(
    `sh -c 'trap "exit 0" TERM; i=0; while :; do i=$((i+1)); echo "tick $i from the console"; sleep 1; done'`);
  await form.locator('textarea[name=env]').fill('GREETING=hello-console');
  await form.locator('textarea[name=tags]').fill('team=web\nenv=demo');
  await form.locator('select[name=restartPolicy]').selectOption('Always');
  await form.locator('input[name=memory]').fill('0.5');
  await shot('02-create-form');
  await page.click('#create-submit');

  const row = page.locator(`#groups-body tr[data-name="${GROUP}"]`);
  await row.waitFor({ timeout: 15000 });
  const id = await row.getAttribute('data-id');
  assert.match(id, /^eci-/);
  stack.track(id);
  await row.locator('[data-status="Running"]').waitFor({ timeout: 60000 });
  await page.locator('#groups-body tr[data-name="batch-job"] [data-status="Succeeded"]').waitFor({ timeout: 60000 });
  await page.locator('#groups-body tr[data-name="crash-job"] [data-status="Failed"]').waitFor({ timeout: 60000 });
  assert.match(await row.innerText(), /team=web/);
  assert.match(await row.innerText(), /10\.77\.0\.\d+/);
  await shot('03-list-running');

  // The status filter asks the server.
  await page.selectOption('#filter-status', 'Succeeded');
  await eventually('status filter', async () => (await page.locator('#groups-body tr').count()) === 1 &&
    (await page.locator('#groups-body tr[data-name="batch-job"]').count()) === 1);
  await page.selectOption('#filter-status', '');
  await row.waitFor();

  await row.locator('a').first().click();
  await page.locator('#containers [data-status="Running"]').waitFor();
  await page.locator('#events li').first().waitFor();
  const events = await page.locator('#events').innerText();
  assert.match(events, /Started/);
  await shot('04-group-overview');

  await page.click('#tab-logs');
  await eventually('log lines', async () => /tick 3 from the console/.test(await page.locator('#log-output').innerText()));
  await shot('05-logs');

  await page.click('#tab-terminal');
  await page.locator('#term-connect').click();
  await page.locator('#term-status[data-state="connected"]', { hasText: 'Connected' }).waitFor({ timeout: 15000 });
  const screen = page.locator('#terminal .xterm-rows');
  await eventually('shell prompt', async () => /#\s*$/m.test(await screen.innerText()), 15000, 200);
  await page.locator('#terminal').click();
  await page.keyboard.type('echo "$GREETING-$((6*7))"; hostname\n');
  await eventually('terminal output', async () => /hello-console-42/.test(await screen.innerText()), 15000);
  await shot('06-terminal');
  await page.keyboard.type('exit 3\n');
  await page.locator('#term-status', { hasText: 'Exited with code 3' }).waitFor({ timeout: 15000 });

  await page.click('#tab-metrics');
  await eventually('two CPU points', async () => {
    await page.click('#metric-refresh');
    await sleep(1000);
    return Number(await page.locator('#chart-cpu').getAttribute('data-points')) >= 2;
  }, 90000, 4000);
  const painted = await page.evaluate(() => [...document.querySelectorAll('.chart canvas')].map((c) => {
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) n++;
    return n;
  }));
  assert.equal(painted.length, 2, 'a CPU and a memory canvas');
  for (const n of painted) assert.ok(n > 500, `chart canvas has drawn pixels (${painted})`);
  await shot('07-metrics');

  await page.click('#tab-template');
  await page.locator('#template, #template-unavailable').first().waitFor();
  await shot('08-template');

  // The key: in this tab's sessionStorage only, never in localStorage or a URL.
  const storage = await page.evaluate(() => ({ local: JSON.stringify(localStorage), session: JSON.stringify(sessionStorage) }));
  assert.ok(!storage.local.includes(stack.accessKeySecret), 'secret not in localStorage');
  assert.ok(!storage.local.includes(stack.accessKeyId), 'key id not in localStorage');
  assert.ok(storage.session.includes(stack.accessKeySecret), 'the key is kept in sessionStorage');
  assert.ok(requestUrls.length > 10, `requests seen: ${requestUrls.length}`);
  for (const url of requestUrls) {
    assert.ok(!url.includes(stack.accessKeySecret) && !url.includes(encodeURIComponent(stack.accessKeySecret)),
      `secret in a request URL: ${url}`);
  }
  assert.ok(!page.url().includes(stack.accessKeySecret));

  // Signing out forgets the key.
  await page.click('#signout');
  await page.locator('#signin').waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
});

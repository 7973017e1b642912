// What bench/start.mjs and bench/parallel.mjs share: the raw CRI baseline (cri_start), timing
// one create until Running through the official SDK (tight polling), rows with a goal factor,
// and the step breakdown of a create.
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { performance } from 'node:perf_hooks';
import { REPO_ROOT, $Eci, REGION, sleep } from '../../tests/integration/lib/stack.mjs';
import { percentiles, row as statsRow } from './stats.mjs';

export { parseArgs, machineInfo as machine, writeResult } from './stats.mjs';

const execFileP = promisify(execFile);

// How often a create is polled with DescribeContainerGroups until it says Running.
export const POLL_MS = 5;

// ---- rows ---------------------------------------------------------------------------------

// A row of the result JSON; `goalFactor` (e.g. 1.10) makes the goal "p50 ≤ factor× baseline".
export function row(name, samples, { baseline = null, baselineSamples = null, goalFactor = null,
  extra } = {}) {
  const base = baselineSamples ? { case: baseline, p50: percentiles(baselineSamples).p50 } : null;
  const r = statsRow(name, samples, {
    baseline: base, goal: goalFactor ? `p50 ≤ ${goalFactor.toFixed(2)}× ${baseline}` : null, extra,
  });
  r.met = goalFactor && r.ratio !== null ? r.ratio <= goalFactor : null;
  return r;
}

// ---- raw CRI baseline ---------------------------------------------------------------------

export function criStartBinary() {
  const candidates = [
    process.env.OPENECI_CRI_START,
    path.join(REPO_ROOT, 'build/release/bench/cri_start'),
    path.join(REPO_ROOT, 'build/dev/bench/cri_start'),
  ].filter(Boolean);
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new Error(`cri_start not built (tried ${candidates.join(', ')})`);
  return found;
}

// Runs cri_start against the stack's containerd: n pods, c at a time, the stack's image and
// sleeper command, cpu/memory as the OpenECI groups ask. Returns its JSON.
export async function criStart(stack, { n = 1, c = 1, cpu = 0.25, memory = 0.5, command }) {
  const args = ['--socket', stack.socket, '--image', stack.publicImage, '-n', String(n),
    '-c', String(c), '--cpu', String(cpu), '--memory', String(memory),
    '--log-root', path.join(stack.dir, 'cri-bench'), '--', ...command];
  try {
    const { stdout } = await execFileP(criStartBinary(), args, {
      timeout: 600000, maxBuffer: 16 * 1024 * 1024,
    });
    return JSON.parse(stdout);
  } catch (e) {
    throw new Error(`cri_start failed: ${e.stderr || e.message}\n${e.stdout ?? ''}`);
  }
}

// ---- OpenECI ------------------------------------------------------------------------------

// A new SDK client with patient timeouts (a slow answer on a loaded machine is a figure, not a
// failure). New per sample: the server closes idle keep-alive connections.
export function freshClient(stack) {
  return stack.sdk({ readTimeout: 60000, connectTimeout: 10000 });
}

// A small group as the benches create it (0.25 vCPU / 0.5 GiB, an allowed specification).
export function smallGroup(stack, name, cpu = 0.25, memory = 0.5) {
  return stack.groupRequest(name, {
    cpu, memory,
    container: [stack.mainContainer({ cpu, memory })],
  });
}

// CreateContainerGroup through the official SDK, then DescribeContainerGroups every POLL_MS
// until the group says Running. Returns {id, ms (create sent → Running seen), answerMs}.
export async function createUntilRunning(stack, req, client, timeoutMs = 120000) {
  const sentAt = Date.now();
  const t0 = performance.now();
  const res = await client.createContainerGroup(new $Eci.CreateContainerGroupRequest(req));
  const answerMs = performance.now() - t0;
  const id = res.body.containerGroupId;
  stack.track(id);
  const describe = new $Eci.DescribeContainerGroupsRequest({
    regionId: REGION, containerGroupIds: JSON.stringify([id]),
  });
  for (;;) {
    const r = await client.describeContainerGroups(describe);
    const g = (r.body.containerGroups ?? [])[0];
    const now = performance.now();
    if (g?.status === 'Running') {
      return { id, ms: now - t0, answerMs, sentAt, answeredAt: sentAt + answerMs,
        seenAt: sentAt + (now - t0) };
    }
    if (g && ['Failed', 'Succeeded'].includes(g.status)) {
      throw new Error(`group ${id} ended ${g.status}: ${JSON.stringify(g.events?.slice(-3))}`);
    }
    if (now - t0 > timeoutMs) throw new Error(`group ${id} not Running after ${timeoutMs} ms`);
    await sleep(POLL_MS);
  }
}

// Deletes groups and waits until the server lists none of them and containerd holds none of
// their sandboxes, so that the next measurement starts from the same state.
export async function deleteAndWait(stack, ids, client, timeoutMs = 60000) {
  for (const id of ids) await stack.delete(id, client);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const listed = await stack.listAll(client);
    // Groups' objects only: a warm pool's sandboxes carry no group ID and stay.
    const left = (await stack.ctr(['containers', 'ls', '-q', 'labels."openeci.group-id"'])).trim();
    if (!listed.some((g) => ids.includes(g.containerGroupId)) && left === '') return;
    await sleep(50);
  }
  throw new Error(`groups ${ids.join(', ')} still there after ${timeoutMs} ms`);
}

// ---- where the time goes ------------------------------------------------------------------

// The server env that makes the controller log its step trace ("trace <group> <step> +<ms>",
// controller.cc StepTrace; nothing else of note logs at debug level).
export const TRACE_ENV = { OPENECI_LOG_LEVEL: 'debug' };

const TRACE_LINE =
  /^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})\] \[debug\] trace (\S+) (.+) \+([\d.]+)ms$/;

// Median milliseconds of each step of a create, over `runs` (createUntilRunning results),
// from the client's wall-clock timestamps and the first controller pass of each group in the
// server log: API answer, answer → pass start (wake-up), each step of the pass, status
// written → Running seen by the client (poll lag). Log timestamps have 1 ms resolution.
export function stepBreakdown(runs, logText) {
  const byId = new Map(runs.map((r) => [r.id, r]));
  const passes = new Map();  // group -> steps of its first pass
  for (const line of logText.split('\n')) {
    const m = TRACE_LINE.exec(line);
    if (!m || !byId.has(m[2])) continue;
    const [, ts, id, step, ms] = m;
    let steps = passes.get(id);
    if (step === 'pass start') {
      if (steps) steps.done = true;  // only the first pass starts the group
      else passes.set(id, (steps = []));
    }
    if (!steps || steps.done) continue;
    const n = steps.filter((s) => s.step.split(' #')[0] === step).length;
    steps.push({ at: Date.parse(ts.replace(' ', 'T')), step: n ? `${step} #${n + 1}` : step,
      ms: Number(ms) });
  }
  const columns = new Map();
  const add = (k, v) => { if (!columns.has(k)) columns.set(k, []); columns.get(k).push(v); };
  for (const [id, steps] of passes) {
    const r = byId.get(id);
    add('API answer (client)', r.answeredAt - r.sentAt);
    add('answer → controller pass start', steps[0].at - r.answeredAt);
    for (const s of steps.slice(1)) add(s.step, s.ms);
    const written = steps.find((s) => s.step === 'status written');
    if (written) add('status written → client sees Running', r.seenAt - written.at);
    add('total (client)', r.seenAt - r.sentAt);
  }
  const out = {};
  for (const [k, v] of columns) out[k] = percentiles(v).p50;
  return out;
}

// Stack and group helpers shared by the benches that drive the real stack through the SDK
// (tests/integration/lib/stack.mjs: containerd, local registries, the server).
//
//   await withStack('density', { OPENECI_GROUP_QUOTA: '0' }, async (stack) => {
//     const { id, ms } = await createToRunning(stack, stack.groupRequest('b-1'));
//     await deleteAndWait(stack, id);
//   });
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Stack, REPO_ROOT, summarize } from '../../tests/integration/lib/stack.mjs';

// How often Describe is polled while waiting for Running: the figures are late by up to this.
export const POLL_MS = 50;

// The server binary a bench measures: OPENECI_BIN, else the release build when present (the
// stack itself falls back to the dev build).
export function serverBinary() {
  const release = path.join(REPO_ROOT, 'build/release/src/server/openeci');
  if (!process.env.OPENECI_BIN && fs.existsSync(release)) process.env.OPENECI_BIN = release;
  return process.env.OPENECI_BIN ?? path.join(REPO_ROOT, 'build/dev/src/server/openeci');
}

// Starts a stack named bench-<name> with extra server settings `env`, runs fn(stack) and
// always stops the stack (groups, server, registries, leftovers), also when fn throws.
export async function withStack(name, env, fn) {
  serverBinary();
  const stack = new Stack(`bench-${name}`, { env });
  try {
    await stack.start();
    return await fn(stack);
  } finally {
    await stack.stop();
  }
}

// The stack's SDK client with patient timeouts (the SDK's default read timeout is 3 s): on a
// loaded machine a slow answer is part of what a bench measures, not a failure.
const clients = new WeakMap();
export function patientClient(stack) {
  if (!clients.has(stack)) clients.set(stack, stack.sdk({ readTimeout: 60000, connectTimeout: 10000 }));
  return clients.get(stack);
}

// Sends CreateContainerGroup and polls DescribeContainerGroups every POLL_MS until the group
// is Running. Returns {id, ms, group}; ms counts from just before the create call. Throws when
// the group fails or is not Running within timeoutMs; the error's groupId names the group
// (when the create was accepted) so the caller can delete it, and its group is the last
// Describe of a Failed group.
export async function createToRunning(stack, req, { timeoutMs = 180000, pollMs = POLL_MS } = {}) {
  const t0 = performance.now();
  const id = await stack.create(req, patientClient(stack));
  let group;
  try {
    group = await stack.waitFor(id, (g) => g?.status === 'Running' || g?.status === 'Failed',
      timeoutMs, pollMs);
  } catch (e) {
    e.groupId = id;
    throw e;
  }
  const ms = performance.now() - t0;
  if (group.status !== 'Running') {
    const e = new Error(`group ${id} is ${group.status}: ${JSON.stringify(summarize(group))}`);
    e.groupId = id;
    e.group = group;
    throw e;
  }
  return { id, ms, group };
}

// DeleteContainerGroup, then waits until Describe no longer lists the group.
export async function deleteAndWait(stack, id, timeoutMs = 60000) {
  await stack.delete(id, patientClient(stack));
  await stack.waitFor(id, (g) => g === undefined, timeoutMs, 100);
}

// fn(item, index) over items with at most `limit` calls in flight; results in item order.
export async function inParallel(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

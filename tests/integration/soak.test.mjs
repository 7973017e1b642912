// The soak in short (tests/integration/lib/soak.mjs): OPENECI_SOAK_SECONDS (default 120) of
// mixed load of every operation on one stack; the server's and containerd's RSS, open fds and
// threads stay flat, no operation fails, and after deleting all nothing is left (sandboxes,
// tasks, shims, network namespaces, cgroups) beyond the warm pool. scripts/soak runs the long
// version on the release build and writes bench/results/soak.md.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './lib/stack.mjs';
import { runSoak, summaryLines, SOAK_ENV } from './lib/soak.mjs';

const SECONDS = Number(process.env.OPENECI_SOAK_SECONDS ?? 120);

let stack;
before(async () => {
  stack = await startStack('soak', { env: SOAK_ENV });
});
after(async () => {
  await stack?.stop();
});

test(`${SECONDS} s of mixed load: flat figures, no failures, nothing left`, { timeout: (SECONDS + 300) * 1000 }, async () => {
  const result = await runSoak(stack, { seconds: SECONDS });
  for (const line of summaryLines(result)) console.error(`# ${line}`);
  assert.deepEqual(result.problems, []);
});

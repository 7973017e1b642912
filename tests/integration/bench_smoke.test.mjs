// Smoke runs of every benchmark, so none of them can rot: each bench/<name>.mjs runs with
// --smoke --out <temp dir>/<name>.json (tiny sizes, its own stack), must exit 0 and write a
// result of the shape bench/report.mjs reads (bench/lib/stats.mjs resultProblems) whose rows
// have numbers; then the report renders all of them. Nothing is written to bench/results/.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { REPO_ROOT } from './lib/stack.mjs';
import { resultProblems } from '../../bench/lib/stats.mjs';

const BENCH_DIR = path.join(REPO_ROOT, 'bench');
const benches = fs.readdirSync(BENCH_DIR)
  .filter((f) => f.endsWith('.mjs') && f !== 'report.mjs')
  .map((f) => f.slice(0, -'.mjs'.length))
  .sort();
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'openeci-bench-smoke-'));
after(() => fs.rmSync(out, { recursive: true, force: true }));

// Runs `node args...` from the repository root; resolves {code, stdout, stderr}. On timeout
// the child gets SIGTERM, on which its stack tears itself down.
function node(args, timeoutMs) {
  return new Promise((resolve) => {
    execFile(process.execPath, args, {
      cwd: REPO_ROOT, timeout: timeoutMs, killSignal: 'SIGTERM', maxBuffer: 16 * 1024 * 1024,
    }, (err, stdout, stderr) => resolve({ code: err ? (err.code ?? err.signal) : 0, stdout, stderr }));
  });
}

test('there are benches to smoke-test', () => {
  assert.ok(benches.length > 0, `no bench/*.mjs in ${BENCH_DIR}`);
});

for (const name of benches) {
  test(`bench ${name} --smoke writes a well-formed result`, async () => {
    const file = path.join(out, `${name}.json`);
    const t0 = Date.now();
    const res = await node([path.join(BENCH_DIR, `${name}.mjs`), '--smoke', '--out', file], 150000);
    console.error(`# bench ${name} --smoke: ${Date.now() - t0} ms`);
    assert.equal(res.code, 0, `bench ${name} failed:\n${res.stderr.slice(-4000)}`);
    const result = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.deepEqual(resultProblems(result), []);
    assert.equal(result.name, name);
    assert.equal(result.smoke, true);
    for (const row of result.rows) assert.ok(Number.isFinite(row.p50), `${row.case}: p50 ${row.p50}`);
  });
}

test('the report renders every smoke result as a table, with charts', async () => {
  const results = fs.readdirSync(out).filter((f) => f.endsWith('.json'));
  assert.ok(results.length > 0, 'no smoke results');
  const res = await node([path.join(BENCH_DIR, 'report.mjs'), '--dir', out], 60000);
  assert.equal(res.code, 0, res.stderr);
  const md = fs.readFileSync(path.join(out, 'README.md'), 'utf8');
  assert.equal(res.stdout, md);
  for (const f of results) {
    const r = JSON.parse(fs.readFileSync(path.join(out, f), 'utf8'));
    assert.ok(md.includes(`## ${r.title}`), `no section for ${r.name}`);
    for (const row of r.rows) assert.ok(md.includes(`| ${row.case.replace(/\|/g, '\\|')} |`), row.case);
    for (const c of r.charts) {
      assert.ok(fs.statSync(path.join(out, c.file)).size > 0, `chart ${c.file} not drawn`);
    }
  }
});

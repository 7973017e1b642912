// Local copy of bench-harness's bench/lib/stats.mjs until it is on main (BENCH-CONTRACT).
// Shared helpers for the benchmarks (bench/<name>.mjs): sample statistics, the machine line
// and the result file every bench writes (the format is docs in bench/README.md; the only
// thing bench/report.mjs reads).
//
//   import { percentiles, machineInfo, writeResult, parseArgs } from './lib/stats.mjs';
//   const args = parseArgs('start');                 // {smoke, out}
//   const s = percentiles(samplesMs);                // {n, p50, p90, p99, min, max, mean}
//   writeResult(args.out, { name: 'start', title: ..., smoke: args.smoke, rows, charts });
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const RESULTS_DIR = path.join(BENCH_DIR, 'results');

// Value at quantile q (0..1) of sorted numbers, linear interpolation between closest ranks
// (the "R-7" definition numpy and spreadsheets use), so p50 of [1, 2] is 1.5.
export function quantile(sorted, q) {
  if (sorted.length === 0) return null;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

const round = (x, digits = 3) => (x === null ? null : Number(x.toFixed(digits)));

// Summary of a list of samples (any unit, usually ms). Non-finite samples are a bug in the
// bench, so they throw rather than skew the figures.
export function percentiles(samples) {
  if (!samples.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new Error(`percentiles: non-numeric sample in ${JSON.stringify(samples.slice(0, 10))}`);
  }
  const s = [...samples].sort((a, b) => a - b);
  const mean = s.length ? s.reduce((a, b) => a + b, 0) / s.length : null;
  return {
    n: s.length,
    p50: round(quantile(s, 0.5)),
    p90: round(quantile(s, 0.9)),
    p99: round(quantile(s, 0.99)),
    min: round(s.length ? s[0] : null),
    max: round(s.length ? s[s.length - 1] : null),
    mean: round(mean),
  };
}

// A result row from samples: the contract's fields, with ratio = p50 / baseline p50 when a
// baseline row is given ({case, p50}) and met left to the caller (goals differ per bench).
export function row(caseName, samples, { unit = 'ms', baseline = null, goal = null, met = null,
  extra } = {}) {
  const s = percentiles(samples);
  const r = { case: caseName, n: s.n, unit, p50: s.p50, p90: s.p90, p99: s.p99,
    baseline: baseline?.case ?? null,
    ratio: baseline && baseline.p50 ? round(s.p50 / baseline.p50) : null,
    goal, met, extra: { min: s.min, max: s.max, mean: s.mean, ...extra } };
  return r;
}

function firstLine(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')[0].trim();
  } catch {
    return null;
  }
}

// One line saying what the figures were measured on: CPUs, RAM, kernel, containerd.
export function machineInfo() {
  const cpus = os.cpus();
  const model = cpus[0]?.model?.trim() ?? 'unknown CPU';
  const ramGiB = (os.totalmem() / 2 ** 30).toFixed(1);
  const ctrd = firstLine('containerd', ['--version']);
  const ctrdVersion = ctrd ? ctrd.split(/\s+/)[2] ?? ctrd : 'unknown';
  return `${cpus.length} × ${model}, ${ramGiB} GiB RAM, Linux ${os.release()}, ` +
    `containerd ${ctrdVersion}, node ${process.version}`;
}

// The CLI every bench shares: [--smoke] [--out FILE]. Default out: bench/results/<name>.json.
export function parseArgs(name, argv = process.argv.slice(2)) {
  const args = { smoke: false, out: path.join(RESULTS_DIR, `${name}.json`) };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--smoke') args.smoke = true;
    else if (argv[i] === '--out' && i + 1 < argv.length) args.out = path.resolve(argv[++i]);
    else if (argv[i].startsWith('--out=')) args.out = path.resolve(argv[i].slice(6));
    else throw new Error(`usage: node bench/${name}.mjs [--smoke] [--out FILE] (got ${argv[i]})`);
  }
  return args;
}

// Writes the result JSON (filling in when/machine/notes/charts if missing) and returns it.
export function writeResult(file, result) {
  const full = {
    name: result.name,
    title: result.title ?? result.name,
    smoke: Boolean(result.smoke),
    when: result.when ?? new Date().toISOString(),
    machine: result.machine ?? machineInfo(),
    notes: result.notes ?? [],
    rows: result.rows ?? [],
    charts: result.charts ?? [],
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, `${JSON.stringify(full, null, 2)}\n`);
  fs.renameSync(tmp, file);
  console.error(`# ${full.name}: wrote ${file}`);
  return full;
}

// Turns the benchmark results (bench/results/*.json, the format in bench/README.md) into
// bench/results/README.md (one Markdown table per bench) and PNG charts drawn by gnuplot, and
// prints the Markdown to stdout.
//
//   node bench/report.mjs [--dir DIR]      (default DIR: bench/results; reads and writes there)
//
// Without gnuplot the Markdown is still written; the charts are skipped with a warning.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { RESULTS_DIR } from './lib/stats.mjs';

// Suite order: the start path first, then the API, then the image and capacity benches.
const ORDER = ['start', 'pool', 'parallel', 'api', 'growth', 'image-cache', 'density'];

function fmt(x) {
  if (x === null || x === undefined) return '—';
  if (typeof x !== 'number') return String(x);
  if (Number.isInteger(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

const cell = (s) => String(s ?? '—').replace(/\|/g, '\\|').replace(/\n/g, ' ');

function extraText(extra) {
  if (!extra) return '';
  return Object.entries(extra)
    .filter(([k, v]) => !['min', 'max', 'mean'].includes(k) && v !== null && typeof v !== 'object')
    .map(([k, v]) => `${k} ${fmt(v)}`)
    .join(', ');
}

// The Markdown of one result: heading, when/machine, table, notes, charts.
export function renderResult(r) {
  const out = [];
  out.push(`## ${r.title}${r.smoke ? ' (smoke run: tiny sizes, figures mean nothing)' : ''}`, '');
  out.push(`\`${r.name}\` · ${r.when} · ${r.machine}`, '');
  out.push('| Case | n | p50 | p90 | p99 | Ratio to baseline | Goal | Met | Other |');
  out.push('|---|---:|---:|---:|---:|---:|---|:---:|---|');
  const baselines = new Set(r.rows.map((row) => row.baseline).filter(Boolean));
  for (const row of r.rows) {
    const withUnit = (x) => (typeof x === 'number' && row.unit ? `${fmt(x)} ${row.unit}` : fmt(x));
    const ratio = row.ratio === null || row.ratio === undefined
      ? (baselines.has(row.case) ? 'baseline' : '—')
      : `${fmt(row.ratio)}× ${cell(row.baseline)}`;
    const met = row.met === true ? '✔' : row.met === false ? '✘' : '';
    out.push(`| ${cell(row.case)} | ${row.n ?? '—'} | ${withUnit(row.p50)} | ${withUnit(row.p90)} | ` +
      `${withUnit(row.p99)} | ${ratio} | ${cell(row.goal ?? '')} | ${met} | ${cell(extraText(row.extra))} |`);
  }
  out.push('');
  for (const n of r.notes ?? []) out.push(`- ${n}`);
  if (r.notes?.length) out.push('');
  for (const c of r.charts ?? []) out.push(`![${c.title}](${c.file})`, '');
  return out.join('\n');
}

// Sorted samples as an empirical CDF: "x y" lines, y in 0..1.
function cdfData(samples) {
  const s = [...samples].sort((a, b) => a - b);
  return s.map((x, i) => `${x} ${(i + 1) / s.length}`).join('\n');
}

const quote = (s) => `"${String(s).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

// The gnuplot script drawing one chart into `file`.
export function gnuplotScript(chart, file) {
  const lines = [
    'set terminal pngcairo size 900,540 enhanced font ",10"',
    `set output ${quote(file)}`,
    `set title ${quote(chart.title ?? '')} noenhanced`,
    `set xlabel ${quote(chart.xlabel ?? '')} noenhanced`,
    'set grid',
    'set key bottom right noenhanced',
  ];
  const series = (chart.series ?? []).filter((s) => (s.samples ?? s.points ?? []).length);
  if (chart.kind === 'cdf') {
    lines.push('set ylabel "fraction of samples ≤ x"', 'set yrange [0:1]');
  } else {
    lines.push(`set ylabel ${quote(chart.ylabel ?? '')} noenhanced`, 'set key top left noenhanced');
    if (chart.logx) lines.push('set logscale x 2');
    if (chart.logy) lines.push('set logscale y');
  }
  series.forEach((s, i) => {
    const data = chart.kind === 'cdf' ? cdfData(s.samples) : s.points.map((p) => p.join(' ')).join('\n');
    lines.push(`$d${i} << EOD`, data, 'EOD');
  });
  const style = chart.kind === 'cdf' ? 'with steps lw 2' : 'with linespoints lw 2 pt 7 ps 0.8';
  if (series.length === 0) {
    lines.push('set label 1 "no data" at graph 0.5,0.5 center', 'plot [0:1] [0:1] -1 notitle');
  } else {
    lines.push('plot ' + series.map((s, i) => `$d${i} using 1:2 ${style} title ${quote(s.label)}`).join(', '));
  }
  return `${lines.join('\n')}\n`;
}

function haveGnuplot() {
  return spawnSync('gnuplot', ['--version'], { stdio: 'ignore' }).status === 0;
}

export function loadResults(dir) {
  if (!fs.existsSync(dir)) return [];
  const rank = (n) => (ORDER.includes(n) ? ORDER.indexOf(n) : ORDER.length);
  return fs.readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => {
      try {
        return JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
      } catch (e) {
        console.error(`# report: skipping ${f}: ${e.message}`);
        return null;
      }
    })
    .filter((r) => r && Array.isArray(r.rows))
    .sort((a, b) => rank(a.name) - rank(b.name) || String(a.name).localeCompare(String(b.name)));
}

// Writes DIR/README.md and the charts; returns the Markdown.
export function report(dir) {
  const results = loadResults(dir);
  const plot = haveGnuplot();
  if (!plot) console.error('# report: gnuplot not found: charts skipped (apt-get install gnuplot-nox)');
  const parts = [
    '# OpenECI benchmark results',
    '',
    'Written by `node bench/report.mjs` from the result files beside it (`scripts/bench` runs ' +
      'the benches, then this). Every ratio compares with a baseline measured in the same run ' +
      'on the same machine. What each bench measures and how: [bench/README.md](../README.md).',
    '',
  ];
  if (results.length === 0) parts.push('No results yet: run `scripts/bench`.', '');
  for (const r of results) {
    parts.push(renderResult(r));
    if (!plot) continue;
    for (const c of r.charts ?? []) {
      const file = path.join(dir, path.basename(c.file));
      const res = spawnSync('gnuplot', [], { input: gnuplotScript(c, file), encoding: 'utf8' });
      if (res.status !== 0) console.error(`# report: gnuplot failed for ${c.file}: ${res.stderr}`);
    }
  }
  const md = `${parts.join('\n').trimEnd()}\n`;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'README.md'), md);
  return md;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const argv = process.argv.slice(2);
  const i = argv.indexOf('--dir');
  const dir = i >= 0 ? path.resolve(argv[i + 1]) : RESULTS_DIR;
  process.stdout.write(report(dir));
}

// CPU and memory charts of one group (uPlot) from DescribeContainerGroupMetric: the pod's
// UsageNanoCores (as vCPU) and WorkingSet / Rss bytes per Period bucket, refreshed every 15 s.
import uPlot from './vendor/uPlot.esm.js';
import { call } from './api.js';
import { bytes, el, replace } from './dom.js';

const REFRESH_MS = 15000;
const RANGES = [
  { label: 'last 10 minutes', seconds: 600, period: 15 },
  { label: 'last 30 minutes', seconds: 1800, period: 60 },
  { label: 'last 6 hours', seconds: 21600, period: 600 },
];

function rfc3339(ms) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function cores(v) {
  if (v === 0) return '0';
  return v >= 1 ? v.toFixed(2) : v >= 0.01 ? v.toFixed(3) : v.toFixed(4);
}

function toSeries(records) {
  const sorted = [...records].sort((a, b) => Date.parse(a.Timestamp) - Date.parse(b.Timestamp));
  return {
    time: sorted.map((r) => Date.parse(r.Timestamp) / 1000),
    cpu: sorted.map((r) => (r.CPU?.UsageNanoCores ?? 0) / 1e9),
    workingSet: sorted.map((r) => r.Memory?.WorkingSet ?? r.Memory?.UsageBytes ?? 0),
    rss: sorted.map((r) => r.Memory?.Rss ?? 0),
  };
}

// One chart over the whole window [from, to] (seconds), the y axis from 0.
function chartOptions(title, width, window, series, formatValue) {
  return {
    title, width, height: 220,
    cursor: { drag: { x: false, y: false } },
    scales: {
      x: { time: true, range: () => window },
      y: { range: (u, min, max) => [0, max > 0 ? max * 1.2 : 1] },
    },
    axes: [{}, { size: 84, values: (u, ticks) => ticks.map(formatValue) }],
    series: [{}, ...series.map((s) => ({ ...s, value: (u, v) => (v == null ? '—' : formatValue(v)), width: 2, points: { show: true, size: 5 } }))],
  };
}

// `createdIso`: the group's CreationTime; a younger group's charts start there, not at the
// window's start.
export function renderMetrics(pane, groupId, createdIso) {
  const range = el('select', { id: 'metric-range' }, RANGES.map((r, i) => el('option', { value: i }, r.label)));
  const status = el('span', { class: 'muted small', id: 'metric-status' });
  const cpuBox = el('div', { class: 'chart', id: 'chart-cpu' });
  const memBox = el('div', { class: 'chart', id: 'chart-memory' });
  let charts = [];
  let timer;
  let stopped = false;

  const draw = (s, window) => {
    charts.forEach((c) => c.destroy());
    const width = Math.max(320, cpuBox.clientWidth || 600);
    charts = [
      new uPlot(chartOptions('CPU (vCPU)', width, window, [{ label: 'CPU', stroke: '#2563eb', fill: 'rgba(37,99,235,0.12)' }],
        cores), [s.time, s.cpu], cpuBox),
      new uPlot(chartOptions('Memory', width, window, [
        { label: 'Working set', stroke: '#059669', fill: 'rgba(5,150,105,0.12)' },
        { label: 'RSS', stroke: '#d97706' }], bytes), [s.time, s.workingSet, s.rss], memBox),
    ];
    cpuBox.dataset.points = String(s.time.length);
    memBox.dataset.points = String(s.time.length);
  };
  const fetchMetrics = async () => {
    clearTimeout(timer);
    const r = RANGES[Number(range.value)];
    const end = Date.now();
    try {
      const answer = await call('DescribeContainerGroupMetric', {
        ContainerGroupId: groupId, StartTime: rfc3339(end - r.seconds * 1000), EndTime: rfc3339(end), Period: r.period,
      });
      if (stopped) return;
      const series = toSeries(answer.Records ?? []);
      const created = Date.parse(createdIso ?? '');
      const from = Math.max(end - r.seconds * 1000, Number.isNaN(created) ? 0 : created - 5000);
      draw(series, [from / 1000, end / 1000]);
      replace(status, series.time.length
        ? `${series.time.length} points (Period ${r.period} s) · ${new Date().toLocaleTimeString()}`
        : 'No samples yet: the sampler records running groups every OPENECI_METRICS_INTERVAL_SECONDS.');
    } catch (e) {
      replace(status, `failed: ${e.message}`);
    }
    if (!stopped) timer = setTimeout(fetchMetrics, REFRESH_MS);
  };
  range.addEventListener('change', fetchMetrics);

  replace(pane, el('section', { class: 'card' },
    el('div', { class: 'toolbar' }, range, el('button', { id: 'metric-refresh', onclick: fetchMetrics }, 'Refresh'), status),
    cpuBox, memBox));
  fetchMetrics();
  return () => { stopped = true; clearTimeout(timer); charts.forEach((c) => c.destroy()); };
}

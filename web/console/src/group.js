// One container group: a header (status, IP, resources, Restart/Delete) and tabs: overview
// (containers, events timeline, volumes), logs, terminal, metrics, template. The header and
// overview refresh every 3 s; the other tabs own their own timers.
import { call, getGroup } from './api.js';
import { age, badge, el, localTime, replace, shellLine, toast } from './dom.js';
import { renderLogs } from './logs.js';
import { renderMetrics } from './metrics.js';
import { renderTerminal } from './terminal.js';

const TABS = [['overview', 'Overview'], ['logs', 'Logs'], ['terminal', 'Terminal'],
  ['metrics', 'Metrics'], ['template', 'Template']];
const REFRESH_MS = 3000;

function containerState(c) {
  const s = c.CurrentState ?? {};
  if (s.State === 'Terminated') {
    return badge(`Terminated (${s.ExitCode ?? '?'})`, s.ExitCode === 0 ? 'done' : 'bad');
  }
  return badge(s.State || 'Unknown');
}

function stateDetail(c) {
  const s = c.CurrentState ?? {};
  const parts = [];
  if (s.Reason) parts.push(s.Reason);
  if (s.DetailStatus) parts.push(s.DetailStatus);
  if (s.StartTime) parts.push(`since ${localTime(s.StartTime)}`);
  const p = c.PreviousState ?? {};
  if (p.State) parts.push(`previous: ${p.State}${p.ExitCode !== undefined ? ` (${p.ExitCode})` : ''}${p.Reason ? ` ${p.Reason}` : ''}`);
  return parts.join(' · ');
}

function containersTable(group) {
  return el('table', { class: 'grid', id: 'containers' },
    el('thead', {}, el('tr', {}, ['Name', 'Image', 'State', 'Ready', 'Restarts', 'Command', 'Details']
      .map((h) => el('th', {}, h)))),
    el('tbody', {}, (group.Containers ?? []).map((c) => el('tr', { dataset: { name: c.Name } },
      el('td', { class: 'strong' }, c.Name),
      el('td', { class: 'mono small' }, c.Image),
      el('td', {}, containerState(c)),
      el('td', {}, c.Ready ? '✔' : '—'),
      el('td', { class: 'num' }, c.RestartCount ?? 0),
      el('td', { class: 'mono small' }, shellLine([...(c.Commands ?? []), ...(c.Args ?? [])])),
      el('td', { class: 'small muted' }, stateDetail(c))))));
}

function eventsTimeline(group) {
  const events = [...(group.Events ?? [])].sort(
    (a, b) => Date.parse(b.LastTimestamp ?? b.FirstTimestamp) - Date.parse(a.LastTimestamp ?? a.FirstTimestamp));
  if (!events.length) return el('p', { class: 'muted' }, 'No events yet.');
  return el('ol', { class: 'timeline', id: 'events' }, events.map((e) => el('li', { class: e.Type === 'Warning' ? 'warning' : 'normal' },
    el('div', { class: 'when', title: e.FirstTimestamp }, localTime(e.LastTimestamp ?? e.FirstTimestamp)),
    el('div', {}, el('span', { class: 'reason' }, e.Reason),
      e.Count > 1 ? el('span', { class: 'count' }, `×${e.Count}`) : null,
      el('div', { class: 'small' }, e.Message)))));
}

function volumesTable(group) {
  const volumes = group.Volumes ?? [];
  const mounts = (group.Containers ?? []).flatMap((c) => (c.VolumeMounts ?? []).map((m) => ({ ...m, container: c.Name })));
  if (!volumes.length && !mounts.length) return el('p', { class: 'muted', id: 'volumes' }, 'This group has no volumes.');
  return el('table', { class: 'grid', id: 'volumes' },
    el('thead', {}, el('tr', {}, ['Volume', 'Type', 'Mounted by'].map((h) => el('th', {}, h)))),
    el('tbody', {}, volumes.map((v) => el('tr', {},
      el('td', {}, v.Name), el('td', {}, v.Type ?? ''),
      el('td', { class: 'small' }, mounts.filter((m) => m.Name === v.Name)
        .map((m) => `${m.container}:${m.MountPath}${m.ReadOnly ? ' (ro)' : ''}`).join(', '))))));
}

function overview(group) {
  return [
    el('section', { class: 'card flush' }, el('h2', {}, 'Containers'), containersTable(group)),
    el('div', { class: 'two-col' },
      el('section', { class: 'card' }, el('h2', {}, 'Events'), eventsTimeline(group)),
      el('section', { class: 'card' }, el('h2', {}, 'Volumes'), volumesTable(group))),
  ];
}

function facts(group) {
  const fact = (label, value) => el('div', { class: 'fact' }, el('span', { class: 'label' }, label), el('span', {}, value || '—'));
  const tags = (group.Tags ?? []).map((t) => `${t.Key}=${t.Value ?? ''}`).join(', ');
  return el('div', { class: 'facts' },
    fact('ID', el('span', { class: 'mono' }, group.ContainerGroupId)),
    fact('IP', el('span', { class: 'mono', id: 'group-ip' }, group.IntranetIp)),
    fact('Zone', group.ZoneId),
    fact('Resources', `${group.Cpu} vCPU · ${group.Memory} GiB`),
    fact('Restart policy', group.RestartPolicy),
    fact('Created', `${localTime(group.CreationTime)} (${age(group.CreationTime)} ago)`),
    fact('Tags', tags));
}

async function templateTab(pane, id) {
  replace(pane, el('p', { class: 'muted' }, 'Exporting…'));
  try {
    const answer = await call('ExportContainerGroupTemplate', { ContainerGroupId: id });
    const text = JSON.stringify(answer.Template ?? answer, null, 2);
    replace(pane, el('section', { class: 'card' },
      el('div', { class: 'row' }, el('h2', {}, 'Exported template'),
        el('button', {
          onclick: () => { sessionStorage.setItem('openeci.console.template', text); location.hash = '#/create'; },
        }, 'Use in create form')),
      el('pre', { class: 'code', id: 'template' }, text)));
  } catch (e) {
    const unsupported = e.code === 'InvalidAction' || e.code === 'InvalidAction.NotFound';
    replace(pane, el('section', { class: 'card' }, el('h2', {}, 'Exported template'),
      el('p', { class: 'note', id: 'template-unavailable' }, unsupported
        ? 'Template export is not available on this server yet (ExportContainerGroupTemplate is not implemented).'
        : `Template export failed: ${e.message}`)));
  }
}

export function renderGroup(container, id, tab) {
  const head = el('div', { class: 'page-head' }, el('h1', {}, id));
  const pane = el('div', { id: 'tab-pane' });
  let group = null;
  let timer;
  let stopped = false;
  let stopTab = () => {};

  const tabs = el('nav', { class: 'tabs' }, TABS.map(([name, label]) => el('a', {
    href: `#/groups/${encodeURIComponent(id)}/${name}`, class: name === tab ? 'active' : '', id: `tab-${name}`,
  }, label)));

  const act = async (action, verb) => {
    if (!confirm(`${verb} ${group?.ContainerGroupName ?? id}?`)) return;
    try {
      await call(action, { ContainerGroupId: id });
      toast(`${verb}: requested`, 'ok');
      if (action === 'DeleteContainerGroup') location.hash = '#/groups';
    } catch (e) {
      toast(`${verb} failed: ${e.message}`, 'bad');
    }
  };
  const drawHead = () => replace(head,
    el('div', {}, el('div', { class: 'crumbs' }, el('a', { href: '#/groups' }, 'Container groups'), ' / '),
      el('h1', {}, group.ContainerGroupName, ' ', el('span', { id: 'group-status' }, badge(group.Status)))),
    el('div', { class: 'actions' },
      el('button', { onclick: () => act('RestartContainerGroup', 'Restart') }, 'Restart'),
      el('button', { class: 'danger', onclick: () => act('DeleteContainerGroup', 'Delete') }, 'Delete')));

  const refresh = async () => {
    clearTimeout(timer);
    try {
      const fresh = await getGroup(id);
      if (stopped) return;
      if (!fresh) {
        replace(container, el('section', { class: 'card' }, el('h1', {}, 'Not found'),
          el('p', {}, `Container group ${id} does not exist (any more).`), el('a', { href: '#/groups' }, 'Back to the list')));
        stopTab();
        return;
      }
      const first = group === null;
      group = fresh;
      drawHead();
      replace(factsBox, facts(group));
      if (tab === 'overview') replace(pane, overview(group));
      if (first) startTab();
    } catch (e) {
      toast(`Refreshing failed: ${e.message}`, 'bad');
    }
    if (!stopped) timer = setTimeout(refresh, REFRESH_MS);
  };
  const startTab = () => {
    const names = (group.Containers ?? []).map((c) => c.Name);
    if (tab === 'logs') stopTab = renderLogs(pane, id, names);
    else if (tab === 'terminal') stopTab = renderTerminal(pane, id, names, () => group);
    else if (tab === 'metrics') stopTab = renderMetrics(pane, id, group.CreationTime);
    else if (tab === 'template') templateTab(pane, id);
  };

  const factsBox = el('section', { class: 'card' });
  replace(container, head, factsBox, tabs, pane);
  refresh();
  return () => { stopped = true; clearTimeout(timer); stopTab(); };
}

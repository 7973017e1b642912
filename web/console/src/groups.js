// The list of container groups: status, IP, age, restarts, tags; filters by name/ID (here),
// status and tag (DescribeContainerGroups filters); refreshed every 3 s.
import { listGroups } from './api.js';
import { age, badge, el, replace, toast } from './dom.js';

const STATUSES = ['Pending', 'Scheduling', 'Running', 'Succeeded', 'Failed', 'Restarting',
  'Updating', 'Terminating', 'Expired', 'ScheduleFailed'];
const REFRESH_MS = 3000;

function restarts(group) {
  return (group.Containers ?? []).reduce((n, c) => n + (c.RestartCount ?? 0), 0);
}

function readyCount(group) {
  const containers = group.Containers ?? [];
  return `${containers.filter((c) => c.Ready).length}/${containers.length}`;
}

function tagList(group) {
  return (group.Tags ?? []).map((t) => el('span', { class: 'tag' }, t.Value ? `${t.Key}=${t.Value}` : t.Key));
}

function groupRow(group) {
  const href = `#/groups/${encodeURIComponent(group.ContainerGroupId)}`;
  return el('tr', { dataset: { id: group.ContainerGroupId, name: group.ContainerGroupName } },
    el('td', {}, el('a', { href, class: 'strong' }, group.ContainerGroupName),
      el('div', { class: 'mono muted small' }, group.ContainerGroupId)),
    el('td', { class: 'status' }, badge(group.Status)),
    el('td', { class: 'mono' }, group.IntranetIp || '—'),
    el('td', {}, readyCount(group)),
    el('td', { class: 'num' }, restarts(group)),
    el('td', { title: group.CreationTime }, age(group.CreationTime)),
    el('td', { class: 'small' }, `${group.Cpu ?? ''} vCPU · ${group.Memory ?? ''} GiB`),
    el('td', {}, tagList(group)));
}

function filterBar(state, onChange) {
  const search = el('input', { type: 'search', id: 'filter-search', placeholder: 'Name or ID contains…', value: state.search });
  const status = el('select', { id: 'filter-status' }, el('option', { value: '' }, 'Any status'),
    STATUSES.map((s) => el('option', { value: s, selected: s === state.status }, s)));
  const tag = el('input', { id: 'filter-tag', placeholder: 'tag key=value', value: state.tag });
  search.addEventListener('input', () => { state.search = search.value; onChange(false); });
  status.addEventListener('change', () => { state.status = status.value; onChange(true); });
  tag.addEventListener('change', () => { state.tag = tag.value.trim(); onChange(true); });
  return el('div', { class: 'filters' }, search, status, tag,
    el('a', { class: 'button primary', href: '#/create' }, '+ Create group'));
}

function serverFilters(state) {
  const filters = { Status: state.status };
  if (state.tag) {
    const [key, ...value] = state.tag.split('=');
    filters['Tag.1.Key'] = key.trim();
    if (value.length) filters['Tag.1.Value'] = value.join('=');
  }
  return filters;
}

export function renderGroups(container) {
  const state = { search: '', status: '', tag: '', groups: [] };
  const body = el('tbody', { id: 'groups-body' });
  const summary = el('span', { class: 'muted', id: 'groups-summary' }, 'Loading…');
  let timer;
  let stopped = false;

  const draw = () => {
    const needle = state.search.toLowerCase();
    const shown = state.groups.filter((g) => !needle ||
      g.ContainerGroupName.toLowerCase().includes(needle) || g.ContainerGroupId.includes(needle));
    replace(body, shown.length ? shown.map(groupRow)
      : el('tr', {}, el('td', { colspan: 8, class: 'empty' }, 'No container groups match.')));
    const running = state.groups.filter((g) => g.Status === 'Running').length;
    replace(summary, `${state.groups.length} groups · ${running} running · refreshed ${new Date().toLocaleTimeString()}`);
  };
  const refresh = async () => {
    clearTimeout(timer);
    try {
      state.groups = (await listGroups(serverFilters(state)))
        .sort((a, b) => Date.parse(b.CreationTime) - Date.parse(a.CreationTime));
      if (!stopped) draw();
    } catch (e) {
      toast(`Listing groups failed: ${e.message}`, 'bad');
    }
    if (!stopped) timer = setTimeout(refresh, REFRESH_MS);
  };

  replace(container,
    el('div', { class: 'page-head' }, el('h1', {}, 'Container groups'), summary),
    filterBar(state, (fromServer) => (fromServer ? refresh() : draw())),
    el('div', { class: 'card flush' }, el('table', { class: 'grid', id: 'groups' },
      el('thead', {}, el('tr', {}, ['Name', 'Status', 'IP', 'Ready', 'Restarts', 'Age', 'Resources', 'Tags']
        .map((h) => el('th', { class: h === 'Restarts' ? 'num' : null }, h)))),
      body)));
  refresh();
  return () => { stopped = true; clearTimeout(timer); };
}

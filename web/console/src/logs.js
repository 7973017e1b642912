// The log view of one container: DescribeContainerLog (Tail lines, or the previous attempt with
// LastTime); "Follow" polls every 2 s and keeps the view scrolled to the end.
import { call } from './api.js';
import { el, replace } from './dom.js';

const FOLLOW_MS = 2000;

export function renderLogs(pane, groupId, containerNames) {
  const container = el('select', { id: 'log-container' }, containerNames.map((n) => el('option', { value: n }, n)));
  const tail = el('select', { id: 'log-tail' }, [100, 500, 2000].map((n) => el('option', { value: n, selected: n === 500 }, `last ${n} lines`)));
  const follow = el('input', { type: 'checkbox', id: 'log-follow', checked: true });
  const previous = el('input', { type: 'checkbox', id: 'log-previous' });
  const status = el('span', { class: 'muted small', id: 'log-status' });
  const output = el('pre', { class: 'log', id: 'log-output' });
  let timer;
  let stopped = false;

  const fetchLog = async () => {
    clearTimeout(timer);
    try {
      const answer = await call('DescribeContainerLog', {
        ContainerGroupId: groupId,
        ContainerName: container.value,
        Tail: tail.value,
        LastTime: previous.checked ? 'true' : undefined,
      });
      if (stopped) return;
      const atEnd = output.scrollTop + output.clientHeight >= output.scrollHeight - 8;
      const text = answer.Content ?? '';
      if (output.textContent !== text) output.textContent = text || '';
      output.classList.toggle('empty', !text);
      if (follow.checked || atEnd) output.scrollTop = output.scrollHeight;
      replace(status, `${text ? text.split('\n').filter(Boolean).length : 0} lines · ${new Date().toLocaleTimeString()}`);
    } catch (e) {
      replace(status, `failed: ${e.message}`);
    }
    if (!stopped && follow.checked) timer = setTimeout(fetchLog, FOLLOW_MS);
  };
  for (const control of [container, tail, follow, previous]) control.addEventListener('change', fetchLog);

  replace(pane, el('section', { class: 'card' },
    el('div', { class: 'toolbar' }, el('label', {}, 'Container ', container), tail,
      el('label', { class: 'check' }, follow, ' Follow'), el('label', { class: 'check' }, previous, ' Previous attempt'),
      el('button', { onclick: fetchLog }, 'Refresh'), status),
    output));
  fetchLog();
  return () => { stopped = true; clearTimeout(timer); };
}

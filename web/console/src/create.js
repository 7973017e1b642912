// The create page: a form for a one-container group (CreateContainerGroup) and a JSON template
// (CreateContainerGroupFromTemplate). On success it goes to the list, where the new group can
// be watched until Running.
import { call } from './api.js';
import { el, keyValueLines, replace, shellWords, toast } from './dom.js';

const SAMPLE_TEMPLATE = {
  containerGroupName: 'from-template',
  tags: [{ key: 'createdFrom', value: 'template' }],
  spec: {
    restartPolicy: 'Always',
    containers: [{
      name: 'app',
      image: 'localhost/openeci/busybox:1.0',
      imagePullPolicy: 'IfNotPresent',
      command: ['sh', '-c', 'while true; do date; sleep 5; done'],
      resources: { cpu: 0.5, memory: 0.5 },
    }],
  },
};

function field(label, input, hint) {
  return el('label', {}, label, input, hint ? el('span', { class: 'hint' }, hint) : null);
}

// The flat CreateContainerGroup parameters of the form.
function formParams(data) {
  const params = {
    ContainerGroupName: data.get('name').trim(),
    RestartPolicy: data.get('restartPolicy'),
    'Container.1.Name': data.get('containerName').trim() || 'app',
    'Container.1.Image': data.get('image').trim(),
    'Container.1.ImagePullPolicy': data.get('pullPolicy'),
    'Container.1.Cpu': data.get('cpu'),
    'Container.1.Memory': data.get('memory'),
    ClientToken: crypto.getRandomValues(new Uint32Array(4)).join('-'),
  };
  shellWords(data.get('command')).forEach((word, i) => { params[`Container.1.Command.${i + 1}`] = word; });
  keyValueLines(data.get('env'), 'Environment').forEach(([k, v], i) => {
    params[`Container.1.EnvironmentVar.${i + 1}.Key`] = k;
    params[`Container.1.EnvironmentVar.${i + 1}.Value`] = v;
  });
  keyValueLines(data.get('tags'), 'Tags').forEach(([k, v], i) => {
    params[`Tag.${i + 1}.Key`] = k;
    params[`Tag.${i + 1}.Value`] = v;
  });
  return params;
}

function createForm(error) {
  const form = el('form', { class: 'card form', id: 'create-form', method: 'post', action: '#' },
    el('h2', {}, 'New container group'),
    el('div', { class: 'form-grid' },
      field('Name', el('input', { name: 'name', required: true, pattern: '[a-z0-9]([a-z0-9\\-]{0,126}[a-z0-9])?', placeholder: 'my-group' }),
        'lower-case letters, digits and -'),
      field('Container name', el('input', { name: 'containerName', value: 'app' })),
      field('Image', el('input', { name: 'image', required: true, value: 'localhost/openeci/busybox:1.0', class: 'mono' })),
      field('Image pull policy', el('select', { name: 'pullPolicy' },
        ['IfNotPresent', 'Always', 'Never'].map((p) => el('option', { value: p }, p)))),
      field('Command', el('input', { name: 'command', class: 'mono', placeholder: 'sh -c "echo hello; sleep 3600"' }),
        'words split like a shell: quotes group, empty = the image default'),
      field('Restart policy', el('select', { name: 'restartPolicy' },
        ['Always', 'OnFailure', 'Never'].map((p) => el('option', { value: p }, p)))),
      field('CPU (vCPU)', el('input', { name: 'cpu', type: 'number', min: '0.25', step: '0.25', value: '0.5' })),
      field('Memory (GiB)', el('input', { name: 'memory', type: 'number', min: '0.5', step: '0.5', value: '1' })),
      field('Environment', el('textarea', { name: 'env', rows: 3, class: 'mono', placeholder: 'KEY=value (one per line)' })),
      field('Tags', el('textarea', { name: 'tags', rows: 3, class: 'mono', placeholder: 'key=value (one per line)' }))),
    el('div', { class: 'row' }, el('button', { type: 'submit', class: 'primary', id: 'create-submit' }, 'Create'), error));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    try {
      const answer = await call('CreateContainerGroup', formParams(new FormData(form)));
      toast(`Created ${answer.ContainerGroupId}`, 'ok');
      location.hash = '#/groups';
    } catch (e) {
      replace(error, e.apiMessage ? `${e.code}: ${e.apiMessage}` : e.message);
      error.hidden = false;
    }
  });
  return form;
}

function templateForm(error) {
  const saved = sessionStorage.getItem('openeci.console.template');
  sessionStorage.removeItem('openeci.console.template');
  const text = el('textarea', { name: 'template', id: 'template-json', rows: 18, class: 'mono', spellcheck: 'false', wrap: 'off' });
  text.value = saved ?? JSON.stringify(SAMPLE_TEMPLATE, null, 2);
  const form = el('form', { class: 'card form', id: 'template-form', method: 'post', action: '#' },
    el('h2', {}, 'From a template'),
    el('p', { class: 'muted small' }, 'A container group template as JSON (the format of ExportContainerGroupTemplate); sent with CreateContainerGroupFromTemplate.'),
    text,
    el('div', { class: 'row' }, el('button', { type: 'submit', class: 'primary' }, 'Create from template'), error));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    try {
      JSON.parse(text.value);
      const answer = await call('CreateContainerGroupFromTemplate', { Template: text.value });
      toast(`Created ${answer.ContainerGroupId}`, 'ok');
      location.hash = '#/groups';
    } catch (e) {
      const unsupported = e.code === 'InvalidAction';
      replace(error, unsupported ? 'Creating from a template is not available on this server yet.'
        : e.apiMessage ? `${e.code}: ${e.apiMessage}` : `Template: ${e.message}`);
      error.hidden = false;
    }
  });
  return form;
}

export function renderCreate(container) {
  const errorOf = (id) => el('p', { class: 'error', id, hidden: true });
  replace(container,
    el('div', { class: 'page-head' }, el('h1', {}, 'Create a container group')),
    el('div', { class: 'two-col wide-left' }, createForm(errorOf('create-error')), templateForm(errorOf('template-error'))));
  return () => {};
}

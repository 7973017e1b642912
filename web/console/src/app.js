// The console's shell: sign-in, navigation and a hash router (#/groups, #/groups/<id>/<tab>,
// #/create). Each view renders into #view and returns a function that stops its timers,
// called when the route changes.
import { call, forgetKey, loadKey, saveKey } from './api.js';
import { el, replace } from './dom.js';
import { renderCreate } from './create.js';
import { renderGroup } from './group.js';
import { renderGroups } from './groups.js';

const view = document.getElementById('view');
let stopView = () => {};

// What a person should fix, from the API's error.
function signInProblem(e) {
  if (e.code === 'SignatureDoesNotMatch') return 'the AccessKey secret is wrong (SignatureDoesNotMatch).';
  if (e.code?.startsWith('InvalidAccessKeyId')) return `unknown AccessKey ID (${e.code}).`;
  return e.code ? `${e.code}: ${e.apiMessage}` : e.message;
}

function renderSignIn(container) {
  const error = el('p', { class: 'error', id: 'signin-error', hidden: true });
  const form = el('form', { class: 'card signin', id: 'signin', method: 'post', action: '#' },
    el('h1', {}, 'Sign in'),
    el('p', { class: 'muted' },
      'Use your AccessKey pair. It stays in this tab (sessionStorage) and signs each request ' +
      'here in the browser; the secret is never sent.'),
    el('label', {}, 'AccessKey ID', el('input', { name: 'id', autocomplete: 'username', required: true })),
    el('label', {}, 'AccessKey secret',
      el('input', { name: 'secret', type: 'password', autocomplete: 'current-password', required: true })),
    el('label', {}, 'Region', el('input', { name: 'region', value: 'cn-hangzhou', required: true })),
    el('button', { type: 'submit', class: 'primary' }, 'Sign in'),
    error);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const key = { id: data.get('id').trim(), secret: data.get('secret'), region: data.get('region').trim() };
    error.hidden = true;
    try {
      const regions = await call('DescribeRegions', {}, key);
      const known = (regions.Regions ?? []).map((r) => r.RegionId);
      if (known.length && !known.includes(key.region)) {
        throw new Error(`region ${key.region} is not served here (try ${known.join(', ')})`);
      }
      saveKey(key);
      if (!location.hash || location.hash === '#/signin') location.hash = '#/groups';
      route();
    } catch (e) {
      replace(error, `Sign-in failed: ${signInProblem(e)}`);
      error.hidden = false;
    }
  });
  replace(container, form);
  return () => {};
}

function renderNav(key) {
  const link = (href, text) => el('a', { href, class: location.hash.startsWith(href) ? 'active' : '' }, text);
  replace(document.getElementById('nav'),
    key ? [link('#/groups', 'Container groups'), link('#/create', 'Create')] : []);
  replace(document.getElementById('who'), key ? [
    el('span', { class: 'muted' }, `${key.id} · ${key.region}`),
    el('button', {
      class: 'link', id: 'signout',
      onclick: () => { forgetKey(); location.hash = '#/signin'; route(); },
    }, 'Sign out'),
  ] : []);
}

function route() {
  stopView();
  const key = loadKey();
  renderNav(key);
  if (!key) {
    stopView = renderSignIn(view);
    return;
  }
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (parts[0] === 'groups' && parts[1]) stopView = renderGroup(view, parts[1], parts[2] || 'overview');
  else if (parts[0] === 'create') stopView = renderCreate(view);
  else stopView = renderGroups(view);
}

window.addEventListener('hashchange', route);
route();

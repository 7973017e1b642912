// Small DOM and formatting helpers. Every text goes in through text nodes (never innerHTML),
// so names, tags and logs from the API cannot inject markup.

// el('div', {class: 'x', onclick: fn, dataset: {...}}, child, 'text', [children]...)
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k === 'value') node.value = v;
    else if (v === true) node.setAttribute(k, '');
    else node.setAttribute(k, String(v));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

// "4s", "3m 12s", "2h 5m", "3d 4h" since an ISO time ("" when absent).
export function age(iso, now = Date.now()) {
  const t = Date.parse(iso ?? '');
  if (Number.isNaN(t)) return '';
  let s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  s %= 60;
  if (m < 60) return `${m}m ${s}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

export function localTime(iso) {
  const t = Date.parse(iso ?? '');
  return Number.isNaN(t) ? '' : new Date(t).toLocaleString();
}

export function bytes(n) {
  if (!Number.isFinite(n)) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

// Colour class of a group or container status.
export function statusTone(status) {
  switch (status) {
    case 'Running':
      return 'ok';
    case 'Succeeded':
    case 'Terminated-0':
      return 'done';
    case 'Failed':
    case 'ScheduleFailed':
    case 'Terminated':
      return 'bad';
    case 'Expired':
      return 'off';
    default:
      return 'warn';
  }
}

export function badge(status, tone = statusTone(status)) {
  return el('span', { class: `badge ${tone}`, 'data-status': status }, status || 'Unknown');
}

// Splits a command line into words: whitespace separates, '…' and "…" quote, \ escapes.
export function shellWords(line) {
  const words = [];
  let word = null;
  let quote = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) word += line[++i];
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= '';
    } else if (c === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line[++i];
    } else if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (quote) throw new Error(`unclosed ${quote} quote`);
  if (word !== null) words.push(word);
  return words;
}

// The words back as one shell line (quoted where a word needs it), for display.
export function shellLine(words) {
  return words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}

// "KEY=VALUE" lines into [[key, value]]; blank lines and # comments skipped.
export function keyValueLines(text, what) {
  const pairs = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf('=');
    if (i <= 0) throw new Error(`${what}: "${line}" is not KEY=VALUE`);
    pairs.push([line.slice(0, i).trim(), line.slice(i + 1)]);
  }
  return pairs;
}

let toastTimer;
export function toast(message, tone = 'info') {
  const box = document.getElementById('toast');
  replace(box, message);
  box.className = `show ${tone}`;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.className = ''; }, 5000);
}

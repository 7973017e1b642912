// An exec terminal in the browser: ExecContainerCommand (TTY, Stdin) answers a one-time
// WebSocketUri; xterm.js talks the channel framing of the README's Exec protocol over it
// (0 stdin, 4 resize → server; 1 stdout, 2 stderr, 3 {"ExitCode"} ← server).
import { Terminal } from './vendor/xterm.mjs';
import { FitAddon } from './vendor/addon-fit.mjs';
import { call } from './api.js';
import { el, replace, shellWords } from './dom.js';

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;
const RESIZE = 4;

function frame(channel, payload) {
  const out = new Uint8Array(payload.length + 1);
  out[0] = channel;
  out.set(payload, 1);
  return out;
}

// The exec endpoint is this server; reach it at the address the page came from (the URI names
// OPENECI_LISTEN, which may be 0.0.0.0 or an address only the server knows itself by).
function sameOriginSocketUrl(uri) {
  const url = new URL(uri);
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${url.pathname}${url.search}`;
}

export function renderTerminal(pane, groupId, containerNames, currentGroup) {
  const container = el('select', { id: 'term-container' }, containerNames.map((n) => el('option', { value: n }, n)));
  const command = el('input', { id: 'term-command', value: 'sh', class: 'mono', size: 30 });
  const connect = el('button', { class: 'primary', id: 'term-connect' }, 'Connect');
  const disconnect = el('button', { id: 'term-disconnect', disabled: true }, 'Disconnect');
  const status = el('span', { class: 'muted small', id: 'term-status' }, 'Not connected.');
  const host = el('div', { class: 'terminal-host' });
  const screen = el('div', { class: 'terminal', id: 'terminal' }, host);
  const term = new Terminal({
    cursorBlink: true, fontSize: 13, convertEol: false, scrollback: 5000,
    fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, monospace',
    theme: { background: '#0f172a', foreground: '#e2e8f0' },
  });
  const fit = new FitAddon();
  term.loadAddon(fit);
  const encoder = new TextEncoder();
  let socket = null;

  const setConnected = (on, text) => {
    connect.disabled = on;
    disconnect.disabled = !on;
    replace(status, text);
    status.dataset.state = on ? 'connected' : 'closed';
  };
  const sendResize = () => {
    if (socket?.readyState === WebSocket.OPEN) {
      socket.send(frame(RESIZE, encoder.encode(JSON.stringify({ Width: term.cols, Height: term.rows }))));
    }
  };
  const onMessage = (event) => {
    const data = new Uint8Array(event.data);
    if (data.length === 0) return;
    const payload = data.subarray(1);
    if (data[0] === STDOUT || data[0] === STDERR) term.write(payload);
    else if (data[0] === STATUS) {
      const result = JSON.parse(new TextDecoder().decode(payload));
      term.write(`\r\n\x1b[2m[exited with code ${result.ExitCode}${result.Message ? `: ${result.Message}` : ''}]\x1b[0m\r\n`);
      setConnected(false, `Exited with code ${result.ExitCode}.`);
    }
  };
  const open = async () => {
    let words;
    try {
      words = shellWords(command.value);
      if (!words.length) throw new Error('enter a command');
      if (currentGroup()?.Status !== 'Running') throw new Error('the group is not Running');
    } catch (e) {
      replace(status, e.message);
      return;
    }
    setConnected(true, 'Connecting…');
    try {
      const answer = await call('ExecContainerCommand', {
        ContainerGroupId: groupId, ContainerName: container.value,
        Command: JSON.stringify(words), TTY: 'true', Stdin: 'true',
      });
      socket = new WebSocket(sameOriginSocketUrl(answer.WebSocketUri), ['v4.channel.k8s.io']);
      socket.binaryType = 'arraybuffer';
      socket.addEventListener('open', () => {
        setConnected(true, `Connected: ${words.join(' ')} in ${container.value}`);
        sendResize();
        term.focus();
      });
      socket.addEventListener('message', onMessage);
      socket.addEventListener('close', (event) => {
        if (status.dataset.state === 'connected') setConnected(false, `Closed (${event.code}).`);
        socket = null;
      });
    } catch (e) {
      setConnected(false, `Exec failed: ${e.message}`);
    }
  };
  term.onData((text) => {
    if (socket?.readyState === WebSocket.OPEN) socket.send(frame(STDIN, encoder.encode(text)));
  });
  term.onResize(sendResize);
  connect.addEventListener('click', open);
  disconnect.addEventListener('click', () => socket?.close(1000));
  command.addEventListener('keydown', (e) => { if (e.key === 'Enter') open(); });
  const onWindowResize = () => fit.fit();
  window.addEventListener('resize', onWindowResize);

  replace(pane, el('section', { class: 'card' },
    el('div', { class: 'toolbar' }, el('label', {}, 'Container ', container), el('label', {}, 'Command ', command),
      connect, disconnect, status),
    screen));
  term.open(host);
  fit.fit();
  requestAnimationFrame(() => fit.fit());
  return () => {
    window.removeEventListener('resize', onWindowResize);
    socket?.close(1000);
    term.dispose();
  };
}

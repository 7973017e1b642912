// Client side of OpenECI's exec WebSocket (the WebSocketUri of ExecContainerCommand): connects,
// collects what the server sends per channel (1 stdout, 2 stderr, 3 the exit frame) and the
// close, and sends frames (0 stdin, 4 resize).
//
//   const s = openExec(body.webSocketUri);
//   await s.opened;                      // rejects with {statusCode, body} when refused
//   s.send(0, 'echo hi\n');
//   await s.until((x) => x.out[1].includes('hi'));
//   await s.closed;                      // {code, reason}; s.exit is {ExitCode} by then
import WebSocket from 'ws';

export function openExec(uri) {
  const ws = new WebSocket(uri);
  const session = { ws, out: { 1: '', 2: '' }, exit: undefined, waiters: [] };
  const notify = () => {
    for (const w of [...session.waiters]) w();
  };
  ws.on('message', (data) => {
    const buf = Buffer.from(data);
    const channel = buf[0];
    const payload = buf.subarray(1).toString('utf8');
    if (channel === 3) session.exit = JSON.parse(payload);
    else session.out[channel] = (session.out[channel] ?? '') + payload;
    notify();
  });
  session.opened = new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => reject(Object.assign(new Error(`refused ${res.statusCode}`),
        { statusCode: res.statusCode, body })));
    });
    ws.once('error', reject);
  });
  session.closed = new Promise((resolve) => ws.once('close', (code, reason) => {
    resolve({ code, reason: reason.toString() });
    notify();
  }));
  session.send = (channel, text) => ws.send(Buffer.concat([Buffer.from([channel]),
    Buffer.from(text)]));
  // Resolves once predicate(session) holds; rejects after timeoutMs with what was seen.
  session.until = (predicate, timeoutMs = 15000) => new Promise((resolve, reject) => {
    const check = () => {
      if (!predicate(session)) return;
      clearTimeout(timer);
      session.waiters = session.waiters.filter((w) => w !== check);
      resolve();
    };
    const timer = setTimeout(() => {
      session.waiters = session.waiters.filter((w) => w !== check);
      reject(new Error(`timed out; seen ${JSON.stringify({ out: session.out, exit: session.exit })}`));
    }, timeoutMs);
    session.waiters.push(check);
    check();
  });
  return session;
}

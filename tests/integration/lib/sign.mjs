// Independent signing helpers for raw HTTP requests (no SDK code), written from
// /work/shared/reference/sdk-wire-contract.md sections 3 and 4. Used by auth.test.mjs to build
// requests the SDKs refuse to build (wrong secret, stale timestamp, reused nonce, ...).
import crypto from 'node:crypto';
import http from 'node:http';

export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

// RFC 3986 encoding over UTF-8: only A-Z a-z 0-9 - _ . ~ stay literal, upper-case hex.
export function pct(s) {
  return encodeURIComponent(String(s)).replace(
    /[!'()*]/g,
    (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase(),
  );
}

export function nonce() {
  return crypto.randomBytes(16).toString('hex');
}

// 2024-05-01T12:00:00Z (no milliseconds), UTC.
export function isoSeconds(date = new Date()) {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function sortedEntries(params) {
  return Object.entries(params)
    .filter(([k]) => k !== 'Signature')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

// ---- RPC V1 (HMAC-SHA1) ------------------------------------------------------------------

export function v1StringToSign(method, params) {
  const canon = sortedEntries(params)
    .map(([k, v]) => `${pct(k)}=${pct(v)}`)
    .join('&');
  return `${method.toUpperCase()}&${pct('/')}&${pct(canon)}`;
}

export function v1Signature(method, params, secret) {
  return crypto
    .createHmac('sha1', `${secret}&`)
    .update(v1StringToSign(method, params))
    .digest('base64');
}

// Common V1 params (pop-core style) around `params`; returns the signed param map.
// opts: {accessKeyId, secret, action, version, format, timestamp, nonce, method}; any common
// param set to null is left out (for "missing X" tests); `sign: false` leaves out Signature.
export function v1Params(opts, params = {}) {
  const common = {
    AccessKeyId: opts.accessKeyId,
    Action: opts.action,
    Format: opts.format ?? 'JSON',
    SignatureMethod: 'HMAC-SHA1',
    SignatureNonce: opts.nonce ?? nonce(),
    SignatureVersion: '1.0',
    Timestamp: opts.timestamp ?? isoSeconds(),
    Version: opts.version ?? '2018-08-08',
  };
  const all = {};
  for (const [k, v] of Object.entries({ ...common, ...params })) {
    if (v !== null && v !== undefined) all[k] = String(v);
  }
  if (opts.sign !== false) {
    all.Signature = v1Signature(opts.method ?? 'GET', all, opts.signSecret ?? opts.secret);
  }
  return all;
}

export function encodeForm(params) {
  return Object.entries(params)
    .map(([k, v]) => `${pct(k)}=${pct(v)}`)
    .join('&');
}

// ---- ACS3-HMAC-SHA256 (V3) ---------------------------------------------------------------

const sha256hex = (data) => crypto.createHash('sha256').update(data).digest('hex');

// headers: lower-case names. Signs host, content-type and every x-acs-* header present.
export function v3Authorization({ method, query, headers, accessKeyId, secret }) {
  const canonQuery = sortedEntries(query)
    .map(([k, v]) => `${k}=${pct(v)}`)
    .join('&');
  const names = Object.keys(headers)
    .map((h) => h.toLowerCase())
    .filter((h) => h === 'host' || h === 'content-type' || h.startsWith('x-acs-'))
    .sort();
  const canonHeaders = names.map((h) => `${h}:${String(headers[h]).trim()}\n`).join('');
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    method.toUpperCase(),
    '/',
    canonQuery,
    canonHeaders,
    signedHeaders,
    headers['x-acs-content-sha256'],
  ].join('\n');
  const stringToSign = `ACS3-HMAC-SHA256\n${sha256hex(canonicalRequest)}`;
  const signature = crypto.createHmac('sha256', secret).update(stringToSign).digest('hex');
  return {
    canonicalRequest,
    stringToSign,
    signature,
    authorization:
      `ACS3-HMAC-SHA256 Credential=${accessKeyId},SignedHeaders=${signedHeaders},` +
      `Signature=${signature}`,
  };
}

// Builds a style-A request (POST /, params in the query, empty body).
// opts: {host, accessKeyId, secret, action, version, date, nonce, signSecret}
export function v3Request(opts, query = {}) {
  const headers = {
    host: opts.host,
    'x-acs-version': opts.version ?? '2018-08-08',
    'x-acs-action': opts.action,
    'x-acs-date': opts.date ?? isoSeconds(),
    'x-acs-signature-nonce': opts.nonce ?? nonce(),
    'x-acs-content-sha256': EMPTY_SHA256,
    'x-acs-credentials-provider': 'static_ak',
  };
  const { authorization } = v3Authorization({
    method: 'POST',
    query,
    headers,
    accessKeyId: opts.accessKeyId,
    secret: opts.signSecret ?? opts.secret,
  });
  return {
    method: 'POST',
    path: '/?' + Object.entries(query).map(([k, v]) => `${k}=${pct(v)}`).join('&'),
    headers: { ...headers, accept: 'application/json', authorization },
    body: '',
  };
}

// ---- raw HTTP ----------------------------------------------------------------------------

// Sends one request to endpoint (http://host:port); resolves {status, headers, text, json}.
export function rawRequest(endpoint, { method = 'GET', path = '/', headers = {}, body = '' }) {
  const url = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        timeout: 10000,
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode, headers: res.headers, text, json });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    req.on('error', reject);
    req.end(body);
  });
}

// V1 request helper: GET puts everything in the query, POST in a form body.
export function v1Send(endpoint, opts, params = {}) {
  const method = opts.method ?? 'GET';
  const signed = v1Params({ ...opts, method }, params);
  const host = new URL(endpoint).host;
  if (method === 'GET') {
    return rawRequest(endpoint, { method, path: '/?' + encodeForm(signed), headers: { host } });
  }
  return rawRequest(endpoint, {
    method,
    path: '/',
    headers: { host, 'content-type': 'application/x-www-form-urlencoded' },
    body: encodeForm(signed),
  });
}

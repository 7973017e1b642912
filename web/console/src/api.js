// The console's API client: every call is an RPC V1 request (HMAC-SHA1 `Signature`) POSTed as a
// form body to `/`, signed here in the browser. The AccessKey pair lives in sessionStorage only
// (gone when the tab closes); it never goes into a URL, a cookie or localStorage, and the
// secret itself is never sent: only the signature is.
import { hmacSha1Base64 } from './sha1.js';

const KEY_ITEM = 'openeci.console.accessKey';
const API_VERSION = '2018-08-08';

export class ApiError extends Error {
  constructor(code, message, status, requestId) {
    super(`${code}: ${message}`);
    this.code = code;
    this.status = status;
    this.requestId = requestId;
    this.apiMessage = message;
  }
}

export function loadKey() {
  try {
    const key = JSON.parse(sessionStorage.getItem(KEY_ITEM) ?? 'null');
    return key?.id && key?.secret ? key : null;
  } catch {
    return null;
  }
}

export function saveKey(key) {
  sessionStorage.setItem(KEY_ITEM, JSON.stringify(key));
}

export function forgetKey() {
  sessionStorage.removeItem(KEY_ITEM);
}

// RFC 3986 percent-encoding over UTF-8 (only A-Z a-z 0-9 - _ . ~ literal), as both the
// signature and the form body use it.
export function pct(value) {
  return encodeURIComponent(String(value)).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function nonce() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function timestamp() {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// METHOD&%2F&pct(sorted k=v pairs), keys in plain code-unit order (ASCII keys: byte order).
export function stringToSign(method, params) {
  const canon = Object.keys(params)
    .filter((k) => k !== 'Signature')
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((k) => `${pct(k)}=${pct(params[k])}`)
    .join('&');
  return `${method}&${pct('/')}&${pct(canon)}`;
}

// Base64(HMAC-SHA1(secret + "&", text)) with Web Crypto; pages served from a non-loopback
// plain-HTTP address have no crypto.subtle (not a secure context), so sha1.js stands in there.
export async function sign(secret, text) {
  const enc = new TextEncoder();
  if (globalThis.crypto?.subtle) {
    const key = await crypto.subtle.importKey(
      'raw', enc.encode(`${secret}&`), { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
    const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, enc.encode(text)));
    return btoa(String.fromCharCode(...mac));
  }
  return hmacSha1Base64(enc.encode(`${secret}&`), enc.encode(text));
}

// Calls `action` with `params` (flat RPC parameters; undefined/null/'' values are left out) and
// returns the parsed JSON answer; throws ApiError for an error answer.
export async function call(action, params = {}, key = loadKey()) {
  if (!key) throw new ApiError('NotSignedIn', 'sign in first', 0, '');
  const all = {
    AccessKeyId: key.id,
    Action: action,
    Format: 'JSON',
    RegionId: key.region,
    SignatureMethod: 'HMAC-SHA1',
    SignatureNonce: nonce(),
    SignatureVersion: '1.0',
    Timestamp: timestamp(),
    Version: API_VERSION,
  };
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') all[k] = String(v);
  }
  all.Signature = await sign(key.secret, stringToSign('POST', all));
  const body = Object.entries(all).map(([k, v]) => `${pct(k)}=${pct(v)}`).join('&');
  const res = await fetch('/', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body,
    credentials: 'omit',
    cache: 'no-store',
  });
  let answer = {};
  try {
    answer = await res.json();
  } catch {
    // not JSON: reported below
  }
  if (!res.ok || answer.Code) {
    throw new ApiError(answer.Code ?? `HTTP${res.status}`, answer.Message ?? res.statusText,
      res.status, answer.RequestId ?? '');
  }
  return answer;
}

// Every group matching `filters` (DescribeContainerGroups pages of 20, at most `maxPages`).
export async function listGroups(filters = {}, maxPages = 10) {
  const groups = [];
  let token;
  for (let page = 0; page < maxPages; page++) {
    const answer = await call('DescribeContainerGroups', { ...filters, Limit: 20, NextToken: token });
    groups.push(...(answer.ContainerGroups ?? []));
    token = answer.NextToken;
    if (!token) break;
  }
  return groups;
}

export async function getGroup(id) {
  const answer = await call('DescribeContainerGroups', { ContainerGroupIds: JSON.stringify([id]) });
  return answer.ContainerGroups?.[0] ?? null;
}

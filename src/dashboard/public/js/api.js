// The authenticated /v1 API. The token is pasted once at login and kept in sessionStorage: it lives as long as
// the tab, is sent only as the bearer header of these fetch calls, and never goes into a URL or a cookie.

const TOKEN_KEY = 'callflow.apiToken';

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error ?? `HTTP ${status}`);
    this.status = status;
    this.details = Array.isArray(body?.details) ? body.details : [];
    this.body = body;
  }
}

const apiBase = new URL('../v1/', document.baseURI);
const dashboardBase = new URL('./', document.baseURI);

export async function api(method, path, body, headers = {}) {
  return request(new URL(path.replace(/^\//, ''), apiBase), method, body, headers);
}

export async function dashboardJson(path) {
  return request(new URL(path, dashboardBase), 'GET');
}

async function request(url, method, body, headers = {}) {
  const res = await fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${token() ?? ''}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = { error: text };
  }
  if (res.status === 401) {
    setToken(null);
    window.dispatchEvent(new Event('callflow:signed-out'));
  }
  if (!res.ok) throw new ApiError(res.status, parsed);
  return { body: parsed, headers: res.headers };
}

/**
 * Signs this browser in to the codec too (an HttpOnly session cookie that holds no token), so the Temporal UI the
 * ingress serves on this origin shows the calls it links to decoded. Best effort: without it the UI asks to sign in.
 */
export async function openTemporalUiSession() {
  try {
    await fetch(new URL('../codec/session', document.baseURI), {
      method: 'POST',
      headers: { authorization: `Bearer ${token() ?? ''}` },
    });
  } catch {
    // The UI's own sign-in form remains.
  }
}

/** Ends the codec session that `openTemporalUiSession` opened. */
export async function closeTemporalUiSession() {
  try {
    await fetch(new URL('../codec/session', document.baseURI), { method: 'DELETE' });
  } catch {
    // Nothing to end.
  }
}

export const q = encodeURIComponent;

// The portal's only way to talk to the server: same-origin fetches to /api/portal/*,
// the session token from localStorage as a bearer token, JSON in and out, and one error type
// that carries the server's {"error":{"code","message","request_id"}}.

const TOKEN_KEY = 'portal.session';
const BASE = '/api/portal';

export const session = {
  get() {
    try { return window.localStorage.getItem(TOKEN_KEY); } catch { return null; }
  },
  set(token) {
    try { window.localStorage.setItem(TOKEN_KEY, token); } catch { /* storage disabled */ }
  },
  clear() {
    try { window.localStorage.removeItem(TOKEN_KEY); } catch { /* storage disabled */ }
  },
};

export class ApiError extends Error {
  constructor({ status, code, message, requestId }) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.requestId = requestId || '';
    // True when the app already reacted (for example by showing the "expired" view);
    // a view that catches it should draw nothing.
    this.handled = false;
  }
}

/** The ApiError of a non-2xx answer: the server's {"error":{...}} when it sent one. */
function errorOf(res, data, headerRequestId) {
  const body = data && typeof data === 'object' && data.error && typeof data.error === 'object' ? data.error : {};
  return new ApiError({
    status: res.status,
    code: typeof body.code === 'string' ? body.code : `http_${res.status}`,
    message: typeof body.message === 'string' && body.message
      ? body.message
      : `The server answered ${res.status}${res.statusText ? ` ${res.statusText}` : ''} without an explanation.`,
    requestId: typeof body.request_id === 'string' ? body.request_id : headerRequestId,
  });
}

/** The error of a fetch that never got an answer. */
function networkError(e) {
  return new ApiError({
    status: 0,
    code: 'network',
    message: `Could not reach the portal server (${e && e.message ? e.message : 'network error'}). Check your connection and try again.`,
  });
}

let unauthorizedHandler = () => {};

/** Called with the ApiError whenever the server answers 401 (or there is no token at all). */
export function onUnauthorized(fn) {
  unauthorizedHandler = fn;
}

/** True for errors the view should stay silent about (aborted or already handled). */
export function isSilent(err) {
  return !!err && (err.name === 'AbortError' || err.handled === true);
}

/**
 * One request. Returns {status, data, etag, requestId}; throws ApiError for any non-2xx answer,
 * for a network failure (status 0) and for a body that is not JSON.
 * opts: body (JSON-encoded), headers, signal, noAuthRedirect (do not treat 401 as "expired").
 */
export async function request(method, path, opts = {}) {
  const token = session.get();
  if (!token) {
    const err = new ApiError({
      status: 401, code: 'no_session', message: 'There is no portal session in this browser.',
    });
    if (!opts.noAuthRedirect) {
      err.handled = true;
      unauthorizedHandler(err);
    }
    throw err;
  }
  const headers = { Accept: 'application/json', Authorization: `Bearer ${token}`, ...(opts.headers || {}) };
  const init = { method, headers, signal: opts.signal, cache: 'no-store', credentials: 'same-origin' };
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(opts.body);
  }

  let res;
  try {
    res = await fetch(BASE + path, init);
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw networkError(e);
  }

  const headerRequestId = res.headers.get('x-request-id') || '';
  const text = await res.text();
  let data = null;
  let parsed = true;
  if (text) {
    try { data = JSON.parse(text); } catch { parsed = false; }
  }

  if (!res.ok) {
    const err = errorOf(res, parsed ? data : null, headerRequestId);
    if (res.status === 401 && !opts.noAuthRedirect) {
      session.clear();
      err.handled = true;
      unauthorizedHandler(err);
    }
    throw err;
  }
  if (!parsed) {
    throw new ApiError({
      status: res.status,
      code: 'bad_response',
      message: `The server sent a response that is not JSON (HTTP ${res.status}).`,
      requestId: headerRequestId,
    });
  }
  return { status: res.status, data, etag: res.headers.get('ETag'), requestId: headerRequestId };
}

/** Encodes one path segment (a secret, cron or exposure name). */
export function seg(name) {
  return encodeURIComponent(String(name));
}

export const api = {
  get: (path, opts) => request('GET', path, opts),
  post: (path, body, opts = {}) => request('POST', path, { ...opts, body }),
  put: (path, body, opts = {}) => request('PUT', path, { ...opts, body }),
  del: (path, opts) => request('DELETE', path, opts),
};

/**
 * Opens a magic link: spends the link's token (`POST /api/auth/exchange`) and answers the
 * browser's own session token, so a link left in a chat history is worthless once used.
 * Throws ApiError; its code tells an expired link (link_expired), a used one (link_used), an
 * ended one (link_revoked) and an unknown one (link_unknown) apart.
 */
export async function exchangeLink(linkToken) {
  let res;
  try {
    res = await fetch('/api/auth/exchange', {
      method: 'POST',
      headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: JSON.stringify({ link_token: linkToken }),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (e) {
    throw networkError(e);
  }
  let data = null;
  try { data = await res.json(); } catch { /* checked below */ }
  if (res.ok && data && typeof data.session_token === 'string') return data.session_token;
  throw errorOf(res, data, res.headers.get('x-request-id') || '');
}

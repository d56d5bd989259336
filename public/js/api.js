// The portal's only way to talk to Portico: the /api/v1 REST API, with the session cookie and
// the CSRF token for writes. Errors arrive as RFC 9457 problem documents and are thrown as ApiError.

let csrfToken = null;

export class ApiError extends Error {
  constructor(problem, status) {
    super(problem.detail || problem.title || `Request failed (${status})`);
    this.status = status;
    this.type = (problem.type || '').replace('https://portico.dev/problems/', '');
    this.title = problem.title || 'Request failed';
    this.errors = problem.errors || [];
    this.currentState = problem.currentState;
  }
}

export function setCsrfToken(token) { csrfToken = token || null; }

function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== '') search.set(key, value);
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export async function api(path, { method = 'GET', body, params, raw = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') {
    if (csrfToken) headers['X-CSRF-Token'] = csrfToken;
    headers['Content-Type'] = 'application/json';
  }
  let response;
  try {
    response = await fetch(`/api/v1${path}${query(params)}`, {
      method, headers, credentials: 'same-origin',
      body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)),
    });
  } catch (error) {
    throw new ApiError({ title: 'Network error', detail: 'Portico cannot be reached. Check your connection and try again.' }, 0);
  }
  if (response.status === 204) return null;
  const type = response.headers.get('Content-Type') || '';
  if (!response.ok) {
    let problem = { title: response.statusText };
    if (type.includes('json')) { try { problem = await response.json(); } catch { /* keep the status text */ } }
    throw new ApiError(problem, response.status);
  }
  if (raw) return response;
  return type.includes('json') ? response.json() : response.text();
}

/** Follows nextCursor until `max` items are collected. */
export async function all(path, params = {}, max = 500) {
  let items = [];
  let cursor;
  do {
    const page = await api(path, { params: { ...params, limit: 100, cursor } });
    items = items.concat(page.items);
    cursor = page.nextCursor;
  } while (cursor && items.length < max);
  return items;
}

// The bridge's REST API on the page's own origin: the browser's cached Basic credentials go
// with every request.

import { setServerTime } from './dom.js';

export const P = '/communication_manager/rest/live';

export class ApiError extends Error {
  constructor(status, error, message) {
    super(message);
    this.status = status;
    this.error = error;
  }
}

async function request(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(P + path, init);
  const date = response.headers.get('Date');
  if (date) setServerTime(date, false);
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const message = (data && typeof data.message === 'string') ? data.message
      : `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, data && data.error, message);
  }
  return data;
}

export const get = (path) => request('GET', path);
export const post = (path, body) => request('POST', path, body);

// a list that may not exist yet on this bridge (404: none)
export async function getOptional(path) {
  try {
    return await get(path);
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 405)) return null;
    throw error;
  }
}

export const id = encodeURIComponent;

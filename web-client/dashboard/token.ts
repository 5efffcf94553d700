// The viewer's token (PROTOCOL §Auth): taken from `?token=` on the first URL, then kept in
// sessionStorage (this tab only) and removed from the address bar so it is not bookmarked,
// shared or left in history.
import { QueryParams } from '../../protocol/headers.js';

const STORAGE_KEY = 'runlog.token';
/** Where the token lives when sessionStorage is disabled: as long as the page. */
let pageToken: string | undefined;

/** Moves `?token=` from the address bar into sessionStorage; returns the token to use. */
export function adoptToken(): string | undefined {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get(QueryParams.token);
  if (fromUrl !== null) {
    url.searchParams.delete(QueryParams.token);
    window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash);
    if (fromUrl !== '') saveToken(fromUrl);
  }
  return readToken();
}

export function readToken(): string | undefined {
  try {
    return window.sessionStorage.getItem(STORAGE_KEY) ?? pageToken;
  } catch {
    return pageToken;
  }
}

export function saveToken(token: string): void {
  pageToken = token;
  try {
    window.sessionStorage.setItem(STORAGE_KEY, token);
  } catch {
    // storage disabled: pageToken keeps it
  }
}

export function forgetToken(): void {
  pageToken = undefined;
  try {
    window.sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // nothing stored
  }
}

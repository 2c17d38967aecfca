// A tiny router on location.hash: "#/boards/abc?sort=likes" is the path
// "/boards/abc" with params {id: "abc"} and query sort=likes.

/**
 * What a view's render function is given (app.js renderRoute).
 * @typedef {object} ViewContext
 * @property {HTMLElement} root where the view draws
 * @property {Record<string, string>} params the path's parameters (/posts/:id → {id})
 * @property {URLSearchParams} query
 * @property {string} path
 * @property {AbortSignal} signal aborted when another page is drawn
 * @property {(fn: () => unknown) => void} onCleanup runs fn when the page goes
 * @property {(text: string) => void} title sets the document's title
 */

const routes = [];

/** Registers a path pattern ("/posts/:id") with its data (view loader, guards). */
export function route(pattern, data) {
  const names = [];
  const source = pattern.replace(/:([a-zA-Z]+)/g, (_, name) => {
    names.push(name);
    return '([^/]+)';
  });
  routes.push({ regex: new RegExp(`^${source}$`), names, pattern, ...data });
}

/** The current location as {path, query}. */
export function current() {
  const raw = window.location.hash.replace(/^#/, '') || '/';
  const [path, search = ''] = raw.split('?');
  return { path: path || '/', query: new URLSearchParams(search), raw };
}

/** Finds the route of a path: {route, params} or null. */
export function match(path) {
  for (const r of routes) {
    const m = r.regex.exec(path);
    if (!m) continue;
    const params = {};
    for (const [i, name] of r.names.entries()) {
      try {
        params[name] = decodeURIComponent(m[i + 1]);
      } catch {
        return null; // a malformed escape (a truncated link's "%E0%A4%A") names no page
      }
    }
    return { route: r, params };
  }
  return null;
}

/** Where signing in leads: the query's `next` (a path of this client, never the sign-in page), else home. */
export function afterSignIn(query) {
  const next = query.get('next');
  return next && next.startsWith('/') && !next.startsWith('/signin') ? next : '/';
}

/** Goes to a path ("/posts/abc"), with an optional query object. */
export function navigate(path, query) {
  const qs = query ? new URLSearchParams(Object.entries(query).filter(([, v]) => v !== '' && v != null)).toString() : '';
  const hash = `#${path}${qs ? '?' + qs : ''}`;
  if (window.location.hash === hash) {
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else {
    window.location.hash = hash;
  }
}

/**
 * Goes to a path in place of the current history entry: a page that sends
 * its reader elsewhere (to sign in) leaves no entry Back would return to,
 * only to be sent on again (until 2026-12-07 Back never got past it).
 */
export function redirect(path, query) {
  window.location.replace(link(path, query));
}

export function link(path, query) {
  const qs = query ? new URLSearchParams(Object.entries(query).filter(([, v]) => v !== '' && v != null)).toString() : '';
  return `#${path}${qs ? '?' + qs : ''}`;
}

/** Calls render(location) now and on every hash change. */
export function start(render) {
  window.addEventListener('hashchange', () => render(current()));
  render(current());
}

// The one PocketBase client of the page, and what every view asks of it:
// who is signed in, file URLs, feature detection and 401 handling.
import PocketBase from '../vendor/pocketbase.es.mjs';

/** @type {import('./madang-types').TypedPocketBase} */
export const pb = new PocketBase(window.location.origin);

// Views load lists in parallel and navigate fast; the SDK's default
// cancellation of a "duplicate" request would abort legitimate ones.
pb.autoCancellation(false);

/** @type {(message: string, data?: object) => void} */
let unauthorizedHandler = () => {};

/** Sets what happens when the server says the token is dead (401). */
export function onUnauthorized(fn) {
  unauthorizedHandler = fn;
}

// The token this tab's last dead-token 401 was for: requests sent together
// fail together, and the session ends once.
let deadToken = '';

/**
 * A 401 to a request sent with `sent` means that token is dead (expired,
 * password changed, banned, signed out everywhere): drop it and let the app
 * show the sign-in page with the server's message. It ends the session here
 * even when another tab already took the token out of the shared storage.
 * Returns whether the 401 was such an end (a guest's 401 is a refusal).
 */
function tokenDied(sent, message, data) {
  if (!sent) return false;
  if (renewal && sent === pb.authStore.token) {
    // refused during a change that replaces this token: whether the session
    // ended is known when the change is done (see renewingSession)
    const decide = () => { if (pb.authStore.token === sent) endSession(sent, message, data); };
    renewal.then(decide, decide);
    return true;
  }
  return endSession(sent, message, data);
}

/** The session whose token is `sent` ended here: show sign-in once. */
function endSession(sent, message, data) {
  if (sent === deadToken) return true;
  deadToken = sent;
  const now = pb.authStore.token;
  // someone else signed in meanwhile (another tab): their session lives on
  if (now && now !== sent) return true;
  if (now) pb.authStore.clear();
  unauthorizedHandler(message, data);
  return true;
}

/** The token a request was sent with (the SDK adds it to the headers). */
function sentToken(options) {
  const headers = options?.headers || {};
  const name = Object.keys(headers).find((k) => k.toLowerCase() === 'authorization');
  return name ? String(headers[name] || '') : '';
}

/**
 * @param {Response} response
 * @param {any} data
 * @param {import('../vendor/pocketbase.es.mjs').SendOptions} [options]
 */
function afterSend(response, data, options) {
  if (response.status === 401 && tokenDied(sentToken(options), data?.message || '', data?.data || {})) {
    if (data && typeof data === 'object') data.signedOut = true;
  }
  return data;
}
pb.afterSend = afterSend;

/** The request failed because the token died, and the sign-in page is already shown. */
export function signedOut(err) {
  return err?.status === 401 && err?.response?.signedOut === true;
}

// A realtime connection belongs to the user it was opened for: PocketBase
// refuses (403) subscriptions sent with another user's token. When the user
// changes, open a new connection that carries the current subscriptions.
let realtimeUser = pb.authStore.record?.id || '';
pb.authStore.onChange(() => {
  const id = pb.authStore.isValid ? pb.authStore.record?.id || '' : '';
  if (id === realtimeUser) return;
  realtimeUser = id;
  renewRealtime();
});

/** @type {Promise<unknown> | null} the session change under way, if any */
let renewal = null;

/**
 * Runs a change that ends every session of the account and, when it
 * succeeds, this tab's next one: a password change and the sign-in with the
 * new password, an email change, signing out of every device, or deleting
 * the account. Meanwhile a 401 to a request sent with
 * the token being replaced (a view reading again, the bell) does not send
 * the page to sign-in: if the change leaves a new token, or none, the 401 is
 * forgotten (the realtime reconnect that follows makes the views read again),
 * as is one that arrives after the change answered; if the old token is
 * still the one held, its session ended as usual.
 *
 * This page's realtime connection is closed while the change runs: the
 * server closes the account's connections, and this one would reconnect at
 * once with the dead token. It opens again, with the subscriptions, when
 * the change is done.
 * @template T
 * @param {() => Promise<T>} work
 * @returns {Promise<T>}
 */
export async function renewingSession(work) {
  /** @type {any} */ (pb.realtime).disconnect(); // private in the SDK's types
  const before = pb.authStore.token;
  const run = work();
  renewal = run;
  try {
    const result = await run;
    // this tab retired the token itself: a 401 for it that arrives late
    // (a request sent before the change answered) is no lost session
    if (before && pb.authStore.token !== before) deadToken = before;
    return result;
  } finally {
    if (renewal === run) renewal = null;
    renewRealtime();
  }
}

/** Opens a new realtime connection with the current token, keeping the subscriptions. */
function renewRealtime() {
  const realtime = /** @type {any} */ (pb.realtime); // these methods are private in the SDK's types
  realtime.disconnect();
  if (realtime.hasSubscriptionListeners()) realtime.connect().catch(() => {});
}

/**
 * The signed-in user: this client signs in to the users collection only.
 * @returns {import('./madang-types').UsersRecord | null}
 */
export function me() {
  return pb.authStore.isValid ? /** @type {import('./madang-types').UsersRecord} */ (pb.authStore.record) : null;
}

export function isAdmin() {
  const user = me();
  return !!user && user.collectionName === 'users' && user.role === 'admin';
}

/** The error a PocketBase request failed with was a missing collection or route. */
export function isMissing(err) {
  return err?.status === 404;
}

/** Asks whether a collection exists for this client, without failing loudly. */
export async function collectionAvailable(name) {
  try {
    await pb.collection(name).getList(1, 1, { skipTotal: true, fields: 'id' });
    return true;
  } catch (err) {
    if (isMissing(err)) return false;
    throw err;
  }
}

/**
 * URLs of a record's protected files, with one short-lived file token.
 * @param {import('./madang-types').PostsRecord | import('./madang-types').CommentsRecord} record
 * @param {'attachments'} field
 */
export async function protectedFileURLs(record, field) {
  const names = [].concat(record[field] || []);
  if (!names.length) return [];
  const token = await pb.files.getToken();
  return names.map((name) => ({ name, url: pb.files.getURL(record, name, { token }) }));
}

/**
 * @param {Partial<import('./madang-types').UsersRecord> | null | undefined} user
 * @param {string} [thumb]
 */
export function avatarURL(user, thumb = '96x96') {
  if (!user?.avatar) return '';
  return pb.files.getURL(user, user.avatar, { thumb });
}

/**
 * Sends a multipart create/update with upload progress (fetch cannot report
 * it). Resolves with the saved record; rejects with an error shaped like the
 * SDK's ({status, message, response: {data}}).
 */
export function uploadRecord({ collection, id = '', formData, onProgress }) {
  const url = pb.buildURL(`/api/collections/${encodeURIComponent(collection)}/records${id ? '/' + encodeURIComponent(id) : ''}`);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(id ? 'PATCH' : 'POST', url);
    const token = pb.authStore.token;
    if (token) xhr.setRequestHeader('Authorization', token);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      /** @type {Record<string, any>} */
      let data = {};
      try {
        data = JSON.parse(xhr.responseText || '{}');
      } catch {
        data = {};
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(data);
        return;
      }
      if (xhr.status === 401 && tokenDied(token, data.message || '', data.data || {})) data.signedOut = true;
      reject(Object.assign(new Error(data.message || 'upload failed'), {
        status: xhr.status, response: data, data,
      }));
    };
    xhr.onerror = () => reject(Object.assign(new Error('network error'), { status: 0, response: {} }));
    xhr.send(formData);
  });
}

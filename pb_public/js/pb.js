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

// A 401 means a dead token (expired, password changed, banned): drop it and
// let the app show the sign-in page with the server's message.
pb.afterSend = (response, data) => {
  if (response.status === 401 && pb.authStore.token) {
    const message = data?.message || '';
    pb.authStore.clear();
    unauthorizedHandler(message, data?.data || {});
    if (data && typeof data === 'object') data.signedOut = true;
  }
  return data;
};

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

/**
 * Opens a new realtime connection with the current token, keeping the
 * subscriptions. Also needed after a password change: the server then
 * forgets whose the open connection was, and sends it what a guest gets.
 */
export function renewRealtime() {
  const realtime = /** @type {any} */ (pb.realtime); // these methods are private in the SDK's types
  realtime.disconnect();
  if (realtime.hasSubscriptionListeners()) realtime.connect().catch(() => {});
}

export function me() {
  return pb.authStore.isValid ? pb.authStore.record : null;
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

/** URLs of a record's protected files, with one short-lived file token. */
export async function protectedFileURLs(record, field) {
  const names = [].concat(record[field] || []);
  if (!names.length) return [];
  const token = await pb.files.getToken();
  return names.map((name) => ({ name, url: pb.files.getURL(record, name, { token }) }));
}

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
    if (pb.authStore.token) xhr.setRequestHeader('Authorization', pb.authStore.token);
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
      if (xhr.status === 401 && pb.authStore.token) {
        pb.authStore.clear();
        unauthorizedHandler(data.message || '');
        data.signedOut = true;
      }
      reject(Object.assign(new Error(data.message || 'upload failed'), {
        status: xhr.status, response: data, data,
      }));
    };
    xhr.onerror = () => reject(Object.assign(new Error('network error'), { status: 0, response: {} }));
    xhr.send(formData);
  });
}

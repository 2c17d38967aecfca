// Live updates: the server's own realtime (SSE, through the SDK) by
// default, or the optional Centrifugo tier when GET /api/realtime/config
// says it is on. On the tier the server sends each user's events to their
// personal channel as {topic, data} — the SSE message's name and data — so
// the same handlers serve both (the page subscribes to that channel itself,
// through the server's proxy); posts, comments and boards are followed by
// subscribing to their topic as a shared channel (the server checks the
// rule). What the tier does not carry (filtered subscriptions, presence,
// other collections) stays on SSE.
import { Centrifuge, UnauthorizedError } from '../vendor/centrifuge.es.mjs';
import { pb, me } from './pb.js';

/** @typedef {{enabled: boolean, url: string, personal: string[], shared: string[], topics: string[]}} TierConfig */

/** @type {Promise<TierConfig> | null} */
let configPromise = null;

/** The tier's configuration, asked once per page. */
function tierConfig() {
  if (!configPromise) {
    configPromise = pb.send('/api/realtime/config', { method: 'GET' })
      .then((c) => ({ enabled: !!c?.enabled, url: c?.url || '', personal: c?.personal || [], shared: c?.shared || [], topics: c?.topics || [] }))
      .catch(() => ({ enabled: false, url: '', personal: [], shared: [], topics: [] }));
  }
  return configPromise;
}

/** How long a subscription may take before its caller goes on without it. */
const LIVE_READY_MS = 10000;
/** @type {Centrifuge | null} */
let client = null;
let clientUser = '';
let clientSession = ''; // the PocketBase token the last connection token was asked with
/** @type {Set<{topic?: string, collection?: string, id?: string, callback: (data: any) => void}>} */
const listeners = new Set();
/** @type {Map<string, number>} shared channel → how many listeners follow it */
const shared = new Map();

function dispatch(message) {
  const topic = message?.topic || '';
  for (const l of [...listeners]) {
    if (l.topic === topic || (l.collection && (topic === `${l.collection}/${l.id}` || (l.id === '*' && topic.startsWith(`${l.collection}/`))))) {
      l.callback(message.data);
    }
  }
}

/** The signed-in user's tier connection (made on first use, and again for another user). */
function connection(url) {
  const id = me()?.id || '';
  if (client && clientUser === id) return client;
  if (client) client.disconnect();
  client = null;
  clientUser = id;
  if (!id) return null;
  const c = new Centrifuge(url, {
    getToken: async () => {
      clientSession = pb.authStore.token;
      try {
        const res = await pb.send('/api/realtime/token', { method: 'POST' });
        return res.token;
      } catch (err) {
        // signed out or banned: stop (a ban or a password change also
        // disconnects with a code that tells the client not to retry)
        if (err?.status === 401 || err?.status === 403) throw new UnauthorizedError('');
        throw err;
      }
    },
  });
  // the personal channel, asked for as the shared ones are: the server
  // allows it only to a connection of a session that has not ended (a
  // password change or sign-out everywhere since its token closes it)
  const personal = c.newSubscription(`personal:#${id}`);
  personal.on('publication', (ctx) => dispatch(ctx.data));
  personal.subscribe();
  let connects = 0;
  c.on('connected', () => { if (c === client && connects++) reconnected(); });
  // a password change ends the connection (code 4500, no retry): connect
  // again once the page holds its new session
  c.on('disconnected', () => { if (c === client) reconnectIfRenewed(); });
  for (const channel of shared.keys()) c.newSubscription(channel).subscribe();
  c.connect();
  client = c;
  return c;
}

function reconnectIfRenewed() {
  if (client && client.state === 'disconnected' && pb.authStore.isValid && pb.authStore.token !== clientSession) {
    // a token of the ended session would connect, but follow nothing: ask a new one
    client.setToken('');
    client.connect();
  }
}

pb.authStore.onChange(() => {
  const id = pb.authStore.isValid ? pb.authStore.record?.id || '' : '';
  if (id === clientUser) {
    reconnectIfRenewed();
    return;
  }
  if (client) client.disconnect();
  client = null;
  clientUser = '';
  if (id && listeners.size) tierConfig().then((c) => { if (c.enabled) connection(c.url); });
});

function follow(channel) {
  shared.set(channel, (shared.get(channel) || 0) + 1);
  if (client && shared.get(channel) === 1) (client.getSubscription(channel) || client.newSubscription(channel)).subscribe();
}

function unfollow(channel) {
  const n = (shared.get(channel) || 1) - 1;
  if (n > 0) {
    shared.set(channel, n);
    return;
  }
  shared.delete(channel);
  const sub = client?.getSubscription(channel);
  if (sub) client.removeSubscription(sub);
}

/**
 * Follows a collection's record events ('*' or one record id), like
 * pb.collection(collection).subscribe; resolves to the stop function.
 * @template {keyof import('./madang-types').CollectionRecords} C
 * @param {C} collection
 * @param {string} id
 * @param {(e: {action: string, record: import('./madang-types').CollectionRecords[C]}) => void} callback
 * @param {Record<string, any>} [options] the SDK's; a filter keeps the subscription on SSE
 * @returns {Promise<() => Promise<void>>}
 */
export async function subscribeRecords(collection, id, callback, options = {}) {
  const c = await tierConfig();
  const onTier = c.enabled && me() && !options.filter &&
    (c.personal.includes(collection) || c.shared.includes(collection));
  if (!onTier) return pb.collection(collection).subscribe(id, callback, options);
  const listener = { collection, id, callback };
  listeners.add(listener);
  const channel = c.shared.includes(collection) ? `${collection}/${id}` : '';
  if (channel) follow(channel);
  connection(c.url);
  return async () => {
    listeners.delete(listener);
    if (channel) unfollow(channel);
  };
}

/**
 * Follows a topic that is not a record's (a chat's typing indicators),
 * like pb.realtime.subscribe; resolves to the stop function.
 * @param {string} topic
 * @param {(data: any) => void} callback
 * @returns {Promise<() => Promise<void>>}
 */
export async function subscribeTopic(topic, callback) {
  const c = await tierConfig();
  if (!(c.enabled && me() && c.topics.some((prefix) => topic.startsWith(prefix)))) {
    return pb.realtime.subscribe(topic, callback);
  }
  const listener = { topic, callback };
  listeners.add(listener);
  follow(topic); // its shared channel tells the server this chat is open here (no notification of it)
  connection(c.url);
  // resolve once subscribed, as pb.realtime.subscribe does
  await client?.getSubscription(topic)?.ready(LIVE_READY_MS).catch(() => {});
  return async () => {
    listeners.delete(listener);
    unfollow(topic);
  };
}

// What happened while a connection was down (a server restart, a lost
// network) sent no event: after every reconnect of either tier, not the
// first connect, the open view and the bell read again what they show.
/** @type {Set<() => void>} */
const rereaders = new Set();
/** @type {ReturnType<typeof setTimeout> | undefined} */
let rereadTimer;
/** Both tiers coming back at once read once. */
function reconnected() {
  clearTimeout(rereadTimer);
  rereadTimer = setTimeout(() => { for (const fn of [...rereaders]) fn(); }, 250);
}

let sseConnects = 0;
/** Follows the SSE connection's (re)connects: the SDK sends PB_CONNECT on each. */
function watchSSE() {
  const realtime = /** @type {any} */ (pb.realtime); // private in the SDK's types
  if (realtime.hasSubscriptionListeners('PB_CONNECT')) return;
  sseConnects = realtime.isConnected ? 1 : 0; // a connect under way is the first
  pb.realtime.subscribe('PB_CONNECT', () => { if (sseConnects++) reconnected(); }).catch(() => {});
}

/**
 * Calls reread after each reconnect of this page's realtime (SSE or the
 * Centrifugo tier); returns the stop function.
 * @param {() => void} reread
 * @returns {() => void}
 */
export function onReconnect(reread) {
  rereaders.add(reread);
  watchSSE();
  return () => {
    rereaders.delete(reread);
    if (!rereaders.size) pb.realtime.unsubscribe('PB_CONNECT').catch(() => {});
  };
}

// Notifications: the header bell with the live unread count, and what the
// list page and the bell share — each kind told as a sentence in the
// chosen language (the record's `text` is the server's English fallback)
// and where clicking it leads.
//
// The count is the server's (GET /api/notifications/unread); the owner's
// realtime events on `notifications` (a new one, one marked read, one
// folded) only say "ask again", so the bell never drifts from the database.
import { pb, me } from './pb.js';
import { subscribeRecords, onReconnect } from './live.js';
import { t, fmtNumber } from './i18n.js';
import { h, debounce } from './ui.js';
import { current } from './router.js';

/** @typedef {import('./madang-types').NotificationsRecord} NotificationsRecord */
/** @typedef {import('./madang-types').MadangRoutes} MadangRoutes */

/** @type {Set<(unread: number) => void>} */
const listeners = new Set();
let unread = 0;
let watchedUser = '';
let unsubscribe = null;
let stopReread = null;

const badge = h('span', { class: 'bell-count', hidden: true, 'aria-hidden': 'true' });
const label = h('span', { class: 'sr-only' });
const bell = h('a', { href: '#/notifications', class: 'bell', id: 'bell' },
  bellIcon(), label, badge);

function bellIcon() {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', 'icon icon-bell');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', 'M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2z');
  svg.append(path);
  return svg;
}

function draw() {
  badge.textContent = unread > 99 ? '99+' : fmtNumber(unread);
  badge.hidden = unread === 0;
  badge.dataset.count = String(unread);
  label.textContent = unread ? t('notif.bellUnread', { n: fmtNumber(unread) }) : t('notif.bell');
  bell.title = label.textContent;
  bell.setAttribute('aria-current', current().path === '/notifications' ? 'page' : 'false');
}

/** The header's bell (one element, kept across header redraws); null for guests. */
export function notificationBell() {
  if (!me()) return null;
  draw();
  return bell;
}

/** Asks the server for the unread count again and redraws the bell. */
export async function refreshUnread() {
  const user = me();
  if (!user) return;
  try {
    /** @type {MadangRoutes['GET /api/notifications/unread']['response']} */
    const res = await pb.send('/api/notifications/unread', { method: 'GET' });
    if (me()?.id !== user.id) return;
    unread = Number(res?.total) || 0;
  } catch {
    return; // a dead token is handled by the 401 handler; the count just stays
  }
  draw();
  listeners.forEach((fn) => fn(unread));
}
const refreshSoon = debounce(() => refreshUnread(), 150);

/** Calls fn on every notification event of the signed-in user; returns the stop function. */
export function onNotification(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

// Follows the signed-in user's notifications: on sign-in (or a reload) the
// count is read once, then every realtime event asks again.
async function watch() {
  const id = me()?.id || '';
  if (id === watchedUser) return;
  watchedUser = id;
  const stop = unsubscribe;
  unsubscribe = null;
  if (stop) stop().catch(() => {});
  stopReread?.();
  stopReread = null;
  unread = 0;
  delete bell.dataset.live;
  draw();
  if (!id) return;
  // what was notified while the connection was down sent no event
  stopReread = onReconnect(() => refreshUnread());
  const first = refreshUnread();
  try {
    const unsub = await subscribeRecords('notifications', '*', () => refreshSoon());
    if (watchedUser === id) {
      unsubscribe = unsub;
      // what arrived between the first count and the subscription
      await Promise.all([first, refreshUnread()]);
      // data-live="ready": the bell follows the user's notifications and
      // has counted them; it reads again only on an event or a reconnect
      if (watchedUser === id) bell.dataset.live = 'ready';
    } else unsub().catch(() => {});
  } catch {
    // no live count (the server refused or is gone); the page still works
  }
}
pb.authStore.onChange(() => { watch(); });
watch();

/**
 * Marks notifications read (ids, or every one with all); updates the bell.
 * @param {{ ids?: string[], all?: boolean }} which
 */
export async function markRead({ ids, all = false }) {
  await pb.send('/api/notifications/read', { method: 'POST', body: all ? { all: true } : { ids } });
  await refreshUnread();
}

const actorName = (/** @type {NotificationsRecord} */ n) => n.expand?.actor?.name || t('notif.someone');

/**
 * The sentence for a notification in the chosen language.
 * @param {NotificationsRecord} n read with expand NOTIFICATION_EXPAND
 */
export function notificationText(n) {
  // a notice stops quoting what was hidden since (community/notifications.go): its text is empty
  const quoted = n.text || (['comment', 'reply', 'mention', 'chat'].includes(n.kind) ? t('notif.hiddenText') : '');
  const vars = { actor: actorName(n), text: quoted, post: n.expand?.post?.title || '', session: n.expand?.session?.name || '' };
  switch (n.kind) {
    case 'comment':
      return t(vars.post ? 'notif.kind.comment' : 'notif.kind.commentNoPost', vars);
    case 'reply':
      return t('notif.kind.reply', vars);
    case 'mention':
      return t(n.session ? 'notif.kind.mentionChat' : n.comment ? 'notif.kind.mentionComment' : 'notif.kind.mentionPost', vars);
    case 'chat':
      return t(n.count > 1 ? 'notif.kind.chatMany' : 'notif.kind.chat', { ...vars, n: fmtNumber(n.count || 1), session: vars.session || t('notif.aChat') });
    case 'moderation': {
      const report = /^Your report was (dismissed|actioned)\.$/.exec(n.text || '');
      if (report) return t(`notif.kind.report.${report[1]}`);
      const mod = /^(hidden|restored)(?:: ([\s\S]*))?$/.exec(n.text || '');
      if (!mod) return n.text || t('notif.kind.moderationOther');
      const what = n.session ? 'Chat' : n.comment ? 'Comment' : 'Post';
      const sentence = t(`notif.kind.${mod[1]}${what}`, vars);
      return mod[2] ? `${sentence} ${t('notif.reason', { reason: mod[2] })}` : sentence;
    }
    case 'ban_lifted':
      return t('notif.kind.banLifted');
    case 'ai_job': {
      const status = /^Your AI job (\w+)\.$/.exec(n.text || '')?.[1] || n.expand?.job?.status || '';
      return t(status === 'succeeded' ? 'notif.kind.aiDone' : 'notif.kind.aiEnded', { status: statusText(status) });
    }
    default:
      return n.text || n.kind;
  }
}

function statusText(status) {
  const key = `jobStatus.${status}`;
  const text = t(key);
  return text === key ? status : text;
}

/**
 * Where a notification leads: a hash (comment anchors as ?comment=), or '' if nowhere.
 * @param {NotificationsRecord} n
 */
export function notificationLink(n) {
  if (n.comment && n.post) return `#/posts/${n.post}?comment=${n.comment}`;
  if (n.post) return `#/posts/${n.post}`;
  if (n.session) return `#/chat/${n.session}`;
  if (n.job) return `#/ai?job=${n.job}`;
  return '';
}

/** What the list and the bell expand to tell a notification. */
export const NOTIFICATION_EXPAND = 'actor,post,session,job';

// A link with ?comment=ID or ?job=ID brings that item into view once the
// page has drawn it (the views know nothing of it), for a few seconds.
function revealTarget() {
  const { query } = current();
  const selector = query.get('comment') ? `#comment-${CSS.escape(query.get('comment'))}`
    : query.get('job') ? `[data-job="${CSS.escape(query.get('job'))}"]` : '';
  if (!selector) return;
  const deadline = Date.now() + 8000;
  const look = () => {
    const el = /** @type {HTMLElement | null} */ (document.querySelector(selector));
    if (el) {
      el.classList.add('notif-target');
      if (!el.hasAttribute('tabindex')) el.setAttribute('tabindex', '-1');
      const show = () => {
        el.scrollIntoView({ block: 'center' });
        el.focus({ preventScroll: true });
      };
      show();
      setTimeout(show, 300); // after the router has focused the page's heading
      return;
    }
    if (Date.now() < deadline) setTimeout(look, 100);
  };
  look();
}
window.addEventListener('hashchange', revealTarget);
revealTarget();

// My notifications (#/notifications), newest first, unread ones marked.
// Opening one marks it read and goes to what it is about; "mark all read"
// clears the bell. Live: a new notification (or one read elsewhere) shows
// at once.
import { pb, signedOut } from '../pb.js';
import { t } from '../i18n.js';
import { h, time, notice, errorMessage, replace, append, debounce } from '../ui.js';
import { navigate } from '../router.js';
import { subscribeRecords, onReconnect } from '../live.js';
import { markRead, notificationText, notificationLink, NOTIFICATION_EXPAND } from '../notifications.js';

const PER_PAGE = 30;

/** @param {import('../router.js').ViewContext} ctx */
export default async function render({ root, title, signal, onCleanup }) {
  title(t('notif.title'));
  const list = h('ul', { class: 'notif-list', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', hidden: true }, t('notif.more'));
  const allRead = h('button', { type: 'button', id: 'notif-all-read' }, t('notif.markAll'));
  const status = h('div', {});
  append(root,
    h('div', { class: 'page-head' }, h('h1', { tabindex: -1 }, t('notif.title')), allRead),
    status, list, h('div', { class: 'actions' }, more));

  let pages = 1;
  async function load() {
    const res = await pb.collection('notifications').getList(1, PER_PAGE * pages, {
      sort: '-created,-id', expand: NOTIFICATION_EXPAND, skipTotal: true,
    });
    if (signal.aborted) return;
    list.replaceChildren(...res.items.map(item));
    if (!res.items.length) list.append(h('li', { class: 'muted empty' }, t('notif.empty')));
    more.hidden = res.items.length < PER_PAGE * pages;
    allRead.disabled = !res.items.some((n) => !n.read_at);
  }

  /** @param {import('../madang-types').NotificationsRecord} n */
  function item(n) {
    const href = notificationLink(n);
    const unread = !n.read_at;
    const text = notificationText(n);
    const body = [
      unread ? h('span', { class: 'badge unread' }, t('notif.new')) : null,
      h('span', { class: 'notif-text' }, text),
    ];
    const open = async (e) => {
      e.preventDefault();
      try {
        if (unread) await markRead({ ids: [n.id] });
      } catch (err) {
        if (signedOut(err)) return;
        replace(status, notice('error', errorMessage(err)));
        return;
      }
      if (href) navigate(...splitHash(href));
      else load().catch(() => {});
    };
    return h('li', { class: `notif${unread ? ' unread' : ''}`, dataset: { id: n.id, kind: n.kind } },
      h('a', { href: href || '#/notifications', class: 'notif-link', onclick: open }, body),
      h('p', { class: 'meta' }, time(n.created)));
  }

  allRead.addEventListener('click', async () => {
    allRead.disabled = true;
    try {
      await markRead({ all: true });
      await load();
    } catch (err) {
      if (!signedOut(err)) replace(status, notice('error', errorMessage(err)));
      allRead.disabled = false;
    }
  });
  more.addEventListener('click', () => {
    pages += 1;
    load().catch((err) => { if (!signedOut(err)) replace(status, notice('error', errorMessage(err))); });
  });

  await load();
  const reload = debounce(() => { if (!signal.aborted) load().catch(() => {}); }, 200);
  subscribeRecords('notifications', '*', reload).then((unsub) => onCleanup(unsub), () => {});
  onCleanup(onReconnect(reload));
}

// "#/posts/x?comment=y" → ["/posts/x", {comment: "y"}] for navigate()
function splitHash(href) {
  const [path, search = ''] = href.replace(/^#/, '').split('?');
  return [path, Object.fromEntries(new URLSearchParams(search))];
}

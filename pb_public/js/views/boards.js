// Every board I can read, with whether I can write on it (can_write is
// computed by the server for the requester).
import { pb, me } from '../pb.js';
import { t, fmtNumber } from '../i18n.js';
import { h, debounce, append } from '../ui.js';
import { onReconnect } from '../live.js';

/** @param {import('../router.js').ViewContext} ctx */
export default async function render({ root, title, signal, onCleanup }) {
  title(t('boards.title'));
  const list = h('ul', { class: 'board-list', 'aria-live': 'polite' });
  append(root, 
    h('div', { class: 'page-head' }, h('h1', { tabindex: -1 }, t('boards.title'))),
    me() ? null : h('p', { class: 'muted' }, t('boards.guestHint')),
    list);

  async function load() {
    const boards = await pb.collection('boards').getFullList({ sort: 'name' });
    if (signal.aborted) return;
    list.replaceChildren(...boards.map(item));
    if (!boards.length) list.append(h('li', { class: 'muted' }, t('boards.empty')));
  }
  await load();

  const reload = debounce(() => load().catch(() => {}), 300);
  pb.collection('boards').subscribe('*', reload).then((unsub) => onCleanup(unsub), () => {});
  // a grant or revoke changes me, not a board: follow my record too
  const user = me();
  if (user) pb.collection('users').subscribe(user.id, reload).then((unsub) => onCleanup(unsub), () => {});
  onCleanup(onReconnect(reload));
}

/** @param {import('../madang-types').BoardsRecord} board */
function item(board) {
  return h('li', { class: 'card board-item' },
    h('h2', {}, h('a', { href: `#/boards/${board.id}` }, board.name)),
    board.information ? h('p', {}, board.information) : null,
    h('p', { class: 'meta' },
      h('span', {}, t('boards.posts', { n: fmtNumber(board.posts_count || 0) })),
      h('span', { class: 'badge' }, t(`read.${board.read}`)),
      board.is_visible ? null : h('span', { class: 'badge warn' }, t('common.hidden')),
      board.can_write ? h('span', { class: 'badge ok' }, t('boards.canWrite')) : h('span', { class: 'badge' }, t('boards.readOnly'))));
}

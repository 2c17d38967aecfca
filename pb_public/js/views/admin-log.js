// Admin: the moderation log (#/admin/log), newest first, 30 a page: who
// acted (an admin, a superuser, the command line or the server itself),
// what they did, to what, why and when. Written by the server only.
import { pb } from '../pb.js';
import { t, fmtNumber } from '../i18n.js';
import { h, append, replace, time } from '../ui.js';
import { link } from '../router.js';
import { adminHeader } from './admin-nav.js';
import { userLink } from '../moderation.js';

const PER_PAGE = 30;

/** Where a log line's target can be opened, by its kind; a deleted one, nowhere. */
function targetLink(kind, id, deleted) {
  const href = deleted ? '' : { post: `#/posts/${id}`, user: `#/users/${id}`, board: `#/boards/${id}` }[kind];
  const text = `${t(`log.kind.${kind}`) === `log.kind.${kind}` ? kind : t(`log.kind.${kind}`)} ${id}`;
  return href ? h('a', { href }, text) : h('span', {}, text);
}

/** @param {import('../router.js').ViewContext} ctx */
export default async function render({ root, title, query }) {
  title(t('log.title'));
  const page = Math.max(1, parseInt(query.get('page'), 10) || 1);
  const res = await pb.collection('moderation_log').getList(page, PER_PAGE, { sort: '-created,-id', expand: 'actor' });
  const rows = h('tbody', {});
  const table = h('div', { class: 'table-wrap' }, h('table', { class: 'log-table' },
    h('thead', {}, h('tr', {}, ['log.time', 'log.actor', 'log.action', 'log.target', 'log.reason'].map((k) => h('th', { scope: 'col' }, t(k))))),
    rows));
  // data-label: the column's name, shown before each cell where a phone lays rows out as cards
  const cell = (key, attrs, ...children) => h('td', { ...attrs, dataset: { label: t(key) } }, ...children);
  replace(rows, res.items.map((e) => h('tr', { dataset: { action: e.action } },
    cell('log.time', { class: 'nowrap' }, time(e.created)),
    cell('log.actor', {}, e.actor ? userLink(e.expand?.actor) : h('span', { class: 'muted' }, e.actor_label || t('log.system'))),
    cell('log.action', {}, h('span', { class: 'badge' }, t(`log.action.${e.action}`))),
    cell('log.target', { class: 'log-target' }, targetLink(e.target_kind, e.target_id, e.action === 'delete' || e.action === 'board_delete')),
    cell('log.reason', { class: 'log-reason' }, e.reason))));
  append(root, ...adminHeader('#/admin/log', t('log.title')),
    h('p', { class: 'muted' }, t('log.total', { n: fmtNumber(res.totalItems) })),
    res.items.length ? table : h('p', { class: 'card muted' }, t('log.empty')),
    h('nav', { class: 'pager', 'aria-label': t('board.pages') },
      page > 1 ? h('a', { href: link('/admin/log', { page: page - 1 > 1 ? page - 1 : '' }), rel: 'prev' }, t('common.prev')) : h('span'),
      h('span', { class: 'muted' }, t('board.page', { page, pages: Math.max(1, res.totalPages) })),
      page < res.totalPages ? h('a', { href: link('/admin/log', { page: page + 1 }), rel: 'next' }, t('common.next')) : h('span')));
}

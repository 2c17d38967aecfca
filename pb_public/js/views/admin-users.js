// Admin: find users, ban (with reason and end date) and unban, grant and
// revoke boards (boards+ / boards-).
import { pb } from '../pb.js';
import { t, fmtDate } from '../i18n.js';
import { h, limit, form, field, submitting, time, replace, notice, append, reconcile } from '../ui.js';
import { navigate, link } from '../router.js';
import { adminHeader, rememberOpen } from './admin-nav.js';

/** @typedef {import('../madang-types').UsersRecord} UsersRecord */

const PER_PAGE = 30;

/** @param {import('../router.js').ViewContext} ctx */
export default async function render({ root, query, title, signal, onCleanup }) {
  title(t('admin.users'));
  const q = (query.get('q') || '').trim();
  const page = Math.max(1, parseInt(query.get('page'), 10) || 1);
  const search = h('input', { type: 'search', name: 'q', value: q, 'aria-label': t('admin.searchUsers'), placeholder: t('admin.searchUsers') });
  const list = h('div', { class: 'user-list' });
  const pager = h('nav', { class: 'pager', 'aria-label': t('board.pages') });
  append(root, ...adminHeader('#/admin', t('admin.users')),
    h('form', { class: 'toolbar', role: 'search', onsubmit: (e) => { e.preventDefault(); navigate('/admin', { q: search.value.trim() }); } },
      search, h('button', { type: 'submit' }, t('board.searchButton'))),
    list, pager);

  const boards = await pb.collection('boards').getFullList({ sort: 'name', fields: 'id,name' });
  const openIds = new Set();

  async function load() {
    const filter = q ? pb.filter('name ~ {:q} || email ~ {:q}', { q }) : '';
    const res = await pb.collection('users').getList(page, PER_PAGE, { filter, sort: 'name', expand: 'boards' });
    if (signal.aborted) return;
    rememberOpen(list, 'user', openIds);
    // unchanged users keep their card, so a live update does not wipe a form being filled
    list.querySelector(':scope > p.muted')?.remove();
    reconcile(list, res.items.map((u) => [`${u.id}:${u.updated}`, () => userCard(u, boards, openIds, load)]));
    if (!res.items.length) list.append(h('p', { class: 'muted' }, t('admin.noUsers')));
    pager.replaceChildren(
      page > 1 ? h('a', { href: link('/admin', { q, page: page - 1 }) }, t('common.prev')) : h('span'),
      h('span', { class: 'muted' }, t('board.page', { page, pages: Math.max(1, res.totalPages) })),
      page < res.totalPages ? h('a', { href: link('/admin', { q, page: page + 1 }) }, t('common.next')) : h('span'));
  }
  await load();
  let timer;
  pb.collection('users').subscribe('*', () => { clearTimeout(timer); timer = setTimeout(() => load().catch(() => {}), 400); })
    .then((unsub) => onCleanup(unsub), () => {});
  onCleanup(() => clearTimeout(timer));
}

/**
 * @param {UsersRecord} u read with expand boards
 * @param {Array<Pick<import('../madang-types').BoardsRecord, 'id' | 'name'>>} boards every board (fields id, name)
 * @param {Set<string>} openIds
 * @param {() => Promise<void>} reload
 */
function userCard(u, boards, openIds, reload) {
  const banned = !!u.banned;
  const details = h('details', { class: 'card user', dataset: { user: u.id, email: u.email || '' }, open: openIds.has(u.id) },
    h('summary', {},
      h('strong', {}, u.name), ' ', h('span', { class: 'muted' }, u.email || ''), ' ',
      h('span', { class: 'badge' }, t(`role.${u.role || 'member'}`)),
      banned ? h('span', { class: 'badge warn' }, u.banned_until ? t('admin.bannedUntil', { date: fmtDate(u.banned_until) }) : t('admin.bannedForever')) : null));

  const status = h('div', { 'aria-live': 'polite' });
  details.append(h('dl', { class: 'kv' },
    h('dt', {}, t('admin.joined')), h('dd', {}, time(u.created)),
    banned && u.ban_reason ? [h('dt', {}, t('admin.banReason')), h('dd', {}, u.ban_reason)] : null), status);

  if (u.role !== 'admin') details.append(banned ? unbanForm(u, status, reload) : banForm(u, status, reload));

  const granted = u.expand?.boards || [];
  const grantSelect = h('select', { name: 'boards+', 'aria-label': t('admin.boardToGrant') },
    boards.filter((b) => !(u.boards || []).includes(b.id)).map((b) => h('option', { value: b.id }, b.name)));
  const grantForm = form({ class: 'grant' },
    h('h3', {}, t('admin.grantedBoards')),
    granted.length
      ? h('ul', { class: 'plain' }, granted.map((b) => h('li', {}, b.name, ' ',
        h('button', { type: 'button', class: 'link-button danger', onclick: () => change({ 'boards-': b.id }) }, t('admin.revoke')))))
      : h('p', { class: 'muted' }, t('admin.noGrants')),
    grantSelect.options.length
      ? h('div', { class: 'toolbar' }, grantSelect, h('button', { type: 'submit' }, t('admin.grant')))
      : null);
  async function change(body) {
    await submitting(grantForm, async () => {
      await pb.collection('users').update(u.id, body);
      await reload();
    });
  }
  grantForm.addEventListener('submit', (e) => {
    e.preventDefault();
    if (grantSelect.value) change({ 'boards+': grantSelect.value });
  });
  details.append(grantForm);
  return details;
}

/** @param {UsersRecord} u @param {HTMLElement} status @param {() => Promise<void>} reload */
function banForm(u, status, reload) {
  const reason = limit(h('input', { name: 'ban_reason' }), 512);
  const until = h('input', { name: 'banned_until', type: 'datetime-local' });
  const f = form({ class: 'ban' },
    h('h3', {}, t('admin.ban')),
    field(t('admin.banReason'), reason),
    field(t('admin.banUntil'), until, t('admin.banUntilHint')),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'danger' }, t('admin.banSubmit'))));
  f.addEventListener('submit', (e) => {
    e.preventDefault();
    submitting(f, async () => {
      await pb.collection('users').update(u.id, {
        banned: true,
        ban_reason: reason.value.trim(),
        // the local date and time the admin picked, sent as UTC
        banned_until: until.value ? new Date(until.value).toISOString().replace('T', ' ') : '',
      });
      replace(status, notice('success', t('admin.banned', { name: u.name })));
      await reload();
    });
  });
  return f;
}

/** @param {UsersRecord} u @param {HTMLElement} status @param {() => Promise<void>} reload */
function unbanForm(u, status, reload) {
  const f = form({ class: 'unban' },
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('admin.unban'))));
  f.addEventListener('submit', (e) => {
    e.preventDefault();
    submitting(f, async () => {
      await pb.collection('users').update(u.id, { banned: false, ban_reason: '', banned_until: '' });
      replace(status, notice('success', t('admin.unbanned', { name: u.name })));
      await reload();
    });
  });
  return f;
}

// One board: its posts, paged, sorted, searched; pinned posts first in the
// default order. Live: the list reloads when a post of the board changes.
import { pb } from '../pb.js';
import { t, fmtNumber } from '../i18n.js';
import { h, time, userName, debounce, notice, count, icon, append } from '../ui.js';
import { navigate, link } from '../router.js';

const PER_PAGE = 20;
export const SORTS = {
  new: '-is_pinned,-created',
  likes: '-likes_count,-created',
  views: '-views_count,-created',
  comments: '-comments_count,-created',
};

export default async function render({ root, params, query, title, signal, onCleanup }) {
  const board = await pb.collection('boards').getOne(params.id);
  title(board.name);
  const sort = SORTS[query.get('sort')] ? query.get('sort') : 'new';
  const q = (query.get('q') || '').trim();
  const page = Math.max(1, parseInt(query.get('page'), 10) || 1);
  const go = (changes) => navigate(`/boards/${board.id}`, { sort: sort === 'new' ? '' : sort, q, page: '', ...changes });

  const search = h('input', { type: 'search', name: 'q', value: q, 'aria-label': t('board.search'), placeholder: t('board.searchPlaceholder') });
  const sortSelect = h('select', { name: 'sort', 'aria-label': t('board.sort'), value: sort, onchange: () => go({ sort: sortSelect.value === 'new' ? '' : sortSelect.value }) },
    Object.keys(SORTS).map((key) => h('option', { value: key }, t(`sort.${key}`))));
  const toolbar = h('form', { class: 'toolbar', role: 'search', onsubmit: (e) => { e.preventDefault(); go({ q: search.value.trim() }); } },
    search, h('button', { type: 'submit' }, t('board.searchButton')), sortSelect);

  const list = h('ol', { class: 'post-list', 'aria-label': t('board.posts') });
  const pager = h('nav', { class: 'pager', 'aria-label': t('board.pages') });
  append(root, 
    h('div', { class: 'page-head' },
      h('div', {}, h('h1', { tabindex: -1 }, board.name), board.information ? h('p', { class: 'muted' }, board.information) : null),
      board.can_write ? h('a', { class: 'button primary', href: `#/boards/${board.id}/new` }, t('board.write')) : null),
    toolbar,
    q ? h('p', { class: 'muted', role: 'status' }, t('board.searchingFor', { q }), ' ', h('a', { href: link(`/boards/${board.id}`, { sort: sort === 'new' ? '' : sort }) }, t('board.clearSearch'))) : null,
    list, pager);

  async function load() {
    const filter = q
      ? pb.filter('board = {:board} && (title ~ {:q} || content ~ {:q})', { board: board.id, q })
      : pb.filter('board = {:board}', { board: board.id });
    const result = await pb.collection('posts').getList(page, PER_PAGE, { filter, sort: SORTS[sort], expand: 'author' });
    if (signal.aborted) return;
    list.replaceChildren(...result.items.map(row));
    if (!result.items.length) list.append(h('li', { class: 'muted empty' }, q ? t('board.noResults') : t('board.empty')));
    pager.replaceChildren(
      page > 1 ? h('a', { href: link(`/boards/${board.id}`, { sort: sort === 'new' ? '' : sort, q, page: page - 1 }), rel: 'prev' }, t('common.prev')) : h('span'),
      h('span', { class: 'muted' }, t('board.page', { page, pages: Math.max(1, result.totalPages) })),
      page < result.totalPages ? h('a', { href: link(`/boards/${board.id}`, { sort: sort === 'new' ? '' : sort, q, page: page + 1 }), rel: 'next' }, t('common.next')) : h('span'));
  }
  try {
    await load();
  } catch (err) {
    if (err?.status === 400 && q) list.replaceChildren(notice('error', t('board.badSearch')));
    else throw err;
  }

  const reload = debounce(() => load().catch(() => {}), 400);
  pb.collection('posts').subscribe('*', reload, { filter: pb.filter('board = {:board}', { board: board.id }) })
    .then((unsub) => onCleanup(unsub), () => {});
}

function row(post) {
  return h('li', { class: `post-row${post.is_pinned ? ' pinned' : ''}${post.is_visible ? '' : ' hidden-post'}` },
    h('a', { class: 'post-title', href: `#/posts/${post.id}` },
      post.is_pinned ? h('span', { class: 'badge pin' }, t('post.pinned')) : null,
      post.is_visible ? null : h('span', { class: 'badge warn' }, t('common.hidden')),
      post.title,
      post.is_file_attached ? h('span', { class: 'clip', title: t('post.hasFiles') }, ' ', icon('clip'), h('span', { class: 'sr-only' }, t('post.hasFiles'))) : null),
    h('span', { class: 'meta' },
      h('span', {}, userName(post.expand?.author)),
      time(post.created),
      count('likes', t('post.likes'), fmtNumber(post.likes_count || 0)),
      count('comments', t('post.comments'), fmtNumber(post.comments_count || 0)),
      count('views', t('post.views'), fmtNumber(post.views_count || 0))));
}

// One board: its posts, paged, sorted, searched; pinned posts first in every
// order. Search uses the server's /api/posts/search (every word must match,
// anywhere in the title or content). Live: the list reloads when a post of
// the board changes.
import { pb } from '../pb.js';
import { t, fmtNumber } from '../i18n.js';
import { h, time, userName, debounce, count, icon, append } from '../ui.js';
import { navigate, link } from '../router.js';

const PER_PAGE = 20;
export const SORTS = {
  new: '-is_pinned,-created',
  likes: '-is_pinned,-likes_count,-created',
  views: '-is_pinned,-views_count,-created',
  comments: '-is_pinned,-comments_count,-created',
};
/** The server's limit on q (GET /api/posts/search). */
const MAX_QUERY = 200;

export default async function render({ root, params, query, title, signal, onCleanup }) {
  const board = await pb.collection('boards').getOne(params.id);
  title(board.name);
  const sort = SORTS[query.get('sort')] ? query.get('sort') : 'new';
  const q = (query.get('q') || '').trim();
  const page = Math.max(1, parseInt(query.get('page'), 10) || 1);
  const sortParam = sort === 'new' ? '' : sort;
  const go = (changes) => navigate(`/boards/${board.id}`, { sort: sortParam, q, page: '', ...changes });
  const pageLink = (n) => link(`/boards/${board.id}`, { sort: sortParam, q, page: n > 1 ? n : '' });

  const search = h('input', { type: 'search', name: 'q', value: q, maxlength: MAX_QUERY, 'aria-label': t('board.search'), placeholder: t('board.searchPlaceholder') });
  const searchError = h('p', { class: 'inline-error', id: 'board-search-error', role: 'alert', hidden: true });
  const sortSelect = h('select', { name: 'sort', 'aria-label': t('board.sort'), value: sort, onchange: () => go({ sort: sortSelect.value === 'new' ? '' : sortSelect.value }) },
    Object.keys(SORTS).map((key) => h('option', { value: key }, t(`sort.${key}`))));
  const toolbar = h('form', { class: 'toolbar', role: 'search', onsubmit: (e) => { e.preventDefault(); go({ q: search.value.trim() }); } },
    search, h('button', { type: 'submit' }, t('board.searchButton')), sortSelect, searchError);

  const list = h('ol', { class: 'post-list', 'aria-label': t('board.posts') });
  const pager = h('nav', { class: 'pager', 'aria-label': t('board.pages') });
  append(root,
    h('div', { class: 'page-head' },
      h('div', {}, h('h1', { tabindex: -1 }, board.name), board.information ? h('p', { class: 'muted' }, board.information) : null),
      board.can_write ? h('a', { class: 'button primary', href: `#/boards/${board.id}/new` }, t('board.write')) : null),
    toolbar,
    q ? h('p', { class: 'muted', role: 'status' }, t('board.searchingFor', { q }), ' ', h('a', { href: link(`/boards/${board.id}`, { sort: sortParam }) }, t('board.clearSearch'))) : null,
    list, pager);

  // One page of posts: {items, hasNext, pages (0 when not counted)}.
  async function fetchPage() {
    if (!q) {
      const result = await pb.collection('posts').getList(page, PER_PAGE, {
        filter: pb.filter('board = {:board}', { board: board.id }), sort: SORTS[sort], expand: 'author',
      });
      return { items: result.items, hasNext: page < result.totalPages, pages: Math.max(1, result.totalPages) };
    }
    // skipTotal: no count of every match; a full page means there may be more
    const result = await pb.send('/api/posts/search', {
      query: { q, board: board.id, page, perPage: PER_PAGE, sort: SORTS[sort], skipTotal: 1, expand: 'author' },
    });
    const items = result.items || [];
    return { items, hasNext: items.length >= PER_PAGE, pages: 0 };
  }

  function showSearchError(message) {
    searchError.textContent = message;
    searchError.hidden = !message;
    if (message) {
      search.setAttribute('aria-invalid', 'true');
      search.setAttribute('aria-describedby', searchError.id);
    } else {
      search.removeAttribute('aria-invalid');
      search.removeAttribute('aria-describedby');
    }
  }

  async function load() {
    let result;
    try {
      result = await fetchPage();
    } catch (err) {
      if (signal.aborted) return;
      if (q && err?.status === 400) {
        // the server says why it cannot run this search (e.g. q too long)
        showSearchError(err.response?.message || t('board.badSearch'));
        list.replaceChildren();
        pager.replaceChildren();
        return;
      }
      throw err;
    }
    if (signal.aborted) return;
    showSearchError('');
    list.replaceChildren(...result.items.map(row));
    if (!result.items.length) {
      list.append(h('li', { class: 'muted empty' },
        q ? (page > 1 ? t('board.noMoreResults') : t('board.noResults')) : t('board.empty')));
    }
    pager.replaceChildren(
      page > 1 ? h('a', { href: pageLink(page - 1), rel: 'prev' }, t('common.prev')) : h('span'),
      h('span', { class: 'muted' }, result.pages ? t('board.page', { page, pages: result.pages }) : t('board.pageOnly', { page })),
      result.hasNext ? h('a', { href: pageLink(page + 1), rel: 'next' }, t('common.next')) : h('span'));
  }
  await load();

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

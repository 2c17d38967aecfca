// One board: its posts, paged, sorted, searched; pinned posts first in every
// order. Search uses the server's /api/posts/search (every word must match,
// anywhere in the title or content) or, for 댓글, /api/comments/search (the
// board's comments holding every word, newest first). Live: the list
// reloads when a post of the board changes.
//
// No page asks the server to count posts (skipTotal): a count runs the read
// rule's joins over every post of the board (341 ms a page on a board of
// 90,000 posts, against 5.2 ms without). The page numbers come from the
// board's posts_count, which the server keeps; with a search or a category
// there is no count, and a full page means there may be a next one. Both
// may promise a page that turns out short or empty (posts_count also counts
// posts this reader does not get, e.g. by a blocked author): that page says
// so and the numbers stop there.
import { pb, me, signedOut } from '../pb.js';
import { t, fmtNumber } from '../i18n.js';
import { h, limit, debounce, count, icon, append, avatar, loading, notice, errorMessage } from '../ui.js';
import { navigate, link } from '../router.js';
import { pageNumbers, phoneQuery, listTime, commentMark, signInLink, closedPage, excerpt } from '../listing.js';
import { authorOf, categoryTag } from '../moderation.js';
import { onReconnect } from '../live.js';

/** @typedef {import('../madang-types').PostsRecord} PostsRecord */
/** @typedef {import('../madang-types').CommentsRecord} CommentsRecord */
/** @typedef {import('../madang-types').MadangRoutes} MadangRoutes */

const PER_PAGE = 20;
export const SORTS = {
  new: '-is_pinned,-created',
  likes: '-is_pinned,-likes_count,-created',
  views: '-is_pinned,-views_count,-created',
  comments: '-is_pinned,-comments_count,-created',
};
/** The server's limit on q (GET /api/posts/search, /api/comments/search). */
const MAX_QUERY = 200;
/** What a search looks in: the URL's `in` (posts when absent). */
const SEARCH_IN = ['posts', 'comments'];

/** @param {import('../router.js').ViewContext} ctx */
export default async function render({ root, params, query, title, signal, onCleanup }) {
  const wait = loading();
  root.append(wait);
  /** @type {import('../madang-types').BoardsRecord} */
  let board;
  try {
    board = await pb.collection('boards').getOne(params.id);
  } catch (err) {
    if (err?.status !== 404) throw err;
    title(t('listing.closed.board'));
    root.replaceChildren(closedPage('board'));
    return;
  }
  title(board.name);
  // categories (말머리): a filter of the list, kept in the URL like sort and q
  const categories = await pb.collection('board_categories').getFullList({ filter: pb.filter('board = {:b}', { b: board.id }), sort: 'sort,name' });
  const category = categories.some((c) => c.id === query.get('category')) ? query.get('category') : '';
  const sort = SORTS[query.get('sort')] ? query.get('sort') : 'new';
  const q = (query.get('q') || '').trim();
  const page = Math.max(1, parseInt(query.get('page'), 10) || 1);
  const sortParam = sort === 'new' ? '' : sort;
  // a comments search lists comments, newest first: no sort, no category
  const searchIn = SEARCH_IN.includes(query.get('in')) ? query.get('in') : 'posts';
  const inParam = searchIn === 'posts' ? '' : searchIn;
  const comments = Boolean(q) && searchIn === 'comments';
  const go = (changes) => navigate(`/boards/${board.id}`, { sort: sortParam, q, in: inParam, category, page: '', ...changes });
  const pageLink = (n) => link(`/boards/${board.id}`, { sort: sortParam, q, in: inParam, category, page: n > 1 ? n : '' });

  const search = limit(h('input', { type: 'search', name: 'q', value: q, 'aria-label': t('board.search'), placeholder: t(`board.searchPlaceholder.${searchIn}`) }), MAX_QUERY);
  const inSelect = h('select', { name: 'in', 'aria-label': t('board.searchIn'), value: searchIn,
    onchange: () => { search.placeholder = t(`board.searchPlaceholder.${inSelect.value}`); } },
  SEARCH_IN.map((key) => h('option', { value: key }, t(`board.searchIn.${key}`))));
  const searchError = h('p', { class: 'inline-error', id: 'board-search-error', role: 'alert', hidden: true });
  const sortSelect = h('select', { name: 'sort', 'aria-label': t('board.sort'), value: sort, onchange: () => go({ sort: sortSelect.value === 'new' ? '' : sortSelect.value }) },
    Object.keys(SORTS).map((key) => h('option', { value: key }, t(`sort.${key}`))));
  sortSelect.hidden = comments;
  const toolbar = h('form', { class: 'toolbar', role: 'search', onsubmit: (e) => {
    e.preventDefault();
    go({ q: search.value.trim(), in: inSelect.value === 'posts' ? '' : inSelect.value });
  } },
  inSelect, search, h('button', { type: 'submit' }, t('board.searchButton')), sortSelect, searchError);

  const list = h('ol', { class: comments ? 'post-list comment-results' : 'post-list', 'aria-label': t(comments ? 'board.comments' : 'board.posts'), hidden: true });
  // loading, empty and error states: in place of the list, never an empty box
  const state = h('div', { class: 'list-state', 'aria-live': 'polite' });
  const pager = h('nav', { class: 'pager', 'aria-label': t('board.pages') });
  // phones scroll for more: a sentinel under the list asks for the next page
  const phone = phoneQuery().matches;
  const more = h('div', { class: 'more' });
  // a guest who could write after signing in is sent there and back
  const guestWrite = !me() && board.write !== 'admins';
  wait.remove();
  append(root,
    h('div', { class: 'page-head' },
      h('div', {}, h('h1', { tabindex: -1 }, board.name), board.information ? h('p', { class: 'muted' }, board.information) : null),
      board.can_write ? h('a', { class: 'button primary', href: `#/boards/${board.id}/new` }, t('board.write')) : null,
      guestWrite ? h('a', { class: 'button primary write-signin', href: signInLink(`/boards/${board.id}`), title: t('listing.signInToWrite') }, t('board.write')) : null),
    toolbar,
    categories.length ? h('nav', { class: 'chips', 'aria-label': t('category.filter') },
      [['', t('category.all')], ...categories.map((c) => [c.id, c.name])].map(([id, name]) =>
        h('a', { class: 'chip', href: link(`/boards/${board.id}`, { sort: sortParam, q, in: inParam, category: id }), 'aria-current': id === category ? 'true' : false, dataset: { category: id } }, name))) : null,
    q ? h('p', { class: 'muted', role: 'status' }, t(comments ? 'board.searchingComments' : 'board.searchingFor', { q }), ' ', h('a', { href: link(`/boards/${board.id}`, { sort: sortParam }) }, t('board.clearSearch'))) : null,
    state, list, phone ? more : pager);

  const filter = pb.filter(category ? 'board = {:board} && category = {:category}' : 'board = {:board}', { board: board.id, category });
  // the whole board listed: posts_count (kept live below) says how many pages
  const counted = !q && !category;
  let postsCount = board.posts_count || 0;
  const countedPages = () => Math.max(1, Math.ceil(postsCount / PER_PAGE));
  // after page `at` came back with `items`: may there be a next page?
  const nextAfter = (items, at) => items.length >= PER_PAGE && (!counted || at < countedPages());
  // the last page number to offer, having seen page `at`
  const lastPage = (items, at) => {
    if (items.length < PER_PAGE) return at;
    return counted ? Math.max(countedPages(), at) : at + 1;
  };

  // Posts (or a comments search's comments) from page `from` on, `pages`
  // pages in one request (a phone's live reload of what it has scrolled
  // through). Never counted (skipTotal).
  /**
   * @param {number} from
   * @param {number} [pages]
   * @returns {Promise<any[]>} PostsRecord[], or CommentsRecord[] for a comments search (row and commentRow type each)
   */
  async function fetchPosts(from, pages = 1) {
    const perPage = PER_PAGE * pages;
    if (comments) {
      /** @type {MadangRoutes['GET /api/comments/search']['response']} */
      const result = await pb.send('/api/comments/search', {
        query: { q, board: board.id, page: from, perPage, skipTotal: 1, expand: 'author,post' },
      });
      return result.items || [];
    }
    if (!q) {
      const result = await pb.collection('posts').getList(from, perPage, {
        filter, sort: SORTS[sort], expand: 'author,category', skipTotal: true,
      });
      return result.items;
    }
    /** @type {MadangRoutes['GET /api/posts/search']['response']} */
    const result = await pb.send('/api/posts/search', {
      query: { q, board: board.id, ...(category ? { category } : {}), page: from, perPage, sort: SORTS[sort], skipTotal: 1, expand: 'author,category' },
    });
    return result.items || [];
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

  function showList(items, at) {
    if (items.length) {
      state.replaceChildren();
      list.replaceChildren(...items.map(comments ? (c) => commentRow(c, q.split(/\s+/)) : row));
      list.hidden = false;
      return;
    }
    list.hidden = true;
    list.replaceChildren();
    let text = t('board.empty');
    let action = null;
    if (q) {
      text = at > 1 ? t('board.noMoreResults') : t('board.noResults');
    } else if (at > 1) {
      text = t('listing.pageEmpty');
      action = h('a', { href: pageLink(1) }, t('listing.firstPage'));
    } else if (board.can_write) {
      action = h('a', { href: `#/boards/${board.id}/new` }, t('listing.emptyWrite'));
    } else if (guestWrite) {
      action = h('a', { href: signInLink(`/boards/${board.id}`) }, t('listing.signInToWrite'));
    }
    state.replaceChildren(h('div', { class: 'empty-state' }, h('p', {}, text), action ? h('p', {}, action) : null));
  }

  // false when the request failed (the error state is shown)
  async function attempt(work) {
    if (list.hidden) state.replaceChildren(loading());
    list.setAttribute('aria-busy', 'true');
    try {
      await work();
      if (!signal.aborted) showSearchError('');
      return true;
    } catch (err) {
      if (signal.aborted || signedOut(err)) return false;
      if (q && err?.status === 400) {
        // the server says why it cannot run this search (e.g. q too long)
        showSearchError(err.response?.message || t('board.badSearch'));
        list.hidden = true;
        state.replaceChildren();
        return false;
      }
      list.hidden = true;
      state.replaceChildren(notice('error', h('p', {}, t('listing.error'), ' ', errorMessage(err)),
        h('button', { type: 'button', onclick: () => { (phone ? startPhone : loadPage)().catch(() => {}); } }, t('listing.retry'))));
      return false;
    } finally {
      list.removeAttribute('aria-busy');
    }
  }

  // Desktop: the page in the URL, numbered pages in blocks of ten.
  let shown = [];
  const drawPager = () => {
    pager.replaceChildren();
    append(pager, pageNumbers(page, lastPage(shown, page), pageLink));
  };
  async function loadPage() {
    if (await attempt(async () => {
      const items = await fetchPosts(page);
      if (signal.aborted) return;
      shown = items;
      showList(items, page);
    })) drawPager();
  }

  // Phone: page after page under the list while the reader scrolls. The
  // button does the same for keyboards and when the observer does not fire.
  let items = [];
  let loaded = 0;
  let hasMore = false;
  let fetching = false;
  const moreButton = h('button', { type: 'button', class: 'more-button', hidden: true, onclick: () => loadMore() }, t('listing.more'));
  const endNote = h('p', { class: 'muted end-note', hidden: true }, t('listing.end'));
  more.append(moreButton, endNote);
  function showPhone() {
    showList(items, 1);
    moreButton.hidden = !hasMore;
    endNote.hidden = hasMore || loaded < 2;
  }
  async function startPhone() {
    loaded = 0;
    items = [];
    hasMore = true;
    await loadMore();
  }
  async function loadMore() {
    if (fetching || !hasMore || signal.aborted) return;
    fetching = true;
    moreButton.disabled = true;
    try {
      await attempt(async () => {
        const next = await fetchPosts(loaded + 1);
        if (signal.aborted) return;
        loaded += 1;
        const seen = new Set(items.map((p) => p.id));
        items = items.concat(next.filter((p) => !seen.has(p.id))); // a new post shifts the pages
        hasMore = nextAfter(next, loaded);
        showPhone();
      });
    } finally {
      fetching = false;
      moreButton.disabled = false;
    }
    // still in sight (a tall screen, short rows): the observer will not fire again
    if (hasMore && !signal.aborted && more.getBoundingClientRect().top < window.innerHeight + 400) await loadMore();
  }
  // a live change on a phone: what was scrolled through, again, in one request
  async function refreshPhone() {
    if (fetching || !loaded) return;
    await attempt(async () => {
      const pages = Math.min(loaded, 50); // PocketBase answers 1,000 items at most
      const all = await fetchPosts(1, pages);
      if (signal.aborted) return;
      loaded = pages;
      items = all;
      hasMore = nextAfter(all.slice(-PER_PAGE), loaded);
      showPhone();
    });
  }

  if (phone) {
    await startPhone();
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) loadMore().catch(() => {});
    }, { rootMargin: '400px 0px' });
    observer.observe(more);
    onCleanup(() => observer.disconnect());
    // and on scrolling near the end: the observer reports changes only, so
    // one that fired while a page was loading does not fire again while the
    // sentinel stays in range
    const nearEnd = () => {
      if (hasMore && !fetching && more.getBoundingClientRect().top < window.innerHeight + 400) loadMore().catch(() => {});
    };
    window.addEventListener('scroll', nearEnd, { passive: true });
    onCleanup(() => window.removeEventListener('scroll', nearEnd));
  } else {
    await loadPage();
  }
  // crossing the phone width draws the page again the other way (once the
  // width has settled: a full-page screenshot or a rotation passes through others)
  const media = phoneQuery();
  const redraw = debounce(() => {
    if (!signal.aborted && media.matches !== phone) navigate(`/boards/${board.id}`, { sort: sortParam, q, in: inParam, category, page: page > 1 ? page : '' });
  }, 300);
  media.addEventListener('change', redraw);
  onCleanup(() => media.removeEventListener('change', redraw));

  const reload = debounce(() => (phone ? refreshPhone() : loadPage()).catch(() => {}), 400);
  pb.collection('posts').subscribe('*', reload, { filter: pb.filter('board = {:board}', { board: board.id }) })
    .then((unsub) => onCleanup(unsub), () => {});
  // the server announces posts_count changes to the board's subscribers;
  // a changed count also re-reads the list: that is how readers lose a post
  // a moderator hid (its own event no longer reaches those who may not see it)
  pb.collection('boards').subscribe(board.id, (e) => {
    if (e.action !== 'update' || signal.aborted) return;
    const changed = (e.record.posts_count || 0) !== postsCount;
    postsCount = e.record.posts_count || 0;
    if (!phone) drawPager();
    if (changed) reload();
  }).then((unsub) => onCleanup(unsub), () => {});
  // my access changed (a grant revoked), or the connection came back after
  // a break: is the board still mine to read, and what does it hold now
  const recheck = debounce(async () => {
    try {
      const fresh = await pb.collection('boards').getOne(board.id);
      if (signal.aborted) return;
      postsCount = fresh.posts_count || 0;
      if (!phone) drawPager();
      reload();
    } catch (err) {
      if (err?.status !== 404 || signal.aborted) return;
      title(t('listing.closed.board'));
      root.replaceChildren(closedPage('board'));
    }
  }, 300);
  const user = me();
  if (user) pb.collection('users').subscribe(user.id, recheck).then((unsub) => onCleanup(unsub), () => {});
  onCleanup(onReconnect(recheck));
}

/** @param {PostsRecord} post read with expand author, category */
function row(post) {
  return h('li', { class: `post-row${post.is_pinned ? ' pinned' : ''}${post.is_visible ? '' : ' hidden-post'}` },
    h('a', { class: 'post-title', href: `#/posts/${post.id}` },
      post.is_pinned ? h('span', { class: 'badge pin' }, t('post.pinned')) : null,
      post.is_visible ? null : h('span', { class: 'badge warn' }, t('common.hidden')),
      categoryTag(post),
      post.title,
      commentMark(post.comments_count),
      post.is_file_attached ? h('span', { class: 'clip', title: t('post.hasFiles') }, ' ', icon('clip'), h('span', { class: 'sr-only' }, t('post.hasFiles'))) : null),
    h('span', { class: 'meta' },
      h('span', { class: 'byline' }, avatar(post.anonymous_label ? { name: post.anonymous_label } : post.expand?.author), authorOf(post)),
      listTime(post.created),
      // the post page's order: views, likes, comments
      count('views', t('post.views'), fmtNumber(post.views_count || 0), { dataset: { count: 'views' } }),
      count('likes', t('post.likes'), fmtNumber(post.likes_count || 0), { dataset: { count: 'likes' } }),
      count('comments', t('post.comments'), fmtNumber(post.comments_count || 0), { dataset: { count: 'comments' } })));
}

/**
 * A comments search's result: the comment around the first word searched
 * for (its start when none shows), linking to it on its post.
 * @param {CommentsRecord} comment read with expand author, post
 * @param {string[]} words
 */
function commentRow(comment, words) {
  return h('li', { class: `post-row comment-result${comment.is_visible ? '' : ' hidden-post'}` },
    h('a', { class: 'post-title', href: `#/posts/${comment.post}?comment=${comment.id}` },
      comment.is_visible ? null : h('span', { class: 'badge warn' }, t('common.hidden')),
      excerpt(comment.content, words)),
    h('span', { class: 'meta' },
      h('span', { class: 'byline' }, avatar(comment.anonymous_label ? { name: comment.anonymous_label } : comment.expand?.author), authorOf(comment)),
      listTime(comment.created),
      h('span', { class: 'on-post' }, t('board.onPost', { title: comment.expand?.post?.title || '' }))));
}

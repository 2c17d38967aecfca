// Home (#/): the recent and the popular feed of every board I can read
// (GET /api/feed/recent, /api/feed/popular: posts as the list API returns
// them, no total), then the boards list (views/boards.js) below.
import { pb } from '../pb.js';
import { t, fmtNumber } from '../i18n.js';
import { h, time, userName, count, tabs, replace, append, avatar } from '../ui.js';
import renderBoards from './boards.js';

/** @typedef {import('../madang-types').MadangRoutes} MadangRoutes */

const PER_PAGE = 20;
const FEEDS = ['recent', 'popular'];

/** @param {import('../router.js').ViewContext} ctx */
export default async function render(ctx) {
  const { root, query, signal } = ctx;
  const feed = FEEDS.includes(query.get('feed')) ? query.get('feed') : 'recent';
  const page = Math.min(500, Math.max(1, Number(query.get('page')) || 1));
  const link = (f, p = 1) => `#/?${new URLSearchParams({ ...(f === 'recent' ? {} : { feed: f }), ...(p > 1 ? { page: String(p) } : {}) })}`.replace(/\?$/, '');
  const list = h('ul', { class: 'post-list feed-list', dataset: { feed } });
  const pager = h('nav', { class: 'pager', 'aria-label': t('home.pages') });
  const boardsBox = h('section', { class: 'home-boards', 'aria-labelledby': 'home-boards-h' });
  append(root, h('div', { class: 'home' },
    h('section', { class: 'home-feed', 'aria-labelledby': 'home-feed-h' },
      h('h1', { id: 'home-feed-h', tabindex: -1 }, t('home.title')),
      tabs(t('home.feeds'), [[link('recent'), t('home.recent')], [link('popular'), t('home.popular')]], link(feed)),
      feed === 'popular' ? h('p', { class: 'hint' }, t('home.popularHint')) : null,
      list, pager),
    boardsBox));

  /** @type {MadangRoutes['GET /api/feed/recent' | 'GET /api/feed/popular']['response']} */
  const res = await pb.send(`/api/feed/${feed}`, { method: 'GET', query: { page, perPage: PER_PAGE, expand: 'author,board' } });
  if (signal.aborted) return;
  const items = res?.items || [];
  list.replaceChildren(...items.map(item));
  if (!items.length) {
    // a page past the end (an old link, or 다음 after a full last page) is not an empty site
    const last = page > 1 ? await lastPage(feed, page) : 0;
    if (signal.aborted) return;
    list.append(h('li', { class: 'muted empty' }, last
      ? [t('home.pastEnd', { n: fmtNumber(last) }), ' ', h('a', { href: link(feed, last) }, t('home.lastPage', { n: fmtNumber(last) }))]
      : t(feed === 'popular' ? 'home.emptyPopular' : 'home.empty')));
  }
  replace(pager,
    page > 1 ? h('a', { class: 'button', href: link(feed, page - 1) }, t('common.prev')) : h('span'),
    items.length === PER_PAGE && page < 500 ? h('a', { class: 'button', href: link(feed, page + 1) }, t('common.next')) : h('span'));

  // the boards list as its own view draws it, under a second-level heading
  await renderBoards({ ...ctx, root: boardsBox, title: () => {} });
  const heading = boardsBox.querySelector('h1');
  if (heading) heading.replaceWith(h('h2', { id: 'home-boards-h' }, heading.textContent));
  ctx.title(t('home.title'));
}

/**
 * The last page of a feed that holds posts, below the empty `page` (0 when
 * the feed is empty). The feeds send no count: page `page - 1` is tried
 * first (reached by 다음), then the pages below it by halves, ids only.
 */
async function lastPage(feed, page) {
  const hasPosts = async (/** @type {number} */ p) => {
    /** @type {MadangRoutes['GET /api/feed/recent' | 'GET /api/feed/popular']['response']} */
    const res = await pb.send(`/api/feed/${feed}`, { method: 'GET', query: { page: p, perPage: PER_PAGE, fields: 'id' } });
    return (res?.items || []).length > 0;
  };
  if (await hasPosts(page - 1)) return page - 1;
  // lo is 0 or a page with posts; every page above hi is empty
  let lo = 0;
  let hi = page - 2;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (await hasPosts(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** @param {import('../madang-types').PostsRecord} post read with expand author, board */
function item(post) {
  return h('li', { class: 'post-row', dataset: { post: post.id } },
    h('a', { class: 'post-title', href: `#/posts/${post.id}` }, post.title),
    h('p', { class: 'meta' },
      post.expand?.board ? h('a', { href: `#/boards/${post.board}` }, post.expand.board.name) : null,
      h('span', { class: 'byline' },
        avatar(post.anonymous_label ? { name: post.anonymous_label } : post.expand?.author),
        h('span', { class: 'author' }, post.anonymous_label || userName(post.expand?.author))),
      time(post.created),
      // the board list's order: views, likes, comments
      count('views', t('post.views'), fmtNumber(post.views_count || 0)),
      count('likes', t('post.likes'), fmtNumber(post.likes_count)),
      count('comments', t('post.comments'), fmtNumber(post.comments_count))));
}

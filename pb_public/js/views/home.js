// Home (#/): the recent and the popular feed of every board I can read
// (GET /api/feed/recent, /api/feed/popular: posts as the list API returns
// them, no total), then the boards list (views/boards.js) below.
import { pb } from '../pb.js';
import { t, fmtNumber } from '../i18n.js';
import { h, time, userName, count, tabs, replace, append, avatar } from '../ui.js';
import renderBoards from './boards.js';

const PER_PAGE = 20;
const FEEDS = ['recent', 'popular'];

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

  const res = await pb.send(`/api/feed/${feed}`, { method: 'GET', query: { page, perPage: PER_PAGE, expand: 'author,board' } });
  if (signal.aborted) return;
  const items = res?.items || [];
  list.replaceChildren(...items.map(item));
  if (!items.length) list.append(h('li', { class: 'muted empty' }, t(feed === 'popular' ? 'home.emptyPopular' : 'home.empty')));
  replace(pager,
    page > 1 ? h('a', { class: 'button', href: link(feed, page - 1) }, t('common.prev')) : h('span'),
    items.length === PER_PAGE && page < 500 ? h('a', { class: 'button', href: link(feed, page + 1) }, t('common.next')) : h('span'));

  // the boards list as its own view draws it, under a second-level heading
  await renderBoards({ ...ctx, root: boardsBox, title: () => {} });
  const heading = boardsBox.querySelector('h1');
  if (heading) heading.replaceWith(h('h2', { id: 'home-boards-h' }, heading.textContent));
  ctx.title(t('home.title'));
}

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

// My bookmarks (내 스크랩, #/bookmarks), newest first. The bookmarks rules
// list only posts I can still read, so a post hidden or closed to me since
// simply does not show.
import { pb, signedOut } from '../pb.js';
import { t } from '../i18n.js';
import { h, time, userName, notice, errorMessage, replace, append } from '../ui.js';

const PER_PAGE = 20;

/** @param {import('../router.js').ViewContext} ctx */
export default async function render({ root, title, query, signal }) {
  title(t('bookmark.title'));
  const page = Math.max(1, Number(query.get('page')) || 1);
  const list = h('ul', { class: 'post-list bookmark-list' });
  const status = h('div', {});
  const pager = h('nav', { class: 'pager', 'aria-label': t('bookmark.pages') });
  append(root, h('div', { class: 'page-head' }, h('h1', { tabindex: -1 }, t('bookmark.title'))), status, list, pager);

  const res = await pb.collection('bookmarks').getList(page, PER_PAGE, { sort: '-created,-id', expand: 'post.author,post.board', skipTotal: true });
  if (signal.aborted) return;
  list.replaceChildren(...res.items.filter((b) => b.expand?.post).map(item));
  if (!list.children.length) list.append(h('li', { class: 'muted empty' }, t('bookmark.empty')));
  replace(pager,
    page > 1 ? h('a', { href: `#/bookmarks?page=${page - 1}`, class: 'button' }, t('common.prev')) : h('span'),
    res.items.length === PER_PAGE ? h('a', { href: `#/bookmarks?page=${page + 1}`, class: 'button' }, t('common.next')) : h('span'));

  /** @param {import('../madang-types').BookmarksRecord} b read with expand post.author, post.board */
  function item(b) {
    const post = b.expand.post;
    const remove = h('button', { type: 'button', class: 'link-button danger' }, t('bookmark.remove'));
    const li = h('li', { class: 'post-row', dataset: { post: post.id, bookmark: b.id } },
      h('a', { class: 'post-title', href: `#/posts/${post.id}` }, post.title),
      h('p', { class: 'meta' },
        post.expand?.board ? h('span', {}, post.expand.board.name) : null,
        h('span', {}, post.anonymous_label || userName(post.expand?.author)),
        h('span', {}, t('bookmark.saved'), ' ', time(b.created)),
        remove));
    remove.addEventListener('click', async () => {
      remove.disabled = true;
      try {
        await pb.collection('bookmarks').delete(b.id);
        li.remove();
        if (!list.children.length) list.append(h('li', { class: 'muted empty' }, t('bookmark.empty')));
      } catch (err) {
        remove.disabled = false;
        if (!signedOut(err)) replace(status, notice('error', errorMessage(err)));
      }
    });
    return li;
  }
}

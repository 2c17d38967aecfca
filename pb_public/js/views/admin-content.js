// Admin: hidden posts and comments, to show again or delete for good; live.
import { pb, signedOut } from '../pb.js';
import { t } from '../i18n.js';
import { h, time, userName, errorMessage, notice, replace, append, debounce, reconcile } from '../ui.js';
import { adminHeader } from './admin-nav.js';

/** @param {import('../router.js').ViewContext} ctx */
export default async function render({ root, title, signal, onCleanup }) {
  title(t('admin.content'));
  const status = h('div', { 'aria-live': 'polite' });
  const posts = h('ul', { class: 'plain' });
  const comments = h('ul', { class: 'plain' });
  append(root, ...adminHeader('#/admin/content', t('admin.content')), status,
    h('section', { class: 'card', 'aria-labelledby': 'hp-h' }, h('h2', { id: 'hp-h' }, t('admin.hiddenPosts')), posts),
    h('section', { class: 'card', 'aria-labelledby': 'hc-h' }, h('h2', { id: 'hc-h' }, t('admin.hiddenComments')), comments));

  const act = (/** @type {'posts' | 'comments'} */ collection, /** @type {{id: string}} */ record, /** @type {() => Promise<unknown>} */ work) => async () => {
    try {
      await work();
      await load();
    } catch (err) {
      if (!signedOut(err)) replace(status, notice('error', errorMessage(err)));
    }
  };
  const tools = (/** @type {'posts' | 'comments'} */ collection, /** @type {{id: string}} */ record) => h('span', { class: 'actions' },
    h('button', { type: 'button', onclick: act(collection, record, () => pb.collection(collection).update(record.id, { is_visible: true })) }, t('post.unhide')),
    h('button', { type: 'button', class: 'danger', onclick: act(collection, record, async () => {
      if (window.confirm(t('admin.confirmDeleteForever'))) await pb.collection(collection).delete(record.id);
    }) }, t('common.delete')));

  // unchanged rows keep their element (and the focus of their buttons) across a live reload
  /**
   * @template {import('../madang-types').PostsRecord | import('../madang-types').CommentsRecord} R
   * @param {HTMLElement} ul
   * @param {R[]} items
   * @param {(r: R) => HTMLElement} row
   */
  const show = (ul, items, row) => {
    ul.querySelector(':scope > li.muted')?.remove();
    reconcile(ul, items.map((r) => [`${r.id}:${r.updated}`, () => row(r)]));
    if (!items.length) ul.append(h('li', { class: 'muted' }, t('admin.nothingHidden')));
  };

  async function load() {
    const [p, c] = await Promise.all([
      pb.collection('posts').getList(1, 50, { filter: 'is_visible = false', sort: '-updated', expand: 'author,board' }),
      pb.collection('comments').getList(1, 50, { filter: 'is_visible = false', sort: '-updated', expand: 'author,post' }),
    ]);
    if (signal.aborted) return;
    show(posts, p.items, (post) => h('li', { class: 'post-row', dataset: { id: post.id } },
      h('a', { href: `#/posts/${post.id}` }, post.title), ' ',
      h('span', { class: 'meta' }, post.expand?.board?.name || '', ' · ', userName(post.expand?.author), ' · ', time(post.updated)),
      tools('posts', post)));
    show(comments, c.items, (cm) => h('li', { class: 'post-row', dataset: { id: cm.id } },
      h('span', {}, cm.content.length > 120 ? cm.content.slice(0, 117) + '…' : cm.content), ' ',
      h('span', { class: 'meta' }, h('a', { href: `#/posts/${cm.post}` }, cm.expand?.post?.title || ''), ' · ', userName(cm.expand?.author), ' · ', time(cm.updated)),
      tools('comments', cm)));
  }
  await load();

  // A post or comment hidden or shown again elsewhere (a post page, another
  // admin, the dashboard). No subscription filter: one on is_visible = false
  // would miss the event of a record shown again. Only hidden records and
  // those listed here matter, so counter updates (likes, comments) of
  // visible posts cost no reload.
  const reload = debounce(() => { if (!signal.aborted) load().catch(() => {}); }, 300);
  const listed = (ul, id) => !!ul.querySelector(`:scope > li[data-id="${CSS.escape(id)}"]`);
  /** @param {string} collection @param {HTMLElement} ul */
  const watch = (collection, ul) => pb.collection(collection).subscribe('*', (/** @type {{action: string, record: import('../madang-types').PostsRecord | import('../madang-types').CommentsRecord}} */ e) => {
    if (e.record?.is_visible === false || listed(ul, e.record?.id || '')) reload();
  }).then((unsub) => onCleanup(unsub), () => {});
  watch('posts', posts);
  watch('comments', comments);
}

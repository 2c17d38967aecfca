// Admin: hidden posts and comments, to show again or delete for good.
import { pb, signedOut } from '../pb.js';
import { t } from '../i18n.js';
import { h, time, userName, errorMessage, notice, replace, append } from '../ui.js';
import { adminHeader } from './admin-nav.js';

export default async function render({ root, title, signal }) {
  title(t('admin.content'));
  const status = h('div', { 'aria-live': 'polite' });
  const posts = h('ul', { class: 'plain' });
  const comments = h('ul', { class: 'plain' });
  append(root, ...adminHeader('#/admin/content', t('admin.content')), status,
    h('section', { class: 'card', 'aria-labelledby': 'hp-h' }, h('h2', { id: 'hp-h' }, t('admin.hiddenPosts')), posts),
    h('section', { class: 'card', 'aria-labelledby': 'hc-h' }, h('h2', { id: 'hc-h' }, t('admin.hiddenComments')), comments));

  const act = (collection, record, work) => async () => {
    try {
      await work();
      await load();
    } catch (err) {
      if (!signedOut(err)) replace(status, notice('error', errorMessage(err)));
    }
  };
  const tools = (collection, record) => h('span', { class: 'actions' },
    h('button', { type: 'button', onclick: act(collection, record, () => pb.collection(collection).update(record.id, { is_visible: true })) }, t('post.unhide')),
    h('button', { type: 'button', class: 'danger', onclick: act(collection, record, async () => {
      if (window.confirm(t('admin.confirmDeleteForever'))) await pb.collection(collection).delete(record.id);
    }) }, t('common.delete')));

  async function load() {
    const [p, c] = await Promise.all([
      pb.collection('posts').getList(1, 50, { filter: 'is_visible = false', sort: '-updated', expand: 'author,board' }),
      pb.collection('comments').getList(1, 50, { filter: 'is_visible = false', sort: '-updated', expand: 'author,post' }),
    ]);
    if (signal.aborted) return;
    posts.replaceChildren(...p.items.map((post) => h('li', { class: 'post-row' },
      h('a', { href: `#/posts/${post.id}` }, post.title), ' ',
      h('span', { class: 'meta' }, post.expand?.board?.name || '', ' · ', userName(post.expand?.author), ' · ', time(post.updated)),
      tools('posts', post))));
    if (!p.items.length) posts.append(h('li', { class: 'muted' }, t('admin.nothingHidden')));
    comments.replaceChildren(...c.items.map((cm) => h('li', { class: 'post-row' },
      h('span', {}, cm.content.length > 120 ? cm.content.slice(0, 117) + '…' : cm.content), ' ',
      h('span', { class: 'meta' }, h('a', { href: `#/posts/${cm.post}` }, cm.expand?.post?.title || ''), ' · ', userName(cm.expand?.author), ' · ', time(cm.updated)),
      tools('comments', cm))));
    if (!c.items.length) comments.append(h('li', { class: 'muted' }, t('admin.nothingHidden')));
  }
  await load();
}

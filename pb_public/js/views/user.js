// A member's public profile (#/users/{id}): avatar, name, role, join date
// and their recent posts I may read; block / unblock (the blocked member is
// never told) and report. Blocking hides their posts, comments and chat
// messages from me everywhere: the server's read rules do it.
import { pb, me, avatarURL, signedOut } from '../pb.js';
import { t, fmtDate, fmtNumber } from '../i18n.js';
import { h, append, replace, notice, errorMessage, time, userName, count } from '../ui.js';
import { reportButton, categoryTag } from '../moderation.js';

const RECENT = 10;

/** @param {import('../router.js').ViewContext} ctx */
export default async function render({ root, params, title, signal }) {
  const user = await pb.collection('users').getOne(params.id);
  title(userName(user));
  const viewer = me();
  const self = viewer?.id === user.id;
  const status = h('div', { 'aria-live': 'polite' });
  const tools = h('div', { class: 'actions' });
  const posts = h('ol', { class: 'post-list', 'aria-label': t('user.recentPosts') });

  append(root,
    h('div', { class: 'page-head user-head' },
      h('div', { class: 'user-id' },
        user.avatar ? largeAvatar(user) : letter(user),
        h('div', {},
          h('h1', { tabindex: -1 }, userName(user)),
          h('p', { class: 'meta' },
            h('span', { class: `badge${user.role === 'admin' ? ' pin' : ''}` }, t(`role.${user.role === 'admin' ? 'admin' : 'member'}`)),
            h('span', {}, t('profile.joined', { date: fmtDate(user.created, { dateStyle: 'medium' }) }))))),
      tools),
    status,
    h('section', { class: 'card', 'aria-labelledby': 'recent-h' },
      h('h2', { id: 'recent-h' }, t('user.recentPosts')),
      posts));

  if (self) {
    tools.append(h('a', { class: 'button', href: '#/profile' }, t('user.editMine')));
  } else if (viewer) {
    // admins cannot be blocked (the server refuses); they moderate instead
    let block = null;
    if (user.role !== 'admin') {
      const found = await pb.collection('blocks').getList(1, 1, { filter: pb.filter('blocked = {:u}', { u: user.id }), skipTotal: true });
      block = found.items[0] || null;
      const button = h('button', { type: 'button', id: 'block-button' });
      const show = () => {
        button.textContent = block ? t('user.unblock') : t('user.block');
        button.className = block ? '' : 'danger';
        button.setAttribute('aria-pressed', String(!!block));
      };
      show();
      button.addEventListener('click', async () => {
        if (!block && !window.confirm(t('user.confirmBlock', { name: userName(user) }))) return;
        button.disabled = true;
        try {
          if (block) {
            await pb.collection('blocks').delete(block.id);
            block = null;
            replace(status, notice('success', t('user.unblocked', { name: userName(user) })));
          } else {
            block = await pb.collection('blocks').create({ blocked: user.id });
            replace(status, notice('success', t('user.blocked', { name: userName(user) })));
          }
          show();
          await loadPosts();
        } catch (err) {
          if (!signedOut(err)) replace(status, notice('error', errorMessage(err)));
        } finally {
          button.disabled = false;
        }
      });
      tools.append(button);
    }
    tools.append(reportButton('user', user.id, { className: '' }));
  }

  // their recent visible posts, as the list rule lets me see them: nothing
  // while I block them, and never their anonymous posts (author is empty there)
  async function loadPosts() {
    const res = await pb.collection('posts').getList(1, RECENT, {
      filter: pb.filter('author = {:u} && is_visible = true', { u: user.id }), sort: '-created', expand: 'board,category', skipTotal: true,
    });
    if (signal.aborted) return;
    replace(posts, res.items.map((p) => h('li', { class: 'post-row' },
      h('a', { class: 'post-title', href: `#/posts/${p.id}` }, categoryTag(p), p.title),
      h('span', { class: 'meta' },
        p.expand?.board ? h('a', { href: `#/boards/${p.board}` }, p.expand.board.name) : null,
        time(p.created),
        count('likes', t('post.likes'), fmtNumber(p.likes_count || 0)),
        count('comments', t('post.comments'), fmtNumber(p.comments_count || 0))))));
    if (!res.items.length) {
      const blocked = tools.querySelector('#block-button[aria-pressed="true"]');
      posts.append(h('li', { class: 'muted empty' }, blocked ? t('user.postsHiddenBlocked') : t('user.noPosts')));
    }
  }
  await loadPosts();
}

/** The member's first letter in the large circle. */
function letter(user) {
  return h('span', { class: 'avatar large avatar-empty', 'aria-hidden': 'true' }, userName(user).slice(0, 1));
}

/** The member's picture, or the letter when it does not load. */
function largeAvatar(user) {
  const img = h('img', { class: 'avatar large', alt: '', src: avatarURL(user, '160x160') });
  img.addEventListener('error', () => img.replaceWith(letter(user)), { once: true });
  return img;
}

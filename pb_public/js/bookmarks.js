// The bookmark (스크랩) toggle of a post page: my bookmarks record of the
// post, created or deleted; aria-pressed says whether it is bookmarked.
import { pb, me, signedOut } from './pb.js';
import { t } from './i18n.js';
import { h, errorMessage } from './ui.js';

/**
 * A toggle button for post, for the signed-in user; null for guests.
 * @param {import('./madang-types').PostsRecord} post
 */
export function bookmarkButton(post) {
  if (!me()) return null;
  /** @type {import('./madang-types').BookmarksRecord | null} */
  let mine = null;
  const error = h('span', { class: 'inline-error', role: 'alert' });
  const button = h('button', { type: 'button', class: 'bookmark', 'aria-pressed': 'false', disabled: true }, bookmarkIcon(), h('span', {}, t('bookmark.toggle')));
  const set = (record) => {
    mine = record;
    button.setAttribute('aria-pressed', String(!!mine));
    button.title = mine ? t('bookmark.remove') : t('bookmark.add');
  };
  // the bookmarks rules show only my own: no user filter needed
  pb.collection('bookmarks').getList(1, 1, { filter: pb.filter('post = {:post}', { post: post.id }), skipTotal: true })
    .then((res) => set(res.items[0] || null), () => set(null))
    .finally(() => { button.disabled = false; });
  button.addEventListener('click', async () => {
    button.disabled = true;
    error.textContent = '';
    try {
      if (mine) {
        await pb.collection('bookmarks').delete(mine.id);
        set(null);
      } else {
        set(await pb.collection('bookmarks').create({ post: post.id }));
      }
    } catch (err) {
      if (!signedOut(err)) error.textContent = errorMessage(err);
    } finally {
      button.disabled = false;
    }
  });
  return h('span', { class: 'bookmark-toggle' }, button, error);
}

function bookmarkIcon() {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', 'icon icon-bookmark');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', 'M6 2h12a1 1 0 0 1 1 1v19l-7-4.5L5 22V3a1 1 0 0 1 1-1z');
  svg.append(path);
  return svg;
}

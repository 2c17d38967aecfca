// The profile's "my data" cards: my latest posts and comments (list
// filters author = me), the export of everything I own as JSON
// (GET /api/users/me/export, fetched with my token and saved from a blob:
// the CSP allows no other way), and deleting my account, with or without
// my posts and comments (?content=remove).
import { pb, me, renewingSession, signedOut } from './pb.js';
import { t } from './i18n.js';
import { h, time, notice, errorMessage, replace } from './ui.js';
import { navigate } from './router.js';
import { setFlash } from './app.js';
import { excerpt } from './listing.js';

const LATEST = 10;

/** The cards, to append to the profile page. */
export function myDataSections() {
  const user = me();
  if (!user) return [];
  return [latestPosts(user), latestComments(user), exportCard(), deleteCard(user)];
}

function latestPosts(user) {
  const list = h('ul', { class: 'plain my-posts' }, h('li', { class: 'muted' }, t('common.loading')));
  pb.collection('posts').getList(1, LATEST, {
    filter: pb.filter('author = {:me}', { me: user.id }), sort: '-created', expand: 'board', skipTotal: true,
  }).then((res) => {
    list.replaceChildren(...res.items.map((p) => h('li', {},
      h('a', { href: `#/posts/${p.id}` }, p.title), ' ',
      h('span', { class: 'muted' }, p.expand?.board?.name || '', ' · ', time(p.created)))));
    if (!res.items.length) list.replaceChildren(h('li', { class: 'muted' }, t('mydata.noPosts')));
  }, (err) => { if (!signedOut(err)) list.replaceChildren(h('li', { class: 'inline-error' }, errorMessage(err))); });
  return h('section', { class: 'card', 'aria-labelledby': 'myposts-h2' }, h('h2', { id: 'myposts-h2' }, t('mydata.posts')), list);
}

function latestComments(user) {
  const list = h('ul', { class: 'plain my-comments' }, h('li', { class: 'muted' }, t('common.loading')));
  pb.collection('comments').getList(1, LATEST, {
    filter: pb.filter('author = {:me}', { me: user.id }), sort: '-created', expand: 'post', skipTotal: true,
  }).then((res) => {
    list.replaceChildren(...res.items.map((c) => h('li', {},
      h('a', { href: `#/posts/${c.post}?comment=${c.id}` }, excerpt(c.content)), ' ',
      h('span', { class: 'muted' }, c.expand?.post?.title || '', ' · ', time(c.created)))));
    if (!res.items.length) list.replaceChildren(h('li', { class: 'muted' }, t('mydata.noComments')));
  }, (err) => { if (!signedOut(err)) list.replaceChildren(h('li', { class: 'inline-error' }, errorMessage(err))); });
  return h('section', { class: 'card', 'aria-labelledby': 'mycomments-h2' }, h('h2', { id: 'mycomments-h2' }, t('mydata.comments')), list);
}

function exportCard() {
  const button = h('button', { type: 'button', id: 'export-data' }, t('mydata.export'));
  const status = h('div', { 'aria-live': 'polite' });
  button.addEventListener('click', async () => {
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    status.replaceChildren();
    try {
      const res = await fetch(pb.buildURL('/api/users/me/export'), { headers: { Authorization: pb.authStore.token } });
      if (!res.ok) {
        const body = await res.json().catch(() => ({}));
        throw Object.assign(new Error(body.message || 'export failed'), { status: res.status, response: body });
      }
      const name = /filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') || '')?.[1] || 'madang-export.json';
      const url = URL.createObjectURL(await res.blob());
      const a = h('a', { href: url, download: name, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      replace(status, notice('success', t('mydata.exported', { name })));
    } catch (err) {
      if (err.status === 401) pb.authStore.clear();
      replace(status, notice('error', errorMessage(err)));
    } finally {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  });
  return h('section', { class: 'card', 'aria-labelledby': 'export-h2' },
    h('h2', { id: 'export-h2' }, t('mydata.exportTitle')),
    h('p', { class: 'muted' }, t('mydata.exportHint')),
    h('div', { class: 'actions' }, button), status);
}

function deleteCard(user) {
  const open = h('button', { type: 'button', class: 'danger', id: 'delete-account' }, t('mydata.delete'));
  const removeContent = h('input', { type: 'checkbox', id: 'delete-content', name: 'content' });
  const error = h('div', { role: 'alert' });
  const confirmButton = h('button', { type: 'submit', class: 'danger', value: 'delete' }, t('mydata.deleteConfirm'));
  const dialog = h('dialog', { class: 'card confirm-dialog', 'aria-labelledby': 'delete-dialog-h' },
    h('form', { method: 'dialog' },
      h('h2', { id: 'delete-dialog-h' }, t('mydata.deleteTitle')),
      h('p', {}, t('mydata.deleteWarning')),
      h('label', { class: 'check' }, removeContent, ' ', t('mydata.deleteContent')),
      h('p', { class: 'hint' }, t('mydata.deleteContentHint')),
      error,
      h('div', { class: 'actions' },
        confirmButton,
        h('button', { type: 'submit', value: 'cancel', formnovalidate: true }, t('common.cancel')))));
  open.addEventListener('click', () => {
    error.replaceChildren();
    removeContent.checked = false;
    dialog.showModal();
  });
  confirmButton.addEventListener('click', async (e) => {
    e.preventDefault();
    confirmButton.disabled = true;
    try {
      // the delete ends the account's sessions and closes its realtime
      // connections: a request sent meanwhile with this token (the bell
      // reading again after the reconnect) gets 401, which must not end
      // the page as a lost session, before or after the delete answers
      await renewingSession(async () => {
        await pb.collection('users').delete(user.id, removeContent.checked ? { query: { content: 'remove' } } : {});
        pb.authStore.clear();
      });
      dialog.close();
      setFlash('success', t(removeContent.checked ? 'mydata.deletedWithContent' : 'mydata.deleted'));
      navigate('/');
    } catch (err) {
      if (!signedOut(err)) replace(error, notice('error', errorMessage(err)));
    } finally {
      confirmButton.disabled = false;
    }
  });
  return h('section', { class: 'card', 'aria-labelledby': 'delete-h2' },
    h('h2', { id: 'delete-h2' }, t('mydata.deleteTitle')),
    h('p', { class: 'muted' }, t('mydata.deleteHint')),
    h('div', { class: 'actions' }, open), dialog);
}

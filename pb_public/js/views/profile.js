// My profile: name and avatar, password change (needs the old password),
// and the boards granted to me (expand=boards). Live: my record changed
// elsewhere (name, avatar, boards granted or revoked by an admin) shows at once.
import { pb, me, avatarURL, renewRealtime } from '../pb.js';
import { t, fmtDate } from '../i18n.js';
import { h, field, form, submitting, notice, replace, append } from '../ui.js';
import { signOut } from '../app.js';
import { myDataSections } from '../profile-data.js';

export default async function render({ root, title, signal, onCleanup }) {
  title(t('profile.title'));
  let user = await pb.collection('users').getOne(me().id, { expand: 'boards' });

  const avatarImg = h('img', { class: 'avatar large', alt: '', src: avatarURL(user, '160x160') || undefined, hidden: !user.avatar });
  const name = h('input', { name: 'name', value: user.name, required: true, minlength: 2, maxlength: 64, autocomplete: 'nickname' });
  const avatar = h('input', { name: 'avatar', type: 'file', accept: 'image/*' });
  const saved = h('div', { 'aria-live': 'polite' });
  const profileForm = form({ class: 'card', 'aria-labelledby': 'profile-h2' },
    h('h2', { id: 'profile-h2' }, t('profile.edit')),
    field(t('field.name'), name, t('signup.nameHint')),
    field(t('profile.avatar'), avatar, t('profile.avatarHint')),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('common.save'))),
    saved);
  profileForm.addEventListener('submit', (e) => {
    e.preventDefault();
    submitting(profileForm, async () => {
      const body = new FormData();
      body.append('name', name.value.trim());
      if (avatar.files[0]) body.append('avatar', avatar.files[0]);
      const updated = await pb.collection('users').update(user.id, body, { expand: 'boards' });
      avatar.value = '';
      show(updated);
      replace(saved, notice('success', t('common.saved')));
    });
  });

  const oldPassword = h('input', { name: 'oldPassword', type: 'password', autocomplete: 'current-password', required: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'new-password', required: true, minlength: 8 });
  const confirm = h('input', { name: 'passwordConfirm', type: 'password', autocomplete: 'new-password', required: true });
  const changed = h('div', { 'aria-live': 'polite' });
  const passwordForm = form({ class: 'card', 'aria-labelledby': 'password-h2' },
    h('h2', { id: 'password-h2' }, t('profile.password')),
    // lets password managers know whose password this is
    h('input', { type: 'text', name: 'username', autocomplete: 'username', value: user.email, hidden: true, tabindex: -1 }),
    field(t('field.oldPassword'), oldPassword),
    field(t('field.newPassword'), password, t('signup.passwordHint')),
    field(t('field.passwordConfirm'), confirm),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('profile.changePassword'))),
    changed);
  passwordForm.addEventListener('submit', (e) => {
    e.preventDefault();
    submitting(passwordForm, async () => {
      await pb.collection('users').update(user.id, {
        oldPassword: oldPassword.value, password: password.value, passwordConfirm: confirm.value,
      });
      // a password change ends every session, this one too: sign in again with the new one
      await pb.collection('users').authWithPassword(user.email, password.value);
      renewRealtime();
      passwordForm.reset();
      replace(changed, notice('success', t('profile.passwordChanged')));
    });
  });

  // Sign out everywhere: the server rotates my token key, so every device's
  // session ends, this one too (a single sign-out only forgets this browser's token).
  const everywhere = h('button', { type: 'button', id: 'signout-everywhere' }, t('profile.signOutEverywhere'));
  const sessionsCard = h('section', { class: 'card', 'aria-labelledby': 'sessions-h2' },
    h('h2', { id: 'sessions-h2' }, t('profile.sessions')),
    h('p', { class: 'muted' }, t('profile.signOutEverywhereHint')),
    h('div', { class: 'actions' }, everywhere));
  everywhere.addEventListener('click', () => {
    if (!window.confirm(t('profile.signOutEverywhereConfirm'))) return;
    submitting(sessionsCard, async () => {
      await pb.send('/api/users/sign-out-everywhere', { method: 'POST' });
      signOut();
    });
  });

  const heading = h('h1', { tabindex: -1 }, user.name);
  const about = h('p', { class: 'muted' });
  const myBoards = h('div', {});
  append(root,
    h('div', { class: 'page-head' }, avatarImg, h('div', {}, heading, about)),
    profileForm,
    passwordForm,
    h('section', { class: 'card', 'aria-labelledby': 'myboards-h2' },
      h('h2', { id: 'myboards-h2' }, t('profile.myBoards')),
      myBoards),
    sessionsCard,
    myDataSections());

  function show(next) {
    // a name being typed stays; an untouched field follows the stored name
    if (name.value.trim() === user.name) {
      name.value = next.name;
      name.defaultValue = next.name;
    }
    user = next;
    heading.textContent = user.name;
    replace(about, user.email, ' · ', t(`role.${user.role || 'member'}`), ' · ',
      t('profile.joined', { date: fmtDate(user.created) }));
    if (user.avatar) avatarImg.src = avatarURL(user, '160x160');
    else avatarImg.removeAttribute('src');
    avatarImg.hidden = !user.avatar;
    const boards = user.expand?.boards || [];
    replace(myBoards, boards.length
      ? h('ul', { class: 'plain' }, boards.map((b) => h('li', {}, h('a', { href: `#/boards/${b.id}` }, b.name))))
      : h('p', { class: 'muted' }, t('profile.noBoards')));
  }
  show(user);

  // expand=boards rides along, so a grant or revoke brings the board list with it
  pb.collection('users').subscribe(user.id, (e) => {
    if (e.action !== 'update' || signal.aborted) return;
    // sent to a connection the server no longer knows as mine (a password
    // change forgets it), the event has only the public fields: keep the rest
    show('boards' in e.record ? e.record : { ...user, ...e.record, expand: user.expand });
  }, { expand: 'boards' }).then((unsub) => onCleanup(unsub), () => {});
}

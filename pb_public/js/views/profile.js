// My profile: name and avatar, password change (needs the old password),
// and the boards granted to me (expand=boards).
import { pb, me, avatarURL } from '../pb.js';
import { t, fmtDate } from '../i18n.js';
import { h, field, form, submitting, notice, replace, append } from '../ui.js';

export default async function render({ root, title }) {
  title(t('profile.title'));
  const user = await pb.collection('users').getOne(me().id, { expand: 'boards' });

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
      const updated = await pb.collection('users').update(user.id, body);
      avatar.value = '';
      avatarImg.src = avatarURL(updated, '160x160');
      avatarImg.hidden = !updated.avatar;
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
      passwordForm.reset();
      replace(changed, notice('success', t('profile.passwordChanged')));
    });
  });

  const boards = user.expand?.boards || [];
  append(root, 
    h('div', { class: 'page-head' },
      avatarImg,
      h('div', {},
        h('h1', { tabindex: -1 }, user.name),
        h('p', { class: 'muted' }, user.email, ' · ', t(`role.${user.role || 'member'}`), ' · ',
          t('profile.joined', { date: fmtDate(user.created) })))),
    profileForm,
    passwordForm,
    h('section', { class: 'card', 'aria-labelledby': 'myboards-h2' },
      h('h2', { id: 'myboards-h2' }, t('profile.myBoards')),
      boards.length
        ? h('ul', { class: 'plain' }, boards.map((b) => h('li', {}, h('a', { href: `#/boards/${b.id}` }, b.name))))
        : h('p', { class: 'muted' }, t('profile.noBoards'))));
}

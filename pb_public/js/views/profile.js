// My profile: name and avatar, password change (needs the old password),
// and the boards granted to me (expand=boards). Live: my record changed
// elsewhere (name, avatar, boards granted or revoked by an admin) shows at once.
import { pb, me, avatarURL, renewingSession, signedOut } from '../pb.js';
import { t, fmtDate } from '../i18n.js';
import { h, limit, field, form, submitting, notice, replace, append, errorMessage } from '../ui.js';
import { signOut } from '../app.js';
import { userLink } from '../moderation.js';
import { myDataSections } from '../profile-data.js';

/** @param {import('../router.js').ViewContext} ctx */
export default async function render({ root, title, signal, onCleanup }) {
  title(t('profile.title'));
  let user = await pb.collection('users').getOne(me().id, { expand: 'boards' });

  const avatarImg = h('img', { class: 'avatar large', alt: '', src: avatarURL(user, '160x160') || undefined, hidden: !user.avatar });
  avatarImg.addEventListener('error', () => { avatarImg.hidden = true; }); // a picture that does not load is not shown broken
  const name = limit(h('input', { name: 'name', value: user.name, required: true, minlength: 2, autocomplete: 'nickname' }), 64);
  const avatar = h('input', { name: 'avatar', type: 'file', accept: 'image/jpeg,image/png,image/gif,image/webp' });
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
      // a password change ends every session, this one too: sign in again
      // with the new one
      await renewingSession(async () => {
        await pb.collection('users').update(user.id, {
          oldPassword: oldPassword.value, password: password.value, passwordConfirm: confirm.value,
        });
        await pb.collection('users').authWithPassword(user.email, password.value);
      });
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
      // the server closes this page's live connection too: a 401 for the
      // old token meanwhile or after is no "session ended"
      await renewingSession(async () => {
        await pb.send('/api/users/sign-out-everywhere', { method: 'POST' });
        signOut();
      });
    });
  });

  const heading = h('h1', { tabindex: -1 }, user.name);
  const about = h('p', { class: 'muted' });
  const myBoards = h('div', {});
  append(root,
    h('div', { class: 'page-head' }, avatarImg, h('div', {}, heading, about)),
    profileForm,
    emailCard(() => user),
    passwordForm,
    h('section', { class: 'card', 'aria-labelledby': 'myboards-h2' },
      h('h2', { id: 'myboards-h2' }, t('profile.myBoards')),
      myBoards),
    blockedCard(signal),
    sessionsCard,
    myDataSections());

  /** @param {import('../madang-types').UsersRecord} next read with expand boards */
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

// The members I block: their posts, comments and chat messages are hidden
// from me (the server's read rules); they are never told. Unblock here.
function blockedCard(signal) {
  const list = h('ul', { class: 'plain blocked-list' });
  const status = h('div', { 'aria-live': 'polite' });
  const card = h('section', { class: 'card', 'aria-labelledby': 'blocked-h2', id: 'blocked-users' },
    h('h2', { id: 'blocked-h2' }, t('blocks.title')),
    h('p', { class: 'muted' }, t('blocks.hint')),
    status, list);
  async function load() {
    const blocks = await pb.collection('blocks').getFullList({ sort: '-created', expand: 'blocked' });
    if (signal.aborted) return;
    replace(list, blocks.length ? blocks.map((b) => h('li', { class: 'blocked-row', dataset: { user: b.blocked } },
      userLink(b.expand?.blocked),
      h('button', { type: 'button', class: 'link-button', onclick: async (e) => {
        e.target.disabled = true;
        try {
          await pb.collection('blocks').delete(b.id);
          replace(status, notice('success', t('user.unblocked', { name: b.expand?.blocked?.name || '' })));
          await load();
        } catch (err) {
          e.target.disabled = false;
          if (!signedOut(err)) replace(status, notice('error', errorMessage(err)));
        }
      } }, t('user.unblock')))) : h('li', { class: 'muted' }, t('blocks.empty')));
  }
  load().catch(() => {});
  return card;
}

// My email address: whether it is verified (with a button that mails a
// verification link when it is not), and a change of address. PocketBase
// mails the new address a link to #/confirm-email-change/{token}, where my
// password confirms it; until then the old address stays.
/** @param {() => import('../madang-types').UsersRecord} current the user as shown now */
function emailCard(current) {
  const user = current();
  const status = h('div', { 'aria-live': 'polite' });
  const verifyButton = h('button', { type: 'button', id: 'verify-email' }, t('email.verifyButton'));
  verifyButton.addEventListener('click', async () => {
    verifyButton.disabled = true;
    try {
      await pb.collection('users').requestVerification(current().email);
      replace(status, notice('success', t('email.verifySent', { email: current().email })));
    } catch (err) {
      verifyButton.disabled = false;
      if (!signedOut(err)) replace(status, notice('error', errorMessage(err)));
    }
  });
  const newEmail = h('input', { name: 'newEmail', type: 'email', autocomplete: 'email', required: true });
  const f = form({ class: 'email-change' },
    field(t('email.newEmail'), newEmail, t('email.newEmailHint')),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('email.requestChange'))));
  f.addEventListener('submit', (e) => {
    e.preventDefault();
    submitting(f, async () => {
      const value = newEmail.value.trim();
      if (!value || !newEmail.checkValidity()) {
        const code = value ? 'validation_is_email' : 'validation_required';
        throw { status: 400, response: { message: t('form.fixErrors'), data: { newEmail: { code, message: t(`err.${code}`) } } } };
      }
      await pb.collection('users').requestEmailChange(value);
      f.reset();
      replace(status, notice('success', t('email.changeSent', { email: value })));
    });
  });
  return h('section', { class: 'card', 'aria-labelledby': 'email-h2', id: 'email-card' },
    h('h2', { id: 'email-h2' }, t('email.title')),
    h('p', { class: 'verify-email' }, h('span', {}, t('email.current', { email: user.email })),
      user.verified ? h('span', { class: 'badge ok' }, t('email.verified')) : [h('span', { class: 'badge warn' }, t('email.notVerified')), verifyButton]),
    status, f);
}

// The page the reset mail links to (#/reset-password/{token}): choose a new
// password. Every earlier session ends; the user signs in again.
import { pb } from '../pb.js';
import { t } from '../i18n.js';
import { h, field, form, submitting, notice, replace, append } from '../ui.js';

/** @param {import('../router.js').ViewContext} ctx */
export default function render({ root, params, title }) {
  title(t('reset.confirmTitle'));
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'new-password', required: true, minlength: 8 });
  const confirm = h('input', { name: 'passwordConfirm', type: 'password', autocomplete: 'new-password', required: true });
  const formEl = form({ class: 'card narrow' },
    h('h1', { tabindex: -1 }, t('reset.confirmTitle')),
    field(t('field.newPassword'), password, t('signup.passwordHint')),
    field(t('field.passwordConfirm'), confirm),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('reset.confirmSubmit'))));

  formEl.addEventListener('submit', (e) => {
    e.preventDefault();
    submitting(formEl, async () => {
      await pb.collection('users').confirmPasswordReset(params.token, password.value, confirm.value);
      pb.authStore.clear();
      replace(formEl, h('h1', { tabindex: -1 }, t('reset.confirmTitle')),
        notice('success', t('reset.confirmed')),
        h('p', {}, h('a', { href: '#/signin', class: 'button primary' }, t('nav.signIn'))));
    });
  });
  append(root, formEl);
  password.focus();
}

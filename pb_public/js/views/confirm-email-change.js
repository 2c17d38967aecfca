// The page the email-change mail links to (#/confirm-email-change/{token}):
// the account's password confirms the new address. The change ends every
// session (PocketBase renews the account's token key), so one signs in
// again, with the new address.
import { pb, renewingSession } from '../pb.js';
import { t } from '../i18n.js';
import { h, field, form, submitting, notice, replace, append } from '../ui.js';
import { getTokenPayload } from '../../vendor/pocketbase.es.mjs';

/** @param {import('../router.js').ViewContext} ctx */
export default function render({ root, params, title }) {
  title(t('email.confirmTitle'));
  const newEmail = getTokenPayload(params.token)?.newEmail || '';
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const formEl = form({ class: 'card narrow' },
    h('h1', { tabindex: -1 }, t('email.confirmTitle')),
    h('p', {}, newEmail ? t('email.confirmTo', { email: newEmail }) : t('email.confirmIntro')),
    field(t('field.password'), password, t('email.passwordHint')),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('email.confirmSubmit'))));

  formEl.addEventListener('submit', (e) => {
    e.preventDefault();
    submitting(formEl, async () => {
      if (!password.value) {
        throw { status: 400, response: { message: t('form.fixErrors'), data: { password: { code: 'validation_required', message: t('err.validation_required') } } } };
      }
      // the change ends every session of the account, this tab's too
      await renewingSession(async () => {
        await pb.collection('users').confirmEmailChange(params.token, password.value);
        pb.authStore.clear();
      });
      replace(formEl, h('h1', { tabindex: -1 }, t('email.confirmTitle')),
        notice('success', t('email.changed')),
        h('p', {}, h('a', { href: '#/signin', class: 'button primary' }, t('nav.signIn'))));
    });
  });
  append(root, formEl);
  password.focus();
}

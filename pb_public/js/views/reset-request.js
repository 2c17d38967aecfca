// Asks for a password-reset mail. The answer is the same whether or not the
// address is known, as the server's is.
import { pb } from '../pb.js';
import { t } from '../i18n.js';
import { h, field, form, submitting, notice, replace, append } from '../ui.js';

/** @param {import('../router.js').ViewContext} ctx */
export default function render({ root, title }) {
  title(t('reset.requestTitle'));
  const email = h('input', { name: 'email', type: 'email', autocomplete: 'email', required: true });
  const done = h('div', { 'aria-live': 'polite' });
  const formEl = form({ class: 'card narrow' },
    h('h1', { tabindex: -1 }, t('reset.requestTitle')),
    h('p', {}, t('reset.requestText')),
    field(t('field.email'), email),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('reset.requestSubmit'))),
    done,
    h('p', {}, h('a', { href: '#/signin' }, t('nav.signIn'))));

  formEl.addEventListener('submit', (e) => {
    e.preventDefault();
    submitting(formEl, async () => {
      await pb.collection('users').requestPasswordReset(email.value.trim());
      replace(done, notice('success', t('reset.requestSent', { email: email.value.trim() })));
    });
  });
  append(root, formEl);
  email.focus();
}

// Sign in with email or name. A banned account gets the server's 403, told
// in the user's language with the ban's end date and reason.
import { pb } from '../pb.js';
import { t } from '../i18n.js';
import { h, field, form, submitting, append, banText } from '../ui.js';
import { navigate, afterSignIn } from '../router.js';

/** @param {import('../router.js').ViewContext} ctx */
export default function render({ root, query, title, signal }) {
  title(t('signin.title'));
  const identity = h('input', { name: 'identity', autocomplete: 'username', required: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const formEl = form({ class: 'card narrow', 'aria-labelledby': 'signin-h' },
    h('h1', { id: 'signin-h', tabindex: -1 }, t('signin.title')),
    field(t('signin.identity'), identity),
    field(t('field.password'), password),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('signin.submit'))),
    h('p', {}, h('a', { href: '#/signup' }, t('signin.noAccount')), ' · ',
      h('a', { href: '#/forgot-password' }, t('signin.forgot'))));

  formEl.addEventListener('submit', (e) => {
    e.preventDefault();
    submitting(formEl, async () => {
      try {
        await pb.collection('users').authWithPassword(identity.value.trim(), password.value);
      } catch (err) {
        throw localize(err);
      }
      if (!signal.aborted) navigate(afterSignIn(query));
    });
  });
  append(root, formEl);
  (identity.value ? password : identity).focus();
  return formEl;
}

function localize(err) {
  const data = err?.response?.data || {};
  const ban = err?.status === 403 ? banText(err.response?.message || '', data) : '';
  if (ban) return { status: 403, response: { message: ban, data: {} } };
  if (err?.status === 400 && !Object.keys(data).length) {
    return { status: 400, response: { message: t('signin.failed'), data: {} } };
  }
  return err;
}

// Sign up with name, email and password, then sign in at once. Every
// problem is shown at once, next to its field: the browser's own checks
// (in its language) and the server's (a taken name or email), which
// answers every problem of a sign-up in one response.
import { pb, signedOut } from '../pb.js';
import { t } from '../i18n.js';
import { h, limit, field, form, submitting, append, errorMessage } from '../ui.js';
import { navigate } from '../router.js';

/** @param {import('../router.js').ViewContext} ctx */
export default function render({ root, title, signal }) {
  title(t('signup.title'));
  const name = limit(h('input', { name: 'name', autocomplete: 'nickname', required: true, minlength: 2 }), 64);
  const email = h('input', { name: 'email', type: 'email', autocomplete: 'email', required: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'new-password', required: true, minlength: 8 });
  const confirm = h('input', { name: 'passwordConfirm', type: 'password', autocomplete: 'new-password', required: true });
  const formEl = form({ class: 'card narrow' },
    h('h1', { tabindex: -1 }, t('signup.title')),
    field(t('field.name'), name, t('signup.nameHint')),
    field(t('field.email'), email),
    field(t('field.password'), password, t('signup.passwordHint')),
    field(t('field.passwordConfirm'), confirm),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('signup.submit'))),
    h('p', {}, h('a', { href: '#/signin' }, t('signup.haveAccount'))));

  formEl.addEventListener('submit', (e) => {
    e.preventDefault();
    submitting(formEl, async () => {
      // The browser's own checks, and the server's word at the same time:
      // it answers every problem at once, a taken name or email included,
      // which only it can know. Its rules are the browser's, so it refuses
      // whatever the browser found.
      const problems = localProblems({ name, email, password, confirm });
      try {
        await pb.collection('users').create({
          name: name.value.trim(),
          email: email.value.trim(),
          password: password.value,
          passwordConfirm: confirm.value,
        });
      } catch (err) {
        // a refusal of the whole request (too many sign-ups from here, the
        // network) still shows what the browser found (until 2026-12-07 it
        // hid it)
        if (err?.status !== 400 && (signedOut(err) || !Object.keys(problems).length)) throw err;
        const data = { ...(err?.status === 400 ? err.response?.data || {} : {}), ...problems };
        throw { status: 400, response: { message: err?.status === 400 ? t('form.fixErrors') : errorMessage(err), data } };
      }
      await pb.collection('users').authWithPassword(email.value.trim(), password.value);
      if (!signal.aborted) navigate('/');
    });
  });
  append(root, formEl);
  name.focus();
}

/** The same rules as the server's, as PocketBase error data {field: {code, message}}. */
const NAME = /^[\p{L}\p{M}\p{N}_.\-]+$/u;
function localProblems({ name, email, password, confirm }) {
  const problems = {};
  const say = (field, code, message = t(`err.${code}`)) => { problems[field] = { code, message }; };
  const n = name.value.trim();
  if (!n) say('name', 'validation_required');
  else if ([...n].length < 2) say('name', 'validation_min_text_constraint', 'Must be at least 2 character(s).');
  else if ([...n].length > 64) say('name', 'validation_max_text_constraint', 'Must be no more than 64 character(s).');
  else if (!NAME.test(n)) say('name', 'validation_invalid_format');
  if (!email.value.trim()) say('email', 'validation_required');
  else if (!email.checkValidity()) say('email', 'validation_is_email');
  if (!password.value) say('password', 'validation_required');
  else if (password.value.length < 8) say('password', 'validation_min_text_constraint', 'Must be at least 8 character(s).');
  else if (new TextEncoder().encode(password.value).length > 72 || [...password.value].length > 71) say('password', 'validation_password_too_long'); // bcrypt's bytes, the server's characters
  if (!confirm.value) say('passwordConfirm', 'validation_required');
  else if (password.value && confirm.value !== password.value) say('passwordConfirm', 'validation_values_mismatch');
  return problems;
}

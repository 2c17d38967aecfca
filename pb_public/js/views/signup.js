// Sign up with name, email and password, then sign in at once.
import { pb } from '../pb.js';
import { t } from '../i18n.js';
import { h, field, form, submitting, append } from '../ui.js';
import { navigate } from '../router.js';

export default function render({ root, title }) {
  title(t('signup.title'));
  const name = h('input', { name: 'name', autocomplete: 'nickname', required: true, minlength: 2, maxlength: 64 });
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
      await pb.collection('users').create({
        name: name.value.trim(),
        email: email.value.trim(),
        password: password.value,
        passwordConfirm: confirm.value,
      });
      await pb.collection('users').authWithPassword(email.value.trim(), password.value);
      navigate('/');
    });
  });
  append(root, formEl);
  name.focus();
}

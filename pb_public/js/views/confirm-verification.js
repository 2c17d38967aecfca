// The page the verification mail links to (#/confirm-verification/{token}):
// it confirms the address at once and says so (or why it could not).
import { pb, me } from '../pb.js';
import { t } from '../i18n.js';
import { h, notice, errorMessage, append } from '../ui.js';

/** @param {import('../router.js').ViewContext} ctx */
export default async function render({ root, params, title }) {
  title(t('verify.title'));
  const box = h('section', { class: 'card narrow', 'aria-live': 'polite' }, h('h1', { tabindex: -1 }, t('verify.title')));
  append(root, box);
  try {
    await pb.collection('users').confirmVerification(params.token);
    // the SDK marks the signed-in record verified when the token is its own
    append(box, notice('success', t('verify.done')),
      h('p', {}, h('a', { class: 'button primary', href: me() ? '#/profile' : '#/signin' }, me() ? t('profile.title') : t('nav.signIn'))));
  } catch (err) {
    const expired = err?.status === 400;
    append(box, notice('error', expired ? t('verify.badLink') : errorMessage(err)),
      h('p', {}, h('a', { href: me() ? '#/profile' : '#/signin' }, me() ? t('verify.askAgain') : t('nav.signIn'))));
  }
}

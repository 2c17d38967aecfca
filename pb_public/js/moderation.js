// What the community features add to every view that shows members' content:
// who wrote it (a link to their profile, or the anonymous board's label —
// never anything that would tell who the anonymous writer is), the post's
// category (말머리), and the report dialog.
import { pb, me, isAdmin } from './pb.js';
import { t } from './i18n.js';
import { h, limit, form, field, submitting, notice, replace, userName } from './ui.js';

export const REPORT_REASONS = ['spam', 'abuse', 'illegal', 'other'];

/**
 * A user's name as a link to their public profile (#/users/{id}).
 * @param {Partial<import('./madang-types').UsersRecord> | null | undefined} user
 * @param {Record<string, any>} [attrs]
 */
export function userLink(user, attrs = {}) {
  if (!user?.id) return h('span', { class: 'author', ...attrs }, userName(user));
  return h('a', { class: 'author user-link', href: `#/users/${user.id}`, ...attrs }, userName(user));
}

/**
 * Who wrote a post, comment or chat message. On anonymous boards the server
 * sends `anonymous_label` (익명, 익명1, 익명(글쓴이)…) and an empty author to
 * members: show the label only. Admins (and the writer) get the author as
 * well; admins see the real name next to the label.
 * @param {import('./madang-types').PostsRecord | import('./madang-types').CommentsRecord} record
 */
export function authorOf(record) {
  const label = record?.anonymous_label;
  const author = record?.expand?.author;
  if (!label) return userLink(author);
  const anon = h('span', { class: 'author anon', title: t('anon.hint') }, label);
  if (author && isAdmin()) return h('span', { class: 'author-pair' }, anon, ' ', h('span', { class: 'muted' }, '('), userLink(author), h('span', { class: 'muted' }, ')'));
  if (author && author.id === me()?.id) return h('span', { class: 'author-pair' }, anon, ' ', h('span', { class: 'muted' }, t('anon.me')));
  return anon;
}

/**
 * The post's category (말머리) as "[name]" before its title, or null.
 * @param {import('./madang-types').PostsRecord} post
 */
export function categoryTag(post) {
  const name = post?.expand?.category?.name;
  return name ? h('span', { class: 'category-tag' }, `[${name}]`, ' ') : null;
}

/** The field that names a report's target, per target kind. */
const TARGET_FIELD = { post: 'post', comment: 'comment', chat: 'chat', user: 'user' };

/**
 * A "report" button for a post, comment, chat message or user: it opens a
 * dialog with the reason and optional text. Hidden for guests and for one's
 * own content.
 * @param {import('./madang-types').ReportsRecord['target_kind']} kind
 * @param {string} id
 * @param {{authorId?: string, className?: string}} [options]
 */
export function reportButton(kind, id, { authorId = '', className = 'link-button' } = {}) {
  const user = me();
  if (!user || (authorId && authorId === user.id) || (kind === 'user' && id === user.id)) return null;
  return h('button', { type: 'button', class: `${className} report-button`, dataset: { report: kind },
    onclick: () => openReportDialog(kind, id) }, t('report.button'));
}

function openReportDialog(kind, id) {
  const reason = h('select', { name: 'reason', required: true, value: 'spam' },
    REPORT_REASONS.map((r) => h('option', { value: r }, t(`report.reason.${r}`))));
  const text = limit(h('textarea', { name: 'text', rows: 3 }), 1000);
  const result = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('report.send'));
  const close = h('button', { type: 'button', onclick: () => dialog.close() }, t('common.cancel'));
  const f = form({ method: 'dialog', class: 'report-form' },
    h('h2', { id: 'report-h' }, t(`report.title.${kind}`)),
    field(t('report.reason'), reason),
    field(t('report.text'), text, t('report.textHint')),
    result,
    h('div', { class: 'actions' }, submit, close));
  const dialog = h('dialog', { class: 'card report-dialog', 'aria-labelledby': 'report-h' }, f);
  dialog.addEventListener('close', () => dialog.remove());
  f.addEventListener('submit', (e) => {
    e.preventDefault();
    submitting(f, async () => {
      try {
        await pb.collection('reports').create({ target_kind: kind, [TARGET_FIELD[kind]]: id, reason: reason.value, text: text.value.trim() });
      } catch (err) {
        // one open report per reporter and target: not an error for the member
        if (err?.status === 400 && err.response?.data?.[TARGET_FIELD[kind]]?.code === 'validation_already_reported') {
          return done(t('report.already'), 'info');
        }
        throw err;
      }
      return done(t('report.sent'), 'success');
    });
  });
  function done(message, kindOfNotice) {
    replace(result, notice(kindOfNotice, message));
    submit.hidden = true;
    reason.disabled = true;
    text.disabled = true;
    close.textContent = t('report.close');
    close.focus();
  }
  document.body.append(dialog);
  dialog.showModal();
  reason.focus();
}

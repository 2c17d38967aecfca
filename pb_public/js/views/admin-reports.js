// Admin: the moderation queue (#/admin/reports). Open reports grouped by
// target, most reported first (GET /api/reports/queue); each shows what was
// reported, who reported it and why (or the AI's label and score), and is
// resolved in one call (POST /api/reports/{id}/resolve): dismiss, hide or ban,
// with a reason. The server marks every open report of the target, writes the
// moderation log and notifies the reporters. Live: new reports reload it.
import { pb } from '../pb.js';
import { t, fmtNumber } from '../i18n.js';
import { h, limit, form, field, submitting, notice, replace, append, time, debounce } from '../ui.js';
import { adminHeader } from './admin-nav.js';
import { userLink, authorOf } from '../moderation.js';

/** @typedef {import('../madang-types').PostsRecord} PostsRecord */
/** @typedef {import('../madang-types').CommentsRecord} CommentsRecord */
/** @typedef {import('../madang-types').ChatsRecord} ChatsRecord */
/** @typedef {import('../madang-types').UsersRecord} UsersRecord */
/** @typedef {import('../madang-types').ReportsRecord} ReportsRecord */
/** @typedef {import('../madang-types').MadangRoutes} MadangRoutes */

const PER_PAGE = 20;

/** @param {import('../router.js').ViewContext} ctx */
export default async function render({ root, title, query, signal, onCleanup }) {
  title(t('reports.title'));
  const page = Math.max(1, parseInt(query.get('page'), 10) || 1);
  const status = h('div', { 'aria-live': 'polite' });
  const list = h('ol', { class: 'plain report-queue', 'aria-label': t('reports.queue') });
  const pager = h('nav', { class: 'pager', 'aria-label': t('board.pages') });
  append(root, ...adminHeader('#/admin/reports', t('reports.title')), status, list, pager);

  async function load() {
    /** @type {MadangRoutes['GET /api/reports/queue']['response']} */
    const res = await pb.send('/api/reports/queue', { query: { page, perPage: PER_PAGE } });
    if (signal.aborted) return;
    const items = res.items || [];
    const cards = await Promise.all(items.map((item) => targetCard(item, resolved)));
    if (signal.aborted) return;
    replace(list, cards);
    if (!items.length) list.append(h('li', { class: 'card muted empty' }, page > 1 ? t('board.noMoreResults') : t('reports.empty')));
    replace(pager,
      page > 1 ? h('a', { href: `#/admin/reports?page=${page - 1}`, rel: 'prev' }, t('common.prev')) : h('span'),
      h('span', { class: 'muted' }, t('board.pageOnly', { page })),
      items.length >= PER_PAGE ? h('a', { href: `#/admin/reports?page=${page + 1}`, rel: 'next' }, t('common.next')) : h('span'));
  }
  async function resolved(message) {
    replace(status, notice('success', message));
    await load();
  }
  await load();

  const reload = debounce(() => { if (!signal.aborted) load().catch(() => {}); }, 400);
  pb.collection('reports').subscribe('*', reload).then((unsub) => onCleanup(unsub), () => {});
}

/**
 * The reported record, read as an admin: null if it is gone or unreadable.
 * @param {ReportsRecord['target_kind']} kind
 * @param {string} id
 * @returns {Promise<any>} the kind's record (targetView types it by kind), or null
 */
async function readTarget(kind, id) {
  const collection = { post: 'posts', comment: 'comments', chat: 'chats', user: 'users' }[kind];
  const expand = { post: 'author,board', comment: 'author,post', chat: 'author,session' }[kind];
  try {
    return await pb.collection(collection).getOne(id, expand ? { expand } : {});
  } catch (err) {
    if (err?.status === 404) return null;
    throw err;
  }
}

/**
 * What was reported: a short view of it with a link to open it. A record the
 * admin cannot read but that exists (a message in a group chat) is said to be
 * private, not gone: it can be hidden (until 2026-12-07 it said "dismiss it").
 * @param {ReportsRecord['target_kind']} kind
 * @param {any} record the kind's record (a PostsRecord, CommentsRecord, ChatsRecord or UsersRecord,
 *   by kind) or null: any, since the switch on kind cannot narrow a separate parameter
 * @param {boolean} deleted
 */
function targetView(kind, record, deleted) {
  if (!record) return h('p', { class: 'muted' }, t(deleted ? 'reports.gone' : 'reports.private'));
  const hidden = record.is_visible === false ? h('span', { class: 'badge warn' }, t('common.hidden')) : null;
  const excerpt = (text) => h('p', { class: 'report-excerpt' }, String(text || '').slice(0, 300));
  switch (kind) {
    case 'post':
      return h('div', {},
        h('p', {}, hidden, h('a', { href: `#/posts/${record.id}`, class: 'post-title' }, record.title)),
        h('p', { class: 'meta' }, authorOf(record), record.expand?.board?.name ? h('span', {}, record.expand.board.name) : null, time(record.created)),
        excerpt(record.content));
    case 'comment':
      return h('div', {},
        h('p', {}, hidden, h('a', { href: `#/posts/${record.post}` }, t('reports.commentOn', { title: record.expand?.post?.title || '' }))),
        h('p', { class: 'meta' }, authorOf(record), time(record.created)),
        excerpt(record.content));
    case 'chat':
      return h('div', {},
        h('p', {}, hidden, h('a', { href: `#/chat/${record.session}` }, t('reports.chatIn', { name: record.expand?.session?.name || '' }))),
        h('p', { class: 'meta' }, userLink(record.expand?.author), time(record.created)),
        excerpt(record.content));
    default:
      return h('div', {},
        h('p', {}, userLink(record), ' ', h('span', { class: 'badge' }, t(`role.${record.role === 'admin' ? 'admin' : 'member'}`)),
          record.banned ? h('span', { class: 'badge warn' }, t('admin.bannedForever')) : null));
  }
}

/**
 * "AI: label 93%" for the reports the moderation assist filed.
 * @param {ReportsRecord} report
 */
export function aiText(report) {
  const score = Math.round((Number(report.ai_score) || 0) * 100);
  return t('reports.ai', { label: report.ai_label || '?', score });
}

/**
 * @param {import('../madang-types').ReportQueueItem} item
 * @param {(message: string) => Promise<void>} onResolved
 */
async function targetCard(item, onResolved) {
  const kind = item.target_kind;
  const [record, reports] = await Promise.all([
    readTarget(kind, item.target_id),
    pb.collection('reports').getFullList({
      filter: pb.filter(`target_kind = {:k} && ${kind} = {:id} && status = "open"`, { k: kind, id: item.target_id }),
      sort: '-created', expand: 'reporter',
    }),
  ]);
  const reasons = Object.entries(item.reasons || {}).map(([r, n]) => h('span', { class: 'badge' }, `${t(`report.reason.${r}`)} ${fmtNumber(n)}`));
  const action = h('select', { name: 'action', value: kind === 'user' ? 'ban' : 'hide' },
    ['dismiss', 'hide', 'ban'].filter((a) => !(a === 'hide' && kind === 'user')).map((a) => h('option', { value: a }, t(`reports.action.${a}`))));
  const reason = limit(h('input', { name: 'reason', placeholder: t('reports.reasonPlaceholder') }), 1000);
  const f = form({ class: 'resolve-form' },
    h('div', { class: 'resolve-row' }, field(t('reports.action'), action), field(t('reports.resolveReason'), reason),
      h('button', { type: 'submit', class: 'primary' }, t('reports.resolve'))));
  f.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!reports.length) return;
    if (action.value === 'ban' && !window.confirm(t('reports.confirmBan'))) return;
    submitting(f, async () => {
      await pb.send(`/api/reports/${encodeURIComponent(reports[0].id)}/resolve`, { method: 'POST', body: { action: action.value, reason: reason.value.trim() } });
      await onResolved(t(`reports.done.${action.value}`, { n: fmtNumber(reports.length) }));
    });
  });
  return h('li', { class: 'card report-item', dataset: { target: item.target_id, kind } },
    h('p', { class: 'meta' },
      h('strong', {}, t(`reports.kind.${kind}`)),
      h('span', {}, item.reporters ? t('reports.count', { n: fmtNumber(item.reports), people: fmtNumber(item.reporters) }) : t('reports.countOnly', { n: fmtNumber(item.reports) })),
      item.from_ai ? h('span', { class: 'badge warn' }, 'AI') : null,
      reasons,
      h('span', {}, t('reports.latest'), ' ', time(item.latest))),
    targetView(kind, record, item.deleted),
    h('h3', { class: 'small' }, t('reports.who', { n: fmtNumber(reports.length) })),
    h('ul', { class: 'plain report-lines' }, reports.map((r) => h('li', {},
      r.reporter ? userLink(r.expand?.reporter) : h('strong', { class: 'ai-label' }, aiText(r)),
      ' · ', t(`report.reason.${r.reason}`), ' · ', time(r.created),
      r.text ? h('p', { class: 'report-excerpt' }, r.text) : null))),
    f);
}

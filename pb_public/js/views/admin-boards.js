// Admin: create, edit and delete boards (hidden ones included); live.
import { pb, signedOut } from '../pb.js';
import { t, fmtNumber } from '../i18n.js';
import { h, form, field, submitting, errorMessage, notice, replace, append, debounce, reconcile } from '../ui.js';
import { adminHeader, rememberOpen } from './admin-nav.js';

export default async function render({ root, title, signal, onCleanup }) {
  title(t('admin.boards'));
  const list = h('div', { class: 'board-admin-list' });
  const status = h('div', { 'aria-live': 'polite' });
  const saved = async () => { replace(status, notice('success', t('common.saved'))); await load(); };
  append(root, ...adminHeader('#/admin/boards', t('admin.boards')), status,
    h('section', { class: 'card', 'aria-labelledby': 'newboard-h' },
      h('h2', { id: 'newboard-h' }, t('admin.newBoard')),
      boardForm(null, saved)),
    list);
  const open = new Set();

  async function remove(b) {
    if (!window.confirm(t('admin.confirmDeleteBoard', { name: b.name }))) return;
    try {
      await pb.collection('boards').delete(b.id);
      replace(status, notice('success', t('admin.boardDeleted', { name: b.name })));
      await load();
    } catch (err) {
      if (!signedOut(err)) replace(status, notice('error', errorMessage(err)));
    }
  }

  async function load() {
    const boards = await pb.collection('boards').getFullList({ sort: 'name' });
    if (signal.aborted) return;
    rememberOpen(list, 'board', open);
    // unchanged boards keep their card, so a live update does not wipe a form
    // being filled; posts_count changes by SQL (no new `updated`) and is set in place
    list.querySelector(':scope > p.muted')?.remove();
    reconcile(list, boards.map((b) => [`${b.id}:${b.updated}`, () => boardCard(b, open, saved, remove)]));
    for (const b of boards) {
      const n = list.querySelector(`details[data-board="${CSS.escape(b.id)}"] .posts-count`);
      if (n) n.textContent = t('boards.posts', { n: fmtNumber(b.posts_count || 0) });
    }
    if (!boards.length) list.append(h('p', { class: 'muted' }, t('boards.empty')));
  }
  await load();

  // boards made, edited or deleted elsewhere (another admin, the dashboard),
  // and posts_count changes, which the server sends as board updates
  const reload = debounce(() => { if (!signal.aborted) load().catch(() => {}); }, 300);
  pb.collection('boards').subscribe('*', reload).then((unsub) => onCleanup(unsub), () => {});
}

function boardCard(b, open, onSaved, onDelete) {
  return h('details', { class: 'card', dataset: { board: b.id }, open: open.has(b.id) },
    h('summary', {}, h('strong', {}, b.name), ' ',
      h('span', { class: 'badge' }, t(`read.${b.read}`)), h('span', { class: 'badge' }, t(`write.${b.write}`)),
      b.is_visible ? null : h('span', { class: 'badge warn' }, t('common.hidden')),
      h('span', { class: 'muted posts-count' }, t('boards.posts', { n: fmtNumber(b.posts_count || 0) }))),
    boardForm(b, onSaved),
    h('div', { class: 'actions' },
      h('a', { href: `#/boards/${b.id}` }, t('admin.openBoard')),
      h('button', { type: 'button', class: 'danger', onclick: () => onDelete(b) }, t('admin.deleteBoard'))));
}

function boardForm(board, onSaved) {
  const name = h('input', { name: 'name', required: true, maxlength: 128, value: board?.name || '' });
  const information = h('textarea', { name: 'information', rows: 2, maxlength: 512, value: board?.information || '' });
  const read = h('select', { name: 'read', value: board?.read || 'public' },
    ['public', 'members', 'granted'].map((v) => h('option', { value: v }, t(`read.${v}`))));
  const write = h('select', { name: 'write', value: board?.write || 'members' },
    ['members', 'granted', 'admins'].map((v) => h('option', { value: v }, t(`write.${v}`))));
  const visible = h('input', { type: 'checkbox', name: 'is_visible', checked: board ? !!board.is_visible : true });
  const f = form({ class: 'board-form' },
    field(t('admin.boardName'), name),
    field(t('admin.boardInfo'), information),
    field(t('admin.readLevel'), read),
    field(t('admin.writeLevel'), write),
    h('div', { class: 'field' }, h('label', { class: 'check' }, visible, ' ', t('admin.visible'))),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, board ? t('common.save') : t('admin.createBoard'))));
  f.addEventListener('submit', (e) => {
    e.preventDefault();
    submitting(f, async () => {
      const body = { name: name.value.trim(), information: information.value, read: read.value, write: write.value, is_visible: visible.checked };
      if (board) await pb.collection('boards').update(board.id, body);
      else {
        await pb.collection('boards').create(body);
        f.reset();
      }
      await onSaved();
    });
  });
  return f;
}

// Admin: create, edit and delete boards (hidden ones included).
import { pb, signedOut } from '../pb.js';
import { t } from '../i18n.js';
import { h, form, field, submitting, errorMessage, notice, replace, append } from '../ui.js';
import { adminHeader } from './admin-nav.js';

export default async function render({ root, title, signal }) {
  title(t('admin.boards'));
  const list = h('div', { class: 'board-admin-list' });
  const status = h('div', { 'aria-live': 'polite' });
  append(root, ...adminHeader('#/admin/boards', t('admin.boards')), status,
    h('section', { class: 'card', 'aria-labelledby': 'newboard-h' },
      h('h2', { id: 'newboard-h' }, t('admin.newBoard')),
      boardForm(null, async () => { replace(status, notice('success', t('common.saved'))); await load(); })),
    list);

  async function load() {
    const boards = await pb.collection('boards').getFullList({ sort: 'name' });
    if (signal.aborted) return;
    list.replaceChildren(...boards.map((b) => h('details', { class: 'card', dataset: { board: b.id } },
      h('summary', {}, h('strong', {}, b.name), ' ',
        h('span', { class: 'badge' }, t(`read.${b.read}`)), h('span', { class: 'badge' }, t(`write.${b.write}`)),
        b.is_visible ? null : h('span', { class: 'badge warn' }, t('common.hidden')),
        h('span', { class: 'muted' }, t('boards.posts', { n: b.posts_count || 0 }))),
      boardForm(b, async () => { replace(status, notice('success', t('common.saved'))); await load(); }),
      h('div', { class: 'actions' },
        h('a', { href: `#/boards/${b.id}` }, t('admin.openBoard')),
        h('button', { type: 'button', class: 'danger', onclick: async () => {
          if (!window.confirm(t('admin.confirmDeleteBoard', { name: b.name }))) return;
          try {
            await pb.collection('boards').delete(b.id);
            replace(status, notice('success', t('admin.boardDeleted', { name: b.name })));
            await load();
          } catch (err) {
            if (!signedOut(err)) replace(status, notice('error', errorMessage(err)));
          }
        } }, t('admin.deleteBoard'))))));
  }
  await load();
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

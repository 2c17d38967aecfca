// Admin: create, edit and delete boards (hidden ones included); live.
import { pb, signedOut } from '../pb.js';
import { t, fmtNumber } from '../i18n.js';
import { h, limit, form, field, submitting, errorMessage, notice, replace, append, debounce, reconcile } from '../ui.js';
import { adminHeader, rememberOpen } from './admin-nav.js';

/** @typedef {import('../madang-types').BoardsRecord} BoardsRecord */

// ready text classifiers a board may use as its moderation assist
/** @type {Array<Pick<import('../madang-types').AisRecord, 'id' | 'name'>>} (fields id, name) */
let classifiers = [];

/** @param {import('../router.js').ViewContext} ctx */
export default async function render({ root, title, signal, onCleanup }) {
  title(t('admin.boards'));
  classifiers = await pb.collection('ais').getFullList({ filter: 'kind = "text_classifier" && status = "ready"', sort: 'name', fields: 'id,name' });
  const list = h('div', { class: 'board-admin-list' });
  const status = h('div', { 'aria-live': 'polite' });
  const saved = async () => { replace(status, notice('success', t('common.saved'))); await load(); };
  append(root, ...adminHeader('#/admin/boards', t('admin.boards')), status,
    h('section', { class: 'card', 'aria-labelledby': 'newboard-h' },
      h('h2', { id: 'newboard-h' }, t('admin.newBoard')),
      boardForm(null, saved)),
    list);
  const open = new Set();

  /** @param {BoardsRecord} b */
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

/**
 * @param {BoardsRecord} b
 * @param {Set<string>} open
 * @param {() => Promise<void>} onSaved
 * @param {(b: BoardsRecord) => Promise<void>} onDelete
 */
function boardCard(b, open, onSaved, onDelete) {
  return h('details', { class: 'card', dataset: { board: b.id }, open: open.has(b.id) },
    h('summary', {}, h('strong', {}, b.name), ' ',
      h('span', { class: 'badge' }, t(`read.${b.read}`)), h('span', { class: 'badge' }, t(`write.${b.write}`)),
      b.is_visible ? null : h('span', { class: 'badge warn' }, t('common.hidden')),
      b.anonymous ? h('span', { class: 'badge' }, t('boardopt.anonymousBadge')) : null,
      h('span', { class: 'muted posts-count' }, t('boards.posts', { n: fmtNumber(b.posts_count || 0) }))),
    boardForm(b, onSaved),
    categoriesEditor(b),
    h('div', { class: 'actions' },
      h('a', { href: `#/boards/${b.id}` }, t('admin.openBoard')),
      h('button', { type: 'button', class: 'danger', onclick: () => onDelete(b) }, t('admin.deleteBoard'))));
}

/** @param {BoardsRecord | null} board null for a new one @param {() => Promise<void>} onSaved */
function boardForm(board, onSaved) {
  const name = limit(h('input', { name: 'name', required: true, value: board?.name || '' }), 128);
  const information = limit(h('textarea', { name: 'information', rows: 2, value: board?.information || '' }), 512);
  const read = h('select', { name: 'read', value: board?.read || 'public' },
    ['public', 'members', 'granted'].map((v) => h('option', { value: v }, t(`read.${v}`))));
  const write = h('select', { name: 'write', value: board?.write || 'members' },
    ['members', 'granted', 'admins'].map((v) => h('option', { value: v }, t(`write.${v}`))));
  const visible = h('input', { type: 'checkbox', name: 'is_visible', checked: board ? !!board.is_visible : true });
  const anonymous = h('input', { type: 'checkbox', name: 'anonymous', checked: !!board?.anonymous });
  const categoryRequired = h('input', { type: 'checkbox', name: 'category_required', checked: !!board?.category_required });
  const autoHide = h('input', { type: 'number', name: 'auto_hide_reports', min: 0, step: 1, value: String(board?.auto_hide_reports || 0) });
  const ai = h('select', { name: 'moderation_ai', value: board?.moderation_ai || '' },
    h('option', { value: '' }, t('boardopt.aiNone')),
    classifiers.map((m) => h('option', { value: m.id }, m.name)),
    // a model that is no longer ready stays selectable until changed
    board?.moderation_ai && !classifiers.some((m) => m.id === board.moderation_ai) ? h('option', { value: board.moderation_ai }, board.moderation_ai) : null);
  const threshold = h('input', { type: 'number', name: 'moderation_threshold', min: 0, max: 1, step: 0.01, value: String(board?.moderation_threshold ?? 0.9) });
  const f = form({ class: 'board-form' },
    field(t('admin.boardName'), name),
    field(t('admin.boardInfo'), information),
    field(t('admin.readLevel'), read),
    field(t('admin.writeLevel'), write),
    h('div', { class: 'field' }, h('label', { class: 'check' }, visible, ' ', t('admin.visible'))),
    h('div', { class: 'field' }, h('label', { class: 'check' }, anonymous, ' ', t('boardopt.anonymous'))),
    h('div', { class: 'field' }, h('label', { class: 'check' }, categoryRequired, ' ', t('boardopt.categoryRequired'))),
    field(t('boardopt.autoHide'), autoHide, t('boardopt.autoHideHint')),
    field(t('boardopt.ai'), ai, classifiers.length ? t('boardopt.aiHint') : t('boardopt.aiNoModels')),
    field(t('boardopt.threshold'), threshold, t('boardopt.thresholdHint')),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, board ? t('common.save') : t('admin.createBoard'))));
  f.addEventListener('submit', (e) => {
    e.preventDefault();
    submitting(f, async () => {
      const body = {
        name: name.value.trim(), information: information.value, read: read.value, write: write.value, is_visible: visible.checked,
        anonymous: anonymous.checked, category_required: categoryRequired.checked,
        auto_hide_reports: Number(autoHide.value) || 0, moderation_ai: ai.value, moderation_threshold: Number(threshold.value) || 0,
      };
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

/**
 * A board's categories (말머리): rename and reorder (by `sort`, smallest
 * first) in place, add and delete. Posts keep working without one unless
 * the board requires it.
 * @param {BoardsRecord} board
 */
function categoriesEditor(board) {
  const list = h('ul', { class: 'plain category-admin' });
  const status = h('div', { 'aria-live': 'polite' });
  const box = h('section', { class: 'categories-editor', 'aria-label': t('cats.title') },
    h('h3', { class: 'small' }, t('cats.title')), status, list);

  /** @param {import('../madang-types').BoardCategoriesRecord} c */
  function row(c) {
    const name = limit(h('input', { name: 'name', required: true, value: c.name, 'aria-label': t('cats.name') }), 32);
    const sort = h('input', { name: 'sort', type: 'number', step: 1, value: String(c.sort || 0), 'aria-label': t('cats.sort'), class: 'sort-input' });
    const f = form({ class: 'category-row', dataset: { category: c.id } },
      h('div', { class: 'inline-fields' }, name, sort,
        h('button', { type: 'submit' }, t('common.save')),
        h('button', { type: 'button', class: 'danger', onclick: remove }, t('common.delete'))));
    f.addEventListener('submit', (e) => {
      e.preventDefault();
      submitting(f, async () => {
        await pb.collection('board_categories').update(c.id, { name: name.value.trim(), sort: Number(sort.value) || 0 });
        replace(status, notice('success', t('cats.saved')));
        await load();
      });
    });
    async function remove() {
      if (!window.confirm(t('cats.confirmDelete', { name: c.name }))) return;
      try {
        await pb.collection('board_categories').delete(c.id);
        replace(status, notice('success', t('cats.deleted', { name: c.name })));
        await load();
      } catch (err) {
        if (!signedOut(err)) replace(status, notice('error', errorMessage(err)));
      }
    }
    return h('li', {}, f);
  }

  const newName = limit(h('input', { name: 'name', required: true, placeholder: t('cats.newPlaceholder'), 'aria-label': t('cats.name') }), 32);
  const addForm = form({ class: 'category-row category-new' },
    h('div', { class: 'inline-fields' }, newName, h('button', { type: 'submit', class: 'primary' }, t('cats.add'))));
  addForm.addEventListener('submit', (e) => {
    e.preventDefault();
    submitting(addForm, async () => {
      const last = await pb.collection('board_categories').getList(1, 1, { filter: pb.filter('board = {:b}', { b: board.id }), sort: '-sort', skipTotal: true });
      await pb.collection('board_categories').create({ board: board.id, name: newName.value.trim(), sort: (last.items[0]?.sort || 0) + 10 });
      addForm.reset();
      replace(status, notice('success', t('cats.saved')));
      await load();
    });
  });
  box.append(addForm);

  async function load() {
    const items = await pb.collection('board_categories').getFullList({ filter: pb.filter('board = {:b}', { b: board.id }), sort: 'sort,name' });
    replace(list, items.length ? items.map(row) : h('li', { class: 'muted' }, t('cats.none')));
  }
  load().catch(() => {});
  return box;
}

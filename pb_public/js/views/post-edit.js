// Write a post (#/boards/{board}/new) or edit one (#/posts/{id}/edit), with
// attachments sent by XMLHttpRequest so the upload shows its progress.
import { pb, me, isAdmin, uploadRecord } from '../pb.js';
import { t } from '../i18n.js';
import { h, limit, field, form, submitting, formatBytes, displayFileName, notice, append } from '../ui.js';
import { navigate } from '../router.js';
import { attachMentions } from '../mentions.js';

const MAX_FILES = 10;
const MAX_BYTES = 20 << 20;

/** @param {import('../router.js').ViewContext} ctx */
export default async function render({ root, params, title, signal }) {
  const editing = params.id ? await pb.collection('posts').getOne(params.id, { expand: 'board' }) : null;
  const board = editing ? editing.expand?.board : await pb.collection('boards').getOne(params.board);
  const heading = editing ? t('edit.editTitle') : t('edit.newTitle', { board: board?.name || '' });
  title(heading);
  if (!editing && !board.can_write) {
    append(root, h('h1', { tabindex: -1 }, heading), notice('error', t('edit.cannotWrite')));
    return;
  }
  // only the writer rewords a post, as on the post page: admins hide, pin
  // and delete others' posts there, but do not edit them
  if (editing && editing.author !== me()?.id) {
    append(root, h('h1', { tabindex: -1 }, heading), notice('error', t('edit.cannotEdit')),
      h('p', {}, h('a', { class: 'button', href: `#/posts/${editing.id}` }, t('edit.backToPost'))));
    return;
  }

  // categories (말머리) of the board; required when the board says so (the server refuses otherwise)
  const categories = await pb.collection('board_categories').getFullList({ filter: pb.filter('board = {:b}', { b: board.id }), sort: 'sort,name' });
  const categorySelect = categories.length ? h('select', { name: 'category', required: !!board.category_required, value: editing?.category || '' },
    h('option', { value: '' }, board.category_required ? t('category.choose') : t('category.none')),
    categories.map((c) => h('option', { value: c.id }, c.name))) : null;
  const titleInput = limit(h('input', { name: 'title', required: true, value: editing?.title || '' }), 200);
  const content = attachMentions(limit(h('textarea', { name: 'content', required: true, rows: 12, value: editing?.content || '' }), 20000));
  const files = h('input', { name: 'attachments', type: 'file', multiple: true });
  const chosen = h('ul', { class: 'files muted', 'aria-live': 'polite' });
  files.addEventListener('change', () => {
    chosen.replaceChildren(...[...files.files].map((f) => h('li', {}, `${f.name} (${formatBytes(f.size)})`)));
  });
  const removals = (editing?.attachments || []).map((name) => h('input', { type: 'checkbox', name: 'attachments-', value: name }));
  const pinned = isAdmin() ? h('input', { type: 'checkbox', name: 'is_pinned', checked: !!editing?.is_pinned }) : null;
  const progress = h('progress', { max: 100, value: 0, hidden: true, 'aria-label': t('edit.uploading') });
  const progressText = h('span', { class: 'muted', 'aria-live': 'polite' });

  const formEl = form({ class: 'card' },
    h('h1', { tabindex: -1 }, heading),
    categorySelect ? field(t('category.field'), categorySelect, board.category_required ? t('category.requiredHint') : null) : null,
    field(t('field.title'), titleInput),
    field(t('field.content'), content, t('edit.contentHint')),
    removals.length ? h('fieldset', { class: 'field' }, h('legend', {}, t('edit.currentFiles')),
      removals.map((box) => h('label', { class: 'check' }, box, ' ', t('edit.removeFile', { name: displayFileName(box.value) })))) : null,
    field(t('edit.addFiles'), files, t('edit.filesHint', { n: MAX_FILES, size: formatBytes(MAX_BYTES) })),
    chosen,
    pinned ? h('label', { class: 'check' }, pinned, ' ', t('edit.pinned')) : null,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, editing ? t('common.save') : t('edit.publish')),
      h('a', { class: 'button', href: editing ? `#/posts/${editing.id}` : `#/boards/${board.id}` }, t('common.cancel')),
      progress, progressText));

  formEl.addEventListener('submit', (e) => {
    e.preventDefault();
    // the count and size the server allows, told here in the page's language
    const count = removals.filter((box) => !box.checked).length + files.files.length;
    const tooBig = [...files.files].find((f) => f.size > MAX_BYTES);
    const problem = count > MAX_FILES ? t('edit.tooManyFiles', { n: MAX_FILES, count })
      : tooBig ? t('edit.fileTooBig', { name: tooBig.name, size: formatBytes(MAX_BYTES) }) : '';
    if (problem) {
      submitting(formEl, async () => {
        throw { status: 400, response: { message: problem, data: {} } };
      });
      return;
    }
    submitting(formEl, async () => {
      const body = new FormData();
      if (!editing) body.append('board', board.id);
      if (categorySelect) body.append('category', categorySelect.value);
      body.append('title', titleInput.value);
      body.append('content', content.value);
      for (const f of files.files) body.append('attachments', f);
      for (const box of removals) if (box.checked) body.append('attachments-', box.value);
      if (pinned) body.append('is_pinned', String(pinned.checked));
      progress.hidden = false;
      progress.value = 0;
      try {
        const saved = await uploadRecord({
          collection: 'posts', id: editing?.id, formData: body,
          onProgress: (ratio) => {
            progress.value = Math.round(ratio * 100);
            progressText.textContent = `${progress.value}%`;
          },
        });
        if (!signal.aborted) navigate(`/posts/${saved.id}`); // not once the writer went elsewhere
      } finally {
        progress.hidden = true;
        progressText.textContent = '';
      }
    });
  });
  append(root, formEl);
  titleInput.focus();
}

// Admin: AI models. Create one, upload its dataset (with progress), train
// it (POST /api/ais/{id}/train) and watch status and metrics arrive live.
import { pb, collectionAvailable, uploadRecord, signedOut } from '../pb.js';
import { t, fmtNumber } from '../i18n.js';
import { h, limit, form, field, submitting, notAvailable, errorMessage, notice, replace, time, debounce, displayFileName, append, reconcile } from '../ui.js';
import { adminHeader, rememberOpen } from './admin-nav.js';
import { jobStatus } from './ai-model.js';

/** @typedef {import('../madang-types').AisRecord} AisRecord */

const KINDS = ['linear_regression', 'text_classifier', 'openai_chat'];
const DEFAULT_OPTIONS = {
  linear_regression: { target: 'y' },
  text_classifier: { text_column: 'text', label_column: 'label' },
  openai_chat: { base_url: 'https://api.openai.com/v1', model: 'gpt-4o-mini', system_prompt: '' },
};

/** @param {import('../router.js').ViewContext} ctx */
export default async function render({ root, title, signal, onCleanup }) {
  title(t('admin.ai'));
  append(root, ...adminHeader('#/admin/ai', t('admin.ai')));
  if (!(await collectionAvailable('ais'))) {
    append(root, notAvailable(t('ai.feature')));
    return;
  }
  const status = h('div', { 'aria-live': 'polite' });
  const list = h('div', { class: 'ai-admin-list' });
  append(root, status,
    h('section', { class: 'card', 'aria-labelledby': 'newai-h' }, h('h2', { id: 'newai-h' }, t('admin.newModel')),
      modelForm(async () => { replace(status, notice('success', t('common.saved'))); await load(); })),
    list);
  const open = new Set();

  async function load() {
    const models = await pb.collection('ais').getFullList({ sort: 'name' });
    if (signal.aborted) return;
    rememberOpen(list, 'model', open);
    // unchanged models keep their card, so a live update does not wipe a form being filled
    list.querySelector(':scope > p.muted')?.remove();
    reconcile(list, models.map((m) => [`${m.id}:${m.updated}`, () => modelCard(m, open, status, load)]));
    if (!models.length) list.append(h('p', { class: 'muted' }, t('ai.noModels')));
  }
  await load();
  const reload = debounce(() => load().catch(() => {}), 300);
  pb.collection('ais').subscribe('*', reload).then((unsub) => onCleanup(unsub), () => {});
}

/** @param {AisRecord['metrics']} metrics */
function metricsView(metrics) {
  const entries = Object.entries(metrics || {}).filter(([, v]) => typeof v === 'number' || typeof v === 'string');
  if (!entries.length) return h('p', { class: 'muted' }, t('admin.noMetrics'));
  return h('dl', { class: 'kv metrics' }, entries.map(([k, v]) => [
    h('dt', {}, k), h('dd', { dataset: { metric: k } }, typeof v === 'number' ? fmtNumber(v, { maximumFractionDigits: 4 }) : v)]));
}

/**
 * @param {AisRecord} m
 * @param {Set<string>} open
 * @param {HTMLElement} status
 * @param {() => Promise<void>} reload
 */
function modelCard(m, open, status, reload) {
  const card = h('details', { class: 'card', dataset: { model: m.id }, open: open.has(m.id) },
    h('summary', {}, h('strong', {}, m.name), ' ', h('span', { class: 'badge' }, t(`kind.${m.kind}`)), ' ', jobStatus({ status: m.status }),
      m.is_visible ? null : h('span', { class: 'badge warn' }, t('common.hidden'))));
  append(card, 
    m.description ? h('p', {}, m.description) : null,
    m.error ? notice('error', m.error) : null,
    h('h3', {}, t('admin.metrics')), metricsView(m.metrics),
    m.trained_at ? h('p', { class: 'muted' }, t('admin.trainedAt'), ' ', time(m.trained_at)) : null);

  // dataset upload, with progress
  const file = h('input', { type: 'file', name: 'dataset', accept: '.csv,text/csv' });
  const progress = h('progress', { max: 100, value: 0, hidden: true, 'aria-label': t('edit.uploading') });
  const upload = form({ class: 'dataset' },
    field(t('admin.dataset'), file, m.dataset ? t('admin.currentDataset', { name: displayFileName(m.dataset) }) : t('admin.noDataset')),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('admin.upload')), progress));
  upload.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!file.files[0]) return;
    submitting(upload, async () => {
      const body = new FormData();
      body.append('dataset', file.files[0]);
      progress.hidden = false;
      try {
        await uploadRecord({ collection: 'ais', id: m.id, formData: body, onProgress: (r) => { progress.value = Math.round(r * 100); } });
      } finally {
        progress.hidden = true;
      }
      replace(status, notice('success', t('admin.uploaded')));
      await reload();
    });
  });

  const train = h('button', { type: 'button', class: 'primary', disabled: m.status === 'training' }, t('admin.train'));
  const trainError = h('div', { role: 'alert' });
  train.addEventListener('click', async () => {
    train.disabled = true;
    trainError.replaceChildren();
    try {
      await pb.send(`/api/ais/${encodeURIComponent(m.id)}/train`, { method: 'POST' });
      replace(status, notice('info', t('admin.training', { name: m.name })));
      await reload();
    } catch (err) {
      train.disabled = false;
      if (signedOut(err)) return;
      // the model was just listed, so a 404 means the server has no training route yet
      replace(trainError, notice('error', err?.status === 404 ? t('unavailable.text', { what: t('admin.train') }) : errorMessage(err)));
    }
  });
  append(card, m.kind === 'openai_chat' ? null : upload, h('div', { class: 'actions' }, train), trainError,
    h('details', {}, h('summary', {}, t('common.edit')), modelForm(reload, m)));
  return card;
}

// Each kind's options as form fields; anything else (timeout_seconds,
// max_tokens, temperature…) stays in the "advanced" JSON, merged under them.
const OPTION_FIELDS = {
  linear_regression: [
    { key: 'target', label: () => t('admin.optTarget'), hint: () => t('admin.optTargetHint') },
  ],
  text_classifier: [
    { key: 'text_column', label: () => t('admin.optTextColumn') },
    { key: 'label_column', label: () => t('admin.optLabelColumn') },
  ],
  openai_chat: [
    { key: 'base_url', label: () => t('admin.optBaseURL'), hint: () => t('admin.optBaseURLHint'), type: 'url' },
    { key: 'model', label: () => t('admin.optModel') },
    { key: 'system_prompt', label: () => t('admin.optSystemPrompt'), textarea: true },
  ],
};

/** @param {() => Promise<void>} onSaved @param {AisRecord | null} [model] null for a new one */
function modelForm(onSaved, model = null) {
  const name = limit(h('input', { name: 'name', required: true, value: model?.name || '' }), 64);
  const description = limit(h('input', { name: 'description', value: model?.description || '' }), 256);
  const kind = h('select', { name: 'kind', value: model?.kind || 'linear_regression', disabled: !!model },
    KINDS.map((k) => h('option', { value: k }, t(`kind.${k}`))));
  const current = model?.options || {};
  // one fieldset per kind; only the chosen kind's is shown and read
  const sets = Object.fromEntries(KINDS.map((k) => {
    const start = model ? current : DEFAULT_OPTIONS[k];
    const inputs = OPTION_FIELDS[k].map((o) => {
      const attrs = { name: `opt:${o.key}`, value: String(start[o.key] ?? '') };
      return [o, o.textarea ? h('textarea', { ...attrs, rows: 3 }) : h('input', { ...attrs, type: o.type || 'text' })];
    });
    const set = h('fieldset', { class: 'field options', dataset: { kind: k } }, h('legend', {}, t('admin.optionsFor', { kind: t(`kind.${k}`) })),
      inputs.map(([o, input]) => field(o.label(), input, o.hint ? o.hint() : null)));
    return [k, { set, inputs }];
  }));
  const managed = new Set(OPTION_FIELDS[kind.value].map((o) => o.key));
  const rest = Object.fromEntries(Object.entries(current).filter(([k]) => !managed.has(k)));
  const options = h('textarea', { name: 'options', rows: 3, value: Object.keys(rest).length ? JSON.stringify(rest, null, 1) : '' });
  const showKind = () => { for (const [k, { set }] of Object.entries(sets)) set.hidden = k !== kind.value; };
  kind.addEventListener('change', showKind);
  showKind();
  const visible = h('input', { type: 'checkbox', name: 'is_visible', checked: model ? !!model.is_visible : true });
  const f = form({ class: 'model-form' },
    field(t('admin.modelName'), name),
    field(t('ai.description'), description),
    field(t('admin.kind'), kind),
    Object.values(sets).map(({ set }) => set),
    h('details', { class: 'advanced' }, h('summary', {}, t('admin.advancedOptions')),
      field(t('admin.options'), options, t('admin.optionsHint'))),
    h('div', { class: 'field' }, h('label', { class: 'check' }, visible, ' ', t('admin.visible'))),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, model ? t('common.save') : t('admin.createModel'))));
  f.addEventListener('submit', (e) => {
    e.preventDefault();
    submitting(f, async () => {
      let opts;
      try {
        opts = options.value.trim() ? JSON.parse(options.value) : {};
        if (!opts || typeof opts !== 'object' || Array.isArray(opts)) throw new Error('not an object');
      } catch {
        f.querySelector('details.advanced').open = true;
        throw { status: 400, response: { message: t('admin.badJson'), data: { options: { code: 'invalid_json', message: t('admin.badJson') } } } };
      }
      for (const [o, input] of sets[kind.value].inputs) {
        const value = input.value.trim();
        if (value) opts[o.key] = o.textarea ? input.value : value;
        else delete opts[o.key];
      }
      const body = { name: name.value.trim(), description: description.value, options: opts, is_visible: visible.checked };
      if (model) await pb.collection('ais').update(model.id, body);
      else {
        await pb.collection('ais').create({ ...body, kind: kind.value });
        f.reset();
        showKind();
      }
      await onSaved();
    });
  });
  return f;
}

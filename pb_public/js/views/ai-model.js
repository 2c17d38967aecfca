// One AI model: an input form for its kind, POST /api/ais/{id}/infer, and
// the job's status and result arriving live (openai_chat text streams in).
import { pb, collectionAvailable, signedOut } from '../pb.js';
import { t, fmtNumber } from '../i18n.js';
import { h, limit, form, field, submitting, notAvailable, notice, replace, errorMessage, append } from '../ui.js';

/** @typedef {import('../madang-types').AisRecord} AisRecord */
/** @typedef {import('../madang-types').AiLogsRecord} AiLogsRecord */

/** What a member gives each kind of model and what comes back, in their language. */
const EXPLAIN = {
  linear_regression: () => t('ai.explainLinear'),
  text_classifier: () => t('ai.explainClassifier'),
  openai_chat: () => t('ai.explainChat'),
};

const FINISHED = new Set(['succeeded', 'failed', 'canceled']);

const IDLE = new Set(['succeeded', 'failed', 'canceled', 'draft', 'ready']);

/**
 * A job's or a model's status; a spinner while it is working.
 * @param {{status: AiLogsRecord['status'] | AisRecord['status']}} job
 */
export function jobStatus(job) {
  const status = job.status || 'draft';
  return h('span', { class: `status status-${status}`, dataset: { status } },
    IDLE.has(status) ? null : h('span', { class: 'spinner', 'aria-hidden': 'true' }),
    t(`jobStatus.${status}`));
}

/**
 * The result of a job as text a person reads.
 * @param {AiLogsRecord} job
 * @param {boolean} [short]
 */
export function resultView(job, short = false) {
  if (job.status === 'failed') return h('span', { class: 'inline-error' }, job.error || t('ai.failed'));
  const r = job.result || {};
  let text = '';
  if (typeof r.text === 'string') {
    text = r.text;
  } else if (Array.isArray(r.predictions)) {
    text = r.predictions.map((p) => fmtNumber(p, { maximumFractionDigits: 4 })).join(', ');
  } else if (Array.isArray(r.labels)) {
    // "불만 (신뢰도 97.5%)": the label the model chose and its probability
    text = r.labels.map((label, i) => {
      const p = r.scores?.[i]?.[label];
      return typeof p === 'number'
        ? t('ai.labelResult', { label, p: fmtNumber(p, { style: 'percent', maximumFractionDigits: 1 }) })
        : label;
    }).join(', ');
  } else if (job.result && Object.keys(job.result).length) {
    text = JSON.stringify(job.result);
  }
  if (short && text.length > 120) text = text.slice(0, 117) + '…';
  return h('span', { class: 'result-text' }, text);
}

/** @param {AisRecord} model */
function inputFields(model) {
  switch (model.kind) {
    case 'linear_regression': {
      const names = featureNames(model);
      if (names.length) {
        return {
          fields: names.map((n) => field(n, h('input', { name: `feature:${n}`, type: 'number', step: 'any', required: true, inputmode: 'decimal' }))),
          read: (f) => ({ features: Object.fromEntries(names.map((n) => [n, readNumber(f.elements[`feature:${n}`])])) }),
        };
      }
      return {
        fields: [field(t('ai.features'), h('input', { name: 'input', required: true, placeholder: 'x0=1.5, x1=2' }), t('ai.featuresHint'))],
        read: (f) => ({ features: parseFeatures(f.elements.input.value) }),
      };
    }
    case 'text_classifier':
      return {
        fields: [field(t('ai.text'), h('textarea', { name: 'input', rows: 4, required: true }), t('ai.textHint', { max: fmtNumber(10000) }))],
        read: (f) => ({ text: f.elements.input.value }),
      };
    case 'openai_chat':
      return {
        fields: [field(t('ai.prompt'), h('textarea', { name: 'input', rows: 5, required: true }), t('ai.textHint', { max: fmtNumber(32000) }))],
        read: (f) => ({ prompt: f.elements.input.value }),
      };
    default:
      return {
        fields: [field(t('ai.json'), h('textarea', { name: 'input', rows: 5, required: true, value: '{}' }))],
        read: (f) => JSON.parse(f.elements.input.value),
      };
  }
}

/**
 * The feature names a regression model takes, where the server tells them.
 * @param {AisRecord} model
 */
function featureNames(model) {
  const sources = [model.input_features];
  const found = sources.find((s) => Array.isArray(s) && s.length);
  return found ? found.map(String) : [];
}

/**
 * A number field's value. An empty field is no 0: the form refuses it,
 * naming every empty field at once (the server refuses a missing number too).
 */
function readNumber(input) {
  if (input.value.trim() !== '' && input.validity.valid) return Number(input.value);
  const empty = [...input.form.querySelectorAll('input[type=number]')].filter((el) => el.value.trim() === '' || !el.validity.valid);
  throw {
    status: 400,
    response: {
      message: t('form.fixErrors'),
      data: Object.fromEntries(empty.map((el) => [el.name, { code: 'ai_number_needed', message: t('ai.numberNeeded') }])),
    },
  };
}

function parseFeatures(text) {
  const out = {};
  for (const part of text.split(/[,\n]/)) {
    const [k, v] = part.split(/[=:]/).map((s) => s?.trim());
    if (!k) continue;
    out[k] = Number(v);
  }
  return out;
}

/** @param {import('../router.js').ViewContext} ctx */
export default async function render({ root, params, title, signal, onCleanup }) {
  if (!(await collectionAvailable('ais'))) {
    append(root, h('h1', { tabindex: -1 }, t('ai.title')), notAvailable(t('ai.feature')));
    return;
  }
  const model = await pb.collection('ais').getOne(params.id);
  title(model.name);
  const { fields, read } = inputFields(model);
  const description = limit(h('input', { name: 'description' }), 256);
  const formEl = form({ class: 'card', 'aria-labelledby': 'infer-h' },
    h('h2', { id: 'infer-h' }, t('ai.run')),
    ...fields,
    field(t('ai.description'), description, t('ai.descriptionHint')),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('ai.submit'))));
  const jobBox = h('section', { class: 'card job', 'aria-live': 'polite', 'aria-labelledby': 'job-h', hidden: true });

  append(root, 
    h('p', { class: 'crumbs' }, h('a', { href: '#/ai' }, t('ai.title'))),
    h('h1', { tabindex: -1 }, model.name),
    h('p', { class: 'meta' }, h('span', { class: 'badge' }, t(`kind.${model.kind}`)), model.status !== 'ready' ? jobStatus({ status: model.status }) : null),
    model.description ? h('p', {}, model.description) : null,
    h('p', { class: 'hint ai-explain' }, (EXPLAIN[model.kind] || (() => ''))()),
    model.status === 'ready' ? formEl : notice('info', t('ai.notReady')),
    jobBox);

  let unsubscribe = null;
  /** @type {AiLogsRecord | null} */
  let shown = null;
  const RANK = { queued: 0, running: 1 };
  const rank = (/** @type {AiLogsRecord} */ job) => RANK[job.status] ?? 2;
  /** @param {AiLogsRecord} job */
  function showJob(job) {
    // events and the follow-up read may arrive out of order: never go back,
    // unless the job runs again (attempt grows: a restart interrupted it),
    // whose streamed text starts over
    const rerun = shown && shown.id === job.id && (job.attempt || 0) > (shown.attempt || 0);
    if (!rerun && shown && shown.id === job.id && (rank(job) < rank(shown) || (rank(job) === rank(shown) && job.updated < shown.updated))) return;
    shown = job;
    jobBox.hidden = false;
    const cancel = FINISHED.has(job.status) ? null : h('button', { type: 'button', onclick: () => cancelJob(job) }, t('ai.cancel'));
    replace(jobBox,
      h('h2', { id: 'job-h' }, t('ai.job')),
      h('p', {}, jobStatus(job), ' ', cancel),
      h('div', { class: 'result', dataset: { jobResult: job.id } }, resultView(job)));
  }
  /** @param {AiLogsRecord} job */
  async function cancelJob(job) {
    try {
      showJob(await pb.send(`/api/ai_logs/${encodeURIComponent(job.id)}/cancel`, { method: 'POST' }));
    } catch (err) {
      if (!signedOut(err)) jobBox.append(notice('error', errorMessage(err)));
    }
  }

  formEl.addEventListener('submit', (e) => {
    e.preventDefault();
    submitting(formEl, async () => {
      let input;
      try {
        input = read(formEl);
      } catch (err) {
        if (err?.response) throw err; // field errors, already worded
        throw { status: 400, response: { message: t('ai.badInput'), data: {} } };
      }
      /** @type {import('../madang-types').MadangRoutes['POST /api/ais/{id}/infer']['response']} */
      let job;
      try {
        job = await pb.send(`/api/ais/${encodeURIComponent(model.id)}/infer`, {
          method: 'POST', body: { input, description: description.value },
        });
      } catch (err) {
        // the model was just read, so a 404 means the server has no inference route yet
        if (err?.status === 404) throw { status: 404, response: { message: t('unavailable.text', { what: t('ai.feature') }), data: {} } };
        throw err;
      }
      showJob(job);
      if (unsubscribe) unsubscribe().catch(() => {});
      unsubscribe = null;
      // the job's status and result (and streamed text) arrive as updates of its record
      const unsub = await pb.collection('ai_logs').subscribe(job.id, (ev) => {
        if (!signal.aborted) showJob(ev.record);
      });
      unsubscribe = unsub;
      onCleanup(() => unsub());
      // it may have finished before the subscription started
      const latest = await pb.collection('ai_logs').getOne(job.id);
      if (!signal.aborted) showJob(latest);
    });
  });
}

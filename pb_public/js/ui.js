// Small DOM helpers shared by the views. User content is only ever set as
// text (never innerHTML), so posts, names and chat messages cannot inject markup.
import { signedOut, avatarURL } from './pb.js';
import { t, fmtDate, fmtNumber } from './i18n.js';

/** h('a', {href, class, onclick}, child, …) builds an element. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  let value_;
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'value') {
      value_ = value; // set after the children: a <select> needs its options first
    } else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'checked') {
      el.defaultChecked = true; // what form.reset() goes back to
      el.checked = true;
    } else if (key === 'class') {
      el.className = value;
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (key in el && typeof value !== 'string') {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  if (value_ !== undefined) {
    el.value = value_;
    // form.reset() goes back to the default, so the given value is the default too
    if ('defaultValue' in el) el.defaultValue = value_;
  }
  return el;
}

export function append(el, ...children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

let fieldSeq = 0;

/** A labelled form field; `input` is an element made with h(). */
export function field(label, input, hint) {
  if (!input.id) input.id = `f-${input.name || 'x'}-${++fieldSeq}`;
  const hintEl = hint ? h('p', { class: 'hint', id: `${input.id}-hint` }, hint) : null;
  if (hintEl) input.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field', dataset: { field: input.name || '' } },
    h('label', { for: input.id }, label), input, hintEl);
}

/** A form with a place for its overall error, under its heading if it starts with one. */
export function form(attrs, ...children) {
  const items = children.flat().filter((c) => c !== null && c !== undefined && c !== false);
  const lead = items[0] instanceof Element && /^H[1-3]$/.test(items[0].tagName) ? [items.shift()] : [];
  return h('form', { novalidate: true, ...attrs },
    ...lead, h('div', { class: 'form-error', role: 'alert', hidden: true }), ...items);
}

/** The localized sentence for a PocketBase field error. */
function fieldMessage(err) {
  const key = `err.${err.code}`;
  // PocketBase names limits in the English message only ("at least 8 characters")
  const n = /\d+/.exec(err.message || '')?.[0];
  const text = t(key, { min: n, max: n, ...(err.params || {}) });
  return text === key || /\{\w+\}/.test(text) ? err.message : text;
}

/** The error data of a failed SDK/XHR request: {field: {code, message}}. */
function errorData(err) {
  const data = err?.response?.data ?? err?.data?.data ?? {};
  return data && typeof data === 'object' ? data : {};
}

/**
 * A sentence for a failed request as a whole; `marked` when the form shows
 * the request's field errors (else a bare "Failed to …" names nothing to fix).
 */
export function errorMessage(err, marked = false) {
  if (!err) return '';
  if (err.status === 0) return t('error.network');
  // PocketBase's rate limits say "Too Many Requests."; Madang's own 429s
  // say what was refused and for how long (wrong old passwords, connections)
  if (err.status === 429) {
    const said = err.response?.message || '';
    return said && !/^Too Many Requests\.?$/i.test(said) ? said : t('error.tooMany');
  }
  if (err.status === 404) return err.response?.message && !/wasn't found|Missing collection/i.test(err.response.message) ? err.response.message : t('error.notFound');
  if (err.status === 413) return t('error.tooLarge');
  const message = err?.response?.message || err?.message || '';
  if (err.status === 403) return message || t('error.forbidden');
  if (message && !/^(ClientResponseError|Something went wrong|Failed to |An error occurred while validating)/.test(message)) {
    return message;
  }
  return t(marked ? 'error.generic' : 'error.failed');
}

/**
 * Shows a failed request's errors on a form: each field error next to the
 * field it names, the rest (and the overall message) at the top.
 */
export function showErrors(formEl, err) {
  clearErrors(formEl);
  const data = errorData(err);
  const general = [];
  /** the messages shown next to their fields */
  const placed = new Set();
  for (const [name, value] of Object.entries(data)) {
    if (!value || typeof value !== 'object' || !value.message) continue;
    const input = formEl.querySelector(`[name="${CSS.escape(name)}"]`);
    const box = input?.closest('.field');
    if (!box) {
      general.push(fieldMessage(value));
      continue;
    }
    placed.add(value.message);
    const msg = h('p', { class: 'field-error', id: `${input.id}-error` }, fieldMessage(value));
    box.append(msg);
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', [input.getAttribute('aria-describedby'), msg.id].filter(Boolean).join(' '));
  }
  const top = formEl.querySelector('.form-error');
  if (top) {
    const marked = general.length > 0 || !!formEl.querySelector('[aria-invalid="true"]');
    // a route that names one field says the same sentence overall (the AI
    // routes do): once, next to the field, is enough
    const overall = placed.has(err?.response?.message) ? t('error.generic') : errorMessage(err, marked);
    replace(top, overall, general.length ? h('ul', {}, general.map((g) => h('li', {}, g))) : null);
    top.hidden = false;
  }
  // the first invalid field in the form's order (the server names them alphabetically)
  const first = formEl.querySelector('[aria-invalid="true"]');
  (first || top)?.focus?.();
}

export function clearErrors(formEl) {
  formEl.querySelectorAll('.field-error').forEach((el) => el.remove());
  formEl.querySelectorAll('[aria-invalid]').forEach((el) => {
    el.removeAttribute('aria-invalid');
    const rest = (el.getAttribute('aria-describedby') || '').split(' ').filter((id) => id && !id.endsWith('-error'));
    if (rest.length) el.setAttribute('aria-describedby', rest.join(' '));
    else el.removeAttribute('aria-describedby');
  });
  const top = formEl.querySelector('.form-error');
  if (top) {
    top.hidden = true;
    top.replaceChildren();
  }
}

/** The forms whose submit is under way. */
const inFlight = new WeakSet();

/**
 * Runs a form submit: disables the button, shows errors, returns the
 * result. One at a time per form: a submit while one is under way (Enter
 * again: requestSubmit() fires even with the button disabled) does nothing
 * and returns undefined.
 */
export async function submitting(formEl, work) {
  if (inFlight.has(formEl)) return undefined;
  inFlight.add(formEl);
  const buttons = formEl.querySelectorAll('button[type=submit]');
  buttons.forEach((b) => { b.disabled = true; b.setAttribute('aria-busy', 'true'); });
  clearErrors(formEl);
  try {
    return await work();
  } catch (err) {
    if (!signedOut(err)) showErrors(formEl, err);
    return undefined;
  } finally {
    inFlight.delete(formEl);
    buttons.forEach((b) => { b.disabled = false; b.removeAttribute('aria-busy'); });
  }
}

/** The characters of text as the server counts them: code points, not UTF-16 units. */
export function charCount(text) {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** Each limited box's recount, for a value set by code (clearSent). */
const recounts = new WeakMap();

/**
 * Limits a text box to max characters as the server counts them (code
 * points). From nine tenths of max a counter under the box says how many
 * are used; past max it says how many to remove, in the error colour, and
 * the server's refusal names the field if sent anyway. Nothing is cut.
 * It replaces the maxlength attribute, which counted UTF-16 units (an
 * emoji is two: a title of 120 emoji stopped at 100 of the server's 200)
 * and cut pasted text at the limit without a word (until 2026-12-08).
 * @template {HTMLInputElement | HTMLTextAreaElement} E
 * @param {E} el
 * @param {number} max
 * @returns {E}
 */
export function limit(el, max) {
  const counter = h('p', { class: 'hint char-count', hidden: true });
  let watchingReset = false;
  const update = () => {
    const n = charCount(el.value);
    counter.hidden = n < max * 0.9;
    counter.classList.toggle('over', n > max);
    counter.textContent = n > max
      ? t('form.charCountOver', { n: fmtNumber(n), max: fmtNumber(max), over: fmtNumber(n - max) })
      : t('form.charCount', { n: fmtNumber(n), max: fmtNumber(max) });
    if (counter.hidden) return;
    if (!counter.isConnected) {
      el.after(counter);
      if (!counter.id) counter.id = `${el.id || `f-${el.name || 'x'}-${++fieldSeq}`}-count`;
      el.setAttribute('aria-describedby', [el.getAttribute('aria-describedby'), counter.id].filter(Boolean).join(' '));
    }
    if (!watchingReset && el.form) {
      watchingReset = true;
      el.form.addEventListener('reset', () => setTimeout(update)); // the values change after the event
    }
  };
  el.addEventListener('input', update);
  el.addEventListener('focus', update);
  recounts.set(el, update);
  return el;
}

/**
 * Takes the text sent out of a box once it is saved, keeping what was typed
 * since (the box stays editable while it sends; until 2026-12-07 the next
 * message typed meanwhile was erased).
 * @param {HTMLInputElement | HTMLTextAreaElement} box
 * @param {string} sent
 */
export function clearSent(box, sent) {
  if (box.value === sent) box.value = '';
  else if (box.value.startsWith(sent)) box.value = box.value.slice(sent.length).trimStart();
  recounts.get(box)?.();
}

export function notice(kind, ...children) {
  return h('div', { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, ...children);
}

/** The friendly page for a backend piece that is not there yet. */
export function notAvailable(what) {
  return h('section', { class: 'card not-available', role: 'status' },
    h('h2', {}, t('unavailable.title')),
    h('p', {}, t('unavailable.text', { what })),
    h('p', {}, h('a', { href: '#/' }, t('nav.boards'))));
}

export function loading() {
  return h('p', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), t('common.loading'));
}

export function time(date) {
  if (!date) return '';
  return h('time', { datetime: new Date(date.replace(' ', 'T')).toISOString() }, fmtDate(date));
}

/** @param {{name?: string} | null | undefined} user */
export function userName(user) {
  return user?.name || t('common.unknownUser');
}

/**
 * A user's small round avatar (the avatar's thumbnail), or the first letter
 * of their name on a neutral disc when they have none. Decorative: the name
 * is always written next to it.
 * @param {Partial<import('./madang-types').UsersRecord> | null | undefined} user a user, or {name} alone (an anonymous board's label)
 * @param {string} [size]
 */
export function avatar(user, size = 'small') {
  const url = avatarURL(user, size === 'small' ? '64x64' : '160x160');
  if (!url) return letterAvatar(user, size);
  const img = h('img', { class: `avatar avatar-${size}`, src: url, alt: '', loading: 'lazy', 'aria-hidden': 'true' });
  // a picture that does not load (gone, or no image) shows the letter, not an empty circle
  img.addEventListener('error', () => img.replaceWith(letterAvatar(user, size)), { once: true });
  return img;
}

/**
 * The first letter of the user's name in the avatar's circle.
 * @param {{name?: string} | null | undefined} user
 * @param {string} size
 */
function letterAvatar(user, size) {
  const letter = [...(user?.name || '?')][0].toUpperCase();
  return h('span', { class: `avatar avatar-${size} avatar-letter`, 'aria-hidden': 'true' }, letter);
}

export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** Calls fn at most once per `ms`, on the trailing edge. */
export function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** A row of tabs (links) with the current one marked. */
export function tabs(label, items, current) {
  return h('nav', { class: 'tabs', 'aria-label': label },
    items.map(([href, text]) => h('a', { href, 'aria-current': href === current ? 'page' : false }, text)));
}

/**
 * The writer's file name, as the server stored it (letters of any script kept, other
 * characters as `_`), without the random suffix before the extension (`.pdf`, `.tar.gz`).
 */
export function displayFileName(name) {
  return name.replace(/_[a-z0-9]{10}((?:\.[^.]+)*)$/, '$1');
}

// Icons as inline SVG paths (24×24), so no icon font or emoji font is needed.
const ICONS = {
  views: 'M12 5C6.5 5 2.7 9.1 1.5 12c1.2 2.9 5 7 10.5 7s9.3-4.1 10.5-7C21.3 9.1 17.5 5 12 5zm0 11a4 4 0 1 1 0-8 4 4 0 0 1 0 8z',
  likes: 'M12 21s-7.5-4.6-9.6-9.3C.9 8.2 3.1 4.5 6.7 4.5c2.1 0 3.6 1.1 5.3 3 1.7-1.9 3.2-3 5.3-3 3.6 0 5.8 3.7 4.3 7.2C19.5 16.4 12 21 12 21z',
  comments: 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z',
  clip: 'M16.5 6.5 8.6 14.4a1.5 1.5 0 0 0 2.1 2.1l7.9-7.9a3 3 0 0 0-4.2-4.2l-8 8a4.5 4.5 0 0 0 6.4 6.4l7.2-7.2',
};

/** A decorative icon (hidden from screen readers). */
export function icon(name) {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', `icon icon-${name}`);
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', ICONS[name]);
  svg.append(path);
  return svg;
}

/** A counter shown as an icon and a number, read out as "label n". */
export function count(iconName, label, n, attrs = {}) {
  return h('span', { class: 'count', title: label, ...attrs },
    icon(iconName), ' ',
    h('span', { class: 'sr-only' }, label, ' '),
    h('span', { class: 'n' }, String(n ?? 0)));
}

/**
 * The end date and reason of a ban refusal, from the error data the server
 * sends with it: data.banned = {code: 'account_banned', params: {until,
 * reason}} (until '' for a permanent ban); null if the error is no ban.
 * @param {string} message
 * @param {{banned?: {code?: string, params?: {until?: unknown, reason?: unknown}}}} [data]
 */
function banOf(message, data = {}) {
  const ban = data?.banned;
  if (ban?.code !== 'account_banned') return null;
  const plain = (v) => (typeof v === 'string' ? v : '');
  return { until: plain(ban.params?.until), reason: plain(ban.params?.reason) };
}

/** A ban refusal told in the user's language, or '' if message is no ban. */
export function banText(message, data) {
  const ban = banOf(message, data);
  if (!ban) return '';
  const until = ban.until ? t('signin.bannedUntil', { date: fmtDate(ban.until) }) : t('signin.bannedForever');
  return until + (ban.reason ? ' ' + t('signin.banReason', { reason: ban.reason }) : '');
}

/** Makes container's keyed children match items ([key, make]), reusing nodes. */
export function reconcile(container, items) {
  const existing = new Map([...container.children].filter((el) => el.dataset.key).map((el) => [el.dataset.key, el]));
  let cursor = container.firstElementChild;
  for (const [key, make] of items) {
    let el = existing.get(key);
    existing.delete(key);
    if (!el) {
      el = make();
      el.dataset.key = key;
    }
    if (el !== cursor) container.insertBefore(el, cursor);
    else cursor = cursor.nextElementSibling;
  }
  for (const el of existing.values()) el.remove();
}

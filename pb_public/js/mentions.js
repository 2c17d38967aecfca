// @mention autocomplete for a textarea or input: after "@" and at least one
// character of a name, a listbox suggests members whose name starts so
// (GET /api/users/suggest, the server's narrow door to names: the users
// list itself is for admins). Arrow keys move, Enter or Tab inserts
// "@name ", Escape closes; the field keeps focus and points at the
// highlighted option with aria-activedescendant (the combobox pattern).
import { pb, me } from './pb.js';
import { t } from './i18n.js';
import { h, debounce } from './ui.js';

// the server's mention pattern (community/content.go): @ not after a letter, mark, digit
// or _ . @ -, then a name's characters (letters with their marks, digits, _ . -)
const TRIGGER = /(?:^|[^\p{L}\p{M}\p{N}_.@-])@([\p{L}\p{M}\p{N}_.-]{1,64})$/u;
let seq = 0;

/** Adds @mention autocomplete to field (a textarea or text input). */
export function attachMentions(field) {
  const id = `mention-list-${++seq}`;
  const list = h('ul', { class: 'mention-list', id, role: 'listbox', hidden: true, 'aria-label': t('mention.label') });
  const wrap = h('div', { class: 'mention-wrap' });
  const hint = h('span', { class: 'sr-only', 'aria-live': 'polite' });
  field.setAttribute('role', 'combobox');
  field.setAttribute('aria-autocomplete', 'list');
  field.setAttribute('aria-controls', id);
  field.setAttribute('aria-expanded', 'false');

  // placed when the field is in the page (the view may add it later)
  const place = () => {
    if (wrap.isConnected || !field.parentNode) return;
    field.parentNode.insertBefore(wrap, field);
    wrap.append(field, list, hint);
  };
  place();
  queueMicrotask(place);

  let items = [];
  let active = -1;
  let query = null; // {start, end, prefix} of the @word being typed
  let asked = 0;

  function close() {
    list.hidden = true;
    items = [];
    active = -1;
    field.setAttribute('aria-expanded', 'false');
    field.removeAttribute('aria-activedescendant');
  }

  function highlight(i) {
    active = i;
    [...list.children].forEach((li, n) => li.setAttribute('aria-selected', String(n === i)));
    if (i >= 0) {
      field.setAttribute('aria-activedescendant', `${id}-${i}`);
      list.children[i]?.scrollIntoView({ block: 'nearest' });
    } else {
      field.removeAttribute('aria-activedescendant');
    }
  }

  function show(users) {
    items = users;
    list.replaceChildren(...users.map((u, i) => h('li', {
      id: `${id}-${i}`, role: 'option', class: 'mention-option', 'aria-selected': 'false', dataset: { name: u.name },
      // mousedown, not click: the field must not lose focus (and close the list) first
      onmousedown: (e) => { e.preventDefault(); insert(i); },
    }, '@', u.name)));
    if (!users.length) {
      close();
      return;
    }
    list.hidden = false;
    placeList();
    field.setAttribute('aria-expanded', 'true');
    highlight(0);
    hint.textContent = t('mention.found', { n: users.length });
  }

  // under the line being typed, not under the whole field (a post's
  // content box is tall)
  function placeList() {
    if (!query) return;
    const { top, left, height } = caretOffset(field, query.start);
    const x = Math.max(0, Math.min(left, field.clientWidth - list.offsetWidth));
    list.style.top = `${Math.min(top + height, field.offsetHeight) + 2}px`;
    list.style.left = `${x}px`;
  }

  function insert(i) {
    const user = items[i];
    if (!user || !query) return;
    const before = field.value.slice(0, query.start);
    const after = field.value.slice(query.end);
    const text = `@${user.name} `;
    field.value = before + text + after.replace(/^\s/, '');
    const caret = before.length + text.length;
    field.setSelectionRange(caret, caret);
    field.dispatchEvent(new Event('input', { bubbles: true }));
    close();
    query = null;
  }

  const ask = debounce(async (prefix) => {
    const mine = ++asked;
    try {
      const res = await pb.send('/api/users/suggest', { method: 'GET', query: { q: prefix } });
      if (mine !== asked || !query || query.prefix !== prefix) return;
      show(res?.items || []);
    } catch {
      if (mine === asked) close();
    }
  }, 150);

  field.addEventListener('input', () => {
    place();
    const caret = field.selectionStart ?? field.value.length;
    const m = me() ? TRIGGER.exec(field.value.slice(0, caret)) : null;
    if (!m) {
      query = null;
      close();
      return;
    }
    query = { start: caret - m[1].length - 1, end: caret, prefix: m[1] };
    ask(m[1]);
  });

  field.addEventListener('keydown', (e) => {
    if (list.hidden || !items.length || e.isComposing) return;
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      highlight((active + 1) % items.length);
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      highlight((active - 1 + items.length) % items.length);
    } else if (e.key === 'Enter' || e.key === 'Tab') {
      if (active < 0) return;
      e.preventDefault();
      e.stopImmediatePropagation(); // a chat input's Enter would send the message
      insert(active);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      close();
    }
  });
  field.addEventListener('blur', () => setTimeout(close, 100));
  return field;
}

// Where character index of field is drawn, relative to the field's top left
// corner: a hidden copy of the field with the same box and text styles,
// holding the text up to index and a marker (no API tells a textarea's caret
// position). Styles are set through the CSSOM, which the CSP allows.
const COPIED = ['boxSizing', 'width', 'paddingTop', 'paddingRight', 'paddingBottom', 'paddingLeft', 'borderTopWidth',
  'borderRightWidth', 'borderBottomWidth', 'borderLeftWidth', 'fontFamily', 'fontSize', 'fontWeight', 'fontStyle',
  'letterSpacing', 'lineHeight', 'textTransform', 'wordSpacing', 'tabSize', 'wordBreak', 'overflowWrap', 'whiteSpace'];
function caretOffset(field, index) {
  const style = getComputedStyle(field);
  const mirror = document.createElement('div');
  for (const name of COPIED) mirror.style[name] = style[name];
  mirror.style.position = 'absolute';
  mirror.style.visibility = 'hidden';
  mirror.style.top = '0';
  mirror.style.left = '-9999px';
  mirror.style.borderStyle = 'solid';
  if (field.tagName === 'TEXTAREA') mirror.style.whiteSpace = 'pre-wrap';
  else mirror.style.whiteSpace = 'pre';
  mirror.textContent = field.value.slice(0, index);
  const marker = document.createElement('span');
  marker.textContent = '@';
  mirror.append(marker);
  document.body.append(mirror);
  const at = { top: marker.offsetTop - field.scrollTop, left: marker.offsetLeft - field.scrollLeft, height: marker.offsetHeight };
  mirror.remove();
  return at;
}

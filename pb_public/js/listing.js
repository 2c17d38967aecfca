// How board and post lists read, Korean-board style: numbered pages in
// blocks of ten (이전 / 1 … 10 / 다음) on desktops, infinite scroll on
// phones; today's posts show the time, older ones the date; and the page a
// guest or member gets for a board or post they cannot open.
import { me } from './pb.js';
import { t, fmtDate } from './i18n.js';
import { h } from './ui.js';
import { current, link } from './router.js';

/** Page numbers shown at once; 이전 / 다음 move by a block. */
export const BLOCK = 10;

/** Phones (one column, see app.css) scroll for more; wider screens get page numbers. */
export const phoneQuery = () => window.matchMedia('(max-width: 40rem)');

/**
 * The numbered pager's links: the block of ten that holds `page`, 이전 to
 * the last page of the block before, 다음 to the first page of the next.
 * `pages` is how many pages are known to exist; `href(n)` links page n.
 */
export function pageNumbers(page, pages, href) {
  const first = Math.floor((page - 1) / BLOCK) * BLOCK + 1;
  const last = Math.min(first + BLOCK - 1, Math.max(pages, page));
  const numbers = [];
  for (let n = first; n <= last; n++) {
    numbers.push(n === page
      ? h('a', { class: 'page-number', href: href(n), 'aria-current': 'page' }, String(n))
      : h('a', { class: 'page-number', href: href(n), 'aria-label': t('listing.pageN', { n }) }, String(n)));
  }
  return [
    first > 1 ? h('a', { class: 'page-step', href: href(first - 1), rel: 'prev', 'aria-label': t('listing.prevBlock') }, t('listing.prev')) : null,
    h('span', { class: 'page-numbers' }, numbers),
    last < pages ? h('a', { class: 'page-step', href: href(last + 1), rel: 'next', 'aria-label': t('listing.nextBlock') }, t('listing.next')) : null,
  ];
}

/** A list date: the time for today's posts (14:05), the date for older ones; the full date on hover. */
export function listTime(value) {
  if (!value) return '';
  const date = new Date(String(value).replace(' ', 'T'));
  const today = date.toDateString() === new Date().toDateString();
  const text = today
    ? fmtDate(date, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    : fmtDate(date, { year: 'numeric', month: '2-digit', day: '2-digit' });
  return h('time', { datetime: date.toISOString(), title: fmtDate(date) }, text);
}

/** "[3]" after a title: the post's comments (none shown for 0). */
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** A text's characters as drawn (grapheme clusters). @param {string} text */
const drawn = (text) => Array.from(graphemes.segment(text), (s) => s.segment);

/**
 * 80 characters of a text, for lists that link to it: its start, or, given
 * the words searched for, the stretch around the first one it holds, so a
 * search result shows why it matched. Characters as drawn (grapheme
 * clusters): until 2026-12-04 an emoji at the cut was split into half a
 * surrogate pair, drawn as a broken glyph (probe p21).
 * @param {string} text
 * @param {string[]} [words]
 */
export function excerpt(text, words = []) {
  const chars = drawn(text);
  if (chars.length <= 80) return text;
  const lower = chars.map((c) => c.toLowerCase());
  let at = -1;
  for (const word of words) {
    const w = drawn(word.toLowerCase());
    if (!w.length) continue;
    for (let i = 0; i + w.length <= lower.length && (at < 0 || i < at); i++) {
      if (w.every((c, j) => lower[i + j] === c)) { at = i; break; }
    }
  }
  const start = at < 20 ? 0 : Math.min(at - 20, chars.length - 79);
  // 80 in all, the ellipses included
  const end = chars.length - start <= 79 ? chars.length : start + (start > 0 ? 78 : 79);
  return `${start > 0 ? '…' : ''}${chars.slice(start, end).join('')}${end < chars.length ? '…' : ''}`;
}

export function commentMark(n) {
  if (!n) return null;
  return h('span', { class: 'comment-mark', title: t('listing.commentsN', { n }) },
    ' ', h('span', { 'aria-hidden': 'true' }, `[${n}]`), h('span', { class: 'sr-only' }, t('listing.commentsN', { n })));
}

/** The sign-in link that comes back to where the reader is (or to `next`). */
export function signInLink(next = current().raw) {
  return link('/signin', next && next !== '/' ? { next } : undefined);
}

/**
 * The page for a board or post the server answered 404 for: it is missing,
 * or (for a guest) perhaps for members only, so guests are offered sign-in
 * (coming back here) and everyone a way back to the boards.
 */
export function closedPage(kind) {
  const guest = !me();
  return h('section', { class: 'card closed-page', dataset: { closed: kind } },
    h('h1', { tabindex: -1 }, t(`listing.closed.${kind}`)),
    h('p', {}, t(guest ? `listing.closed.${kind}Guest` : `listing.closed.${kind}Member`)),
    h('p', { class: 'actions' },
      guest ? h('a', { class: 'button primary', href: signInLink() }, t('listing.signInToRead')) : null,
      h('a', { class: 'button', href: '#/' }, t('listing.backToBoards'))));
}

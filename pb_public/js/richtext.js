// Posts and comments as Markdown: marked turns the text into HTML, DOMPurify
// keeps only plain document tags (no scripts, handlers, styles, forms or
// javascript: links), and the result comes back as DOM nodes, never as a
// string set with innerHTML. Both libraries are vendored (e2e/vendor-libs.sh).
//
// Works under the client's CSP: neither library evaluates code, marked
// writes no style attribute we keep, and DOMPurify parses in an inert
// document (no script runs, no image loads while it sanitises). The CSP
// does not require Trusted Types, so DOMPurify's plain DOM output is used.
import { Marked } from '../vendor/marked.es.mjs';
import DOMPurify from '../vendor/dompurify.es.mjs';

const markdown = new Marked({
  gfm: true, // tables, strikethrough, and bare URLs (https://…, www.…) become links
  breaks: true, // one newline is a line break, as people type in a text box
  renderer: {
    // The page's own h1/h2 are the title and sections: a post's "# heading" starts at h3.
    heading({ tokens, depth }) {
      const level = Math.min(depth + 2, 6);
      return `<h${level}>${this.parser.parseInline(tokens)}</h${level}>\n`;
    },
    // Images from other sites would break the CSP (img-src 'self') and let
    // them watch readers: an image in Markdown becomes a link to it.
    image(token) {
      const tokens = token.tokens?.length ? token.tokens : [{ type: 'text', raw: token.href, text: token.href }];
      return this.link(/** @type {import('../vendor/marked.es.mjs').Tokens.Link} */ ({ type: 'link', raw: token.raw, text: token.text, href: token.href, title: token.title, tokens }));
    },
    // HTML typed into a post is shown as the text it is (marked escapes it),
    // not passed on to the sanitiser to be cut.
    html(token) {
      const text = this.text({ type: 'text', raw: token.raw, text: token.text });
      return token.block ? `<p>${text}</p>\n` : text;
    },
    // A task list's checkbox is no form control here.
    checkbox({ checked }) {
      return checked ? '[x] ' : '[ ] ';
    },
  },
});

const ALLOWED_TAGS = ['p', 'br', 'hr', 'h3', 'h4', 'h5', 'h6', 'ul', 'ol', 'li', 'strong', 'em', 'del', 's',
  'code', 'pre', 'blockquote', 'a', 'table', 'thead', 'tbody', 'tr', 'th', 'td'];
const ALLOWED_ATTR = ['href', 'title', 'start', 'align'];

const purify = DOMPurify(window);
purify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName !== 'A') return;
  if (node.hasAttribute('href')) {
    // links open in a new tab that cannot reach back to this page
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
});

/**
 * The text as Markdown, in a <div class="content rich"> of sanitised nodes.
 * HTML in the text shows as text; links keep only http(s), mailto, tel and
 * relative targets (DOMPurify's URI rule), and open in a new tab.
 */
export function richText(text, attrs = {}) {
  const box = document.createElement('div');
  box.className = ['content', 'rich', attrs.class].filter(Boolean).join(' ');
  box.append(renderMarkdown(text));
  return box;
}

/**
 * Link targets kept: http(s), mailto and tel, and relative ones (no scheme).
 * DOMPurify's own rule keeps callto:, sms:, ftp:, xmpp:, cid: and matrix: too.
 */
const ALLOWED_URI_REGEXP = /^(?:(?:https?|mailto|tel):|[^a-z]|[a-z+.-]+(?:[^a-z+.\-:]|$))/i;

/**
 * Quotes and lists opened on one line (">>>", "- - -", "1. 1."): more than
 * this and the text is shown as it is. marked recurses once per level:
 * 2,000 ">" (a comment's limit) overflowed the stack — or, on a larger
 * stack, rendered 2,000 nested boxes — depending on the browser's state.
 */
const MAX_NESTING = 100;
const NESTING = /^(?:[ \t]*(?:>|[-*+](?=[ \t]|$)|\d{1,9}[.)](?=[ \t]|$)))+/gm;

/** Whether a line of text opens more than MAX_NESTING quotes and lists. */
function tooDeep(text) {
  for (const [prefix] of text.matchAll(NESTING)) {
    if (prefix.length > MAX_NESTING && prefix.replace(/[ \t]|\d{1,9}(?=[.)])/g, '').length > MAX_NESTING) return true;
  }
  return false;
}

/**
 * The Markdown of text as a sanitised DocumentFragment; the text as it is,
 * line by line, when it nests too deep (above) or marked fails on it: an
 * error here took the whole post page down, its moderation buttons too
 * (until 2026-12-07).
 */
export function renderMarkdown(text) {
  text = String(text ?? '');
  if (tooDeep(text)) return plainText(text);
  let fragment;
  try {
    const html = /** @type {string} */ (markdown.parse(text)); // synchronous: async is off
    fragment = purify.sanitize(html, {
      ALLOWED_TAGS,
      ALLOWED_ATTR,
      ALLOWED_URI_REGEXP,
      ALLOW_DATA_ATTR: false,
      ALLOW_ARIA_ATTR: false,
      RETURN_DOM_FRAGMENT: true,
    });
  } catch {
    return plainText(text);
  }
  // a link whose target was refused (javascript:, data:) is its text alone:
  // drawn as a link it looked clickable and did nothing (until 2026-12-07)
  for (const a of fragment.querySelectorAll('a:not([href])')) a.replaceWith(...a.childNodes);
  // a table wider than a phone scrolls in its own box (as pre does), not the page
  for (const table of fragment.querySelectorAll('table')) {
    const wrap = table.ownerDocument.createElement('div');
    wrap.className = 'table-wrap';
    table.replaceWith(wrap);
    wrap.append(table);
  }
  return fragment;
}

/** text as one paragraph, its newlines as line breaks. */
function plainText(text) {
  const fragment = document.createDocumentFragment();
  const p = document.createElement('p');
  text.split('\n').forEach((line, i) => {
    if (i > 0) p.append(document.createElement('br'));
    p.append(line);
  });
  fragment.append(p);
  return fragment;
}

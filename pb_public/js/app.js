// Boots the web client: the layout (header, language switch), the routes,
// the signed-in user's session watch and what a dead token (401) does.
import { pb, me, isAdmin, onUnauthorized, signedOut } from './pb.js';
import { t, getLang, setLang, LANGUAGES, applyLang } from './i18n.js';
import { h, replace, notice, loading, errorMessage, banText } from './ui.js';
import { route, start, current, match, navigate, redirect, afterSignIn } from './router.js';
import { notificationBell } from './notifications.js';

const view = (name) => () => import(`./views/${name}.js`);

route('/', { load: view('home') });
route('/signin', { load: view('signin') });
route('/signup', { load: view('signup') });
route('/forgot-password', { load: view('reset-request') });
route('/reset-password/:token', { load: view('reset-confirm') });
route('/confirm-email-change/:token', { load: view('confirm-email-change') });
route('/confirm-verification/:token', { load: view('confirm-verification') });
route('/profile', { load: view('profile'), auth: true });
route('/boards/:id', { load: view('board') });
route('/boards/:board/new', { load: view('post-edit'), auth: true });
route('/posts/:id', { load: view('post') });
route('/posts/:id/edit', { load: view('post-edit'), auth: true });
route('/chat', { load: view('chat'), auth: true });
route('/chat/:id', { load: view('chat'), auth: true });
route('/ai', { load: view('ai'), auth: true });
route('/ai/:id', { load: view('ai-model'), auth: true });
route('/admin', { load: view('admin-users'), admin: true });
route('/admin/boards', { load: view('admin-boards'), admin: true });
route('/admin/content', { load: view('admin-content'), admin: true });
route('/admin/ai', { load: view('admin-ai'), admin: true });
// notifications and bookmarks (스크랩)
route('/notifications', { load: view('notifications'), auth: true });
route('/bookmarks', { load: view('bookmarks'), auth: true });
// community: public profiles and the moderation pages
route('/users/:id', { load: view('user') });
route('/admin/reports', { load: view('admin-reports'), admin: true });
route('/admin/log', { load: view('admin-log'), admin: true });

const header = document.getElementById('site-header');
const main = document.getElementById('main');
const flashBox = document.getElementById('flash');

/** @type {{kind: string, text: string} | null} */
let flash = null;
let flashAt = ''; // the page (its raw hash) the message on screen was shown on
let active = null; // {controller, cleanups}
let firstRender = true;
let shownFor = ''; // the id of the user the page on screen was drawn for ('' a guest)

/** A message shown once at the top of the next page. */
export function setFlash(kind, text) {
  flash = { kind, text };
}

// The message stays while the same page is drawn again (a 401 that lands on
// the sign-in page another tab's sign-out already led to) and goes with the
// next page.
function showFlash(raw) {
  if (flash) {
    replace(flashBox, notice(flash.kind, flash.text));
    flash = null;
    flashAt = raw;
  } else if (raw !== flashAt) {
    flashBox.replaceChildren();
    flashAt = '';
  }
}

function renderHeader() {
  const user = me();
  const { path } = current();
  const here = (p) => (p === '/' ? path === '/' : path.startsWith(p)) ? 'page' : false;
  const langSelect = h('select', { id: 'lang', 'aria-label': t('nav.language'), onchange: (e) => changeLang(e.target.value), value: getLang() },
    LANGUAGES.map((code) => h('option', { value: code }, t(`lang.${code}`))));
  replace(header,
    h('a', { class: 'brand', href: '#/' }, h('span', { lang: 'ko' }, '마당'), ' Madang'),
    h('nav', { class: 'site-nav', 'aria-label': t('nav.main') },
      h('a', { href: '#/', 'aria-current': here('/') }, t('nav.boards')),
      user ? h('a', { href: '#/chat', 'aria-current': here('/chat') }, t('nav.chat')) : null,
      user ? h('a', { href: '#/ai', 'aria-current': here('/ai') }, t('nav.ai')) : null,
      isAdmin() ? h('a', { href: '#/admin', 'aria-current': here('/admin') }, t('nav.admin')) : null),
    h('div', { class: 'user-nav' },
      user
        ? [notificationBell(),
          h('a', { href: '#/bookmarks', class: 'bookmarks-link', 'aria-current': here('/bookmarks') }, t('bookmark.nav')),
          h('a', { href: '#/profile', class: 'me', title: user.name || user.email, 'aria-current': here('/profile') }, user.name || user.email),
          h('button', { type: 'button', class: 'link-button', id: 'signout', onclick: signOut }, t('nav.signOut'))]
        : [h('a', { href: '#/signin', 'aria-current': here('/signin') }, t('nav.signIn')),
          h('a', { href: '#/signup', 'aria-current': here('/signup') }, t('nav.signUp'))],
      langSelect));
  renderFooter();
}

// The footer speaks the reader's language; only admins get the dashboard link.
function renderFooter() {
  const footer = document.querySelector('.site-footer');
  if (!footer) return;
  replace(footer, h('span', {}, t('footer.about')),
    isAdmin() ? [' · ', h('a', { href: '/_/' }, t('footer.dashboard'))] : null);
  footer.setAttribute('aria-label', t('footer.label'));
}

// The page is drawn again in the new language with what was being written
// kept (a post, a comment, chosen files): until 2026-12-04 the switch
// emptied every form. Each control gets its draft back the moment the
// redrawn page adds it (a DOM mutation's callback runs before the browser
// paints or takes input), and again once the page is drawn, over values a
// view sets after adding its form, unless the reader has typed in it since.
// Until 2026-12-06 they came back only at the end: a page that adds its form
// before it has loaded the rest (a post's comment form, shown before the
// comments) showed it empty meanwhile, and what was typed there was lost.
async function changeLang(code) {
  const hash = location.hash;
  const saved = drafts();
  /** @type {WeakSet<EventTarget>} */
  const typedIn = new WeakSet();
  const restore = () => { if (location.hash === hash) restoreDrafts(saved, typedIn); };
  const onInput = (/** @type {Event} */ e) => { if (e.target) typedIn.add(e.target); };
  setLang(code);
  applyLang();
  renderHeader();
  const observer = new MutationObserver(restore);
  observer.observe(main, { childList: true, subtree: true });
  main.addEventListener('input', onInput, true); // fired by the reader, never by a script's assignment
  try {
    await renderRoute(current());
  } finally {
    observer.disconnect();
    main.removeEventListener('input', onInput, true);
  }
  restore();
}

/**
 * A key for each form control of the page, the same after a redraw: its form's class, its
 * name and its place among controls with both.
 * @returns {Map<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement, string>}
 */
function draftKeys() {
  const keys = new Map();
  const seen = new Map();
  for (const el of /** @type {NodeListOf<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>} */ (main.querySelectorAll('input, textarea, select'))) {
    if (['hidden', 'submit', 'button', 'reset'].includes(el.type)) continue;
    const base = `${el.closest('form')?.className || ''}|${el.tagName}|${el.name || el.type}`;
    const n = seen.get(base) || 0;
    seen.set(base, n + 1);
    keys.set(el, `${base}|${n}`);
  }
  return keys;
}

/** What the page's form controls hold: text, choices, chosen files. */
function drafts() {
  /** @type {Map<string, string | boolean | FileList>} */
  const saved = new Map();
  for (const [el, key] of draftKeys()) {
    if (el instanceof HTMLInputElement && (el.type === 'checkbox' || el.type === 'radio')) saved.set(key, el.checked);
    else if (el instanceof HTMLInputElement && el.type === 'file') saved.set(key, /** @type {FileList} */ (el.files));
    else saved.set(key, el.value);
  }
  return saved;
}

/**
 * Puts the saved drafts back into the page's controls, but for those the reader has typed in since.
 * @param {Map<string, string | boolean | FileList>} saved
 * @param {WeakSet<EventTarget>} typedIn
 */
function restoreDrafts(saved, typedIn) {
  for (const [el, key] of draftKeys()) {
    const value = saved.get(key);
    if (value === undefined || typedIn.has(el)) continue;
    if (typeof value === 'boolean') /** @type {HTMLInputElement} */ (el).checked = value;
    else if (typeof value === 'string') el.value = value;
    else if (value.length) {
      /** @type {HTMLInputElement} */ (el).files = value;
      el.dispatchEvent(new Event('change')); // the form lists the chosen files
    }
  }
}

export function signOut() {
  // the page ends while still signed in: what it sends as it goes (an
  // open chat's read mark) goes with the session it belongs to (until
  // 2026-12-07 it went after the sign-out, was refused 401, and the chat
  // stayed unread)
  leavePage();
  pb.authStore.clear();
  setFlash('info', t('auth.signedOut'));
  navigate('/signin');
}

// The signed-in user's own record, live: a role, name or board change shows
// at once, and the open connection lets a ban (which closes it server-side)
// reach this page as a 401 on reconnect.
let watched = '';
async function watchSession() {
  const user = me();
  const id = user?.id || '';
  if (id === watched) return;
  if (watched) pb.collection('users').unsubscribe(watched).catch(() => {});
  watched = id;
  if (!id) return;
  try {
    await pb.collection('users').subscribe(id, (e) => {
      if (e.action === 'update' && pb.authStore.record?.id === e.record.id) {
        pb.authStore.save(pb.authStore.token, { ...pb.authStore.record, ...e.record });
      } else if (e.action === 'delete') {
        pb.authStore.clear();
      }
    });
  } catch {
    // a dead token was handled by the 401 handler; anything else only costs liveness
  }
}

onUnauthorized((message, data) => {
  const { path, raw, query } = current();
  watched = '';
  pb.realtime.unsubscribe().catch(() => {});
  setFlash('error', [t('auth.sessionEnded'), banText(message, data)].filter(Boolean).join(' '));
  // already sent to sign-in (the session ended in another tab first): keep where it leads back to
  const next = path.startsWith('/signin') ? query.get('next') || '' : raw;
  navigate('/signin', next && next !== '/' ? { next } : undefined);
});

pb.authStore.onChange(() => {
  renderHeader();
  watchSession();
});

// The sign-in is shared by every tab (the SDK keeps it in localStorage and
// has loaded the new one before this runs). When another tab signs out, is
// signed out (a 401 there: a ban, sign-out everywhere) or signs in as
// someone else, the page here was drawn for the previous user: check it
// again as a fresh load would. A page for signed-in users goes to sign-in
// (and back here after), any other is drawn again for who is signed in now;
// a tab on the sign-in page goes where signing in would have led.
window.addEventListener('storage', (e) => {
  if (e.key !== 'pocketbase_auth') return; // the SDK's LocalAuthStore key
  const user = me();
  if ((user?.id || '') === shownFor) return;
  setFlash('info', user ? t('auth.switchedElsewhere', { name: user.name || user.email }) : t('auth.endedElsewhere'));
  const loc = current();
  if (user && loc.path === '/signin') navigate(afterSignIn(loc.query));
  else renderRoute(loc);
});

/** Ends the page on screen: what it waits for is aborted, its cleanups run now. */
function leavePage() {
  if (!active) return;
  const { controller, cleanups } = active;
  active = null;
  controller.abort();
  for (const fn of cleanups) {
    // unsubscribing talks to the server; a failure there must not surface as an unhandled rejection
    try {
      Promise.resolve(fn()).catch(() => {});
    } catch {
      // a cleanup that failed leaves the others to run
    }
  }
}

async function renderRoute(loc) {
  leavePage();
  const controller = new AbortController();
  const cleanups = [];
  active = { controller, cleanups };
  shownFor = me()?.id || '';
  renderHeader();

  const found = match(loc.path);
  if (found && (found.route.auth || found.route.admin) && !me()) {
    // a message already waiting (the session ended in another tab) says more
    if (!flash) setFlash('info', t('auth.signInFirst'));
    redirect('/signin', { next: loc.raw });
    return;
  }
  showFlash(loc.raw);
  if (!found) {
    replace(main, h('section', { class: 'card' }, h('h1', { tabindex: -1 }, t('error.pageNotFound')),
      h('p', {}, h('a', { href: '#/' }, t('nav.boards')))));
    return;
  }
  if (found.route.admin && !isAdmin()) {
    replace(main, h('section', { class: 'card' }, h('h1', { tabindex: -1 }, t('admin.only'))));
    return;
  }
  replace(main, loading());
  try {
    const module = await found.route.load();
    if (controller.signal.aborted) return;
    // each page draws into an element of its own: a page left while it
    // still waits for the server draws into an element no longer shown
    // (until 2026-12-07 a slow post drew itself under the page opened
    // meanwhile, its comment form live), and what it starts to follow
    // afterwards stops at once
    const root = h('div', { class: 'view' });
    main.replaceChildren(root);
    await module.default({
      root,
      params: found.params,
      query: loc.query,
      path: loc.path,
      signal: controller.signal,
      onCleanup: (fn) => {
        if (controller.signal.aborted) Promise.resolve().then(fn).catch(() => {});
        else cleanups.push(fn);
      },
      title: (text) => { if (!controller.signal.aborted) document.title = `${text} · ${t('app.name')}`; },
    });
  } catch (err) {
    if (controller.signal.aborted || signedOut(err)) return;
    replace(main, notice('error', errorMessage(err)));
    console.warn(err); // eslint-disable-line no-console
    return;
  }
  if (controller.signal.aborted) return;
  if (!firstRender) main.querySelector('h1')?.focus({ preventScroll: false });
  firstRender = false;
}

applyLang();
watchSession();
if (pb.authStore.token && !pb.authStore.isValid) pb.authStore.clear();
if (pb.authStore.isValid) {
  // refreshes the stored profile and finds out at once if the token died meanwhile
  pb.collection('users').authRefresh().catch(() => {});
}
start(renderRoute);


// The skip link cannot use its #main href: the hash is the router's.
document.querySelector('.skip-link')?.addEventListener('click', (e) => {
  e.preventDefault();
  main.focus();
});

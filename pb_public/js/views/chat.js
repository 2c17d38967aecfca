// Chat: my sessions with unread counts, a support session on request, and
// one session's messages, live (SDK realtime), with typing indicators and
// older history loaded on scroll.
import { pb, me, isAdmin, collectionAvailable, signedOut } from '../pb.js';
import { t, fmtDate } from '../i18n.js';
import { h, limit, form, field, submitting, clearSent, notAvailable, notice, userName, errorMessage, replace, append, debounce, avatar } from '../ui.js';
import { navigate } from '../router.js';
import { userLink, reportButton } from '../moderation.js';
import { attachMentions } from '../mentions.js';
import { subscribeRecords, subscribeTopic, onReconnect } from '../live.js';

/** @typedef {import('../madang-types').ChatsRecord} ChatsRecord */
/** @typedef {import('../madang-types').ChatSessionsRecord} ChatSessionsRecord */
/** @typedef {import('../madang-types').ChatFrameUser} ChatFrameUser */
/** @typedef {import('../madang-types').MadangRoutes} MadangRoutes */
/** @typedef {import('../madang-types').UsersRecord} UsersRecord */
/** @typedef {{action: string, record: ChatsRecord, fetched?: boolean}} ChatEvent a chats event; fetched: its record read again with the author */

const PAGE = 30;
const TYPING_SEND_EVERY = 2000;
const TYPING_SHOW_FOR = 4000;

// Unread counts and read marks are the server's (GET /api/chat/unread,
// POST /api/chat/sessions/{id}/read), so they follow the user across devices.
async function unreadCounts() {
  try {
    /** @type {MadangRoutes['GET /api/chat/unread']['response']} */
    const res = await pb.send('/api/chat/unread', { method: 'GET' });
    return res?.sessions || {};
  } catch (err) {
    if (err?.status === 404) return {}; // the server has no unread counts yet: show none
    throw err;
  }
}
// The last read mark sent: a list loads after it, so the chat just left
// is not counted unread by a mark still on its way.
let lastMark = Promise.resolve();
/** @param {string} sessionId @param {{ keepalive?: boolean }} [options] */
function markRead(sessionId, options) {
  lastMark = pb.send(`/api/chat/sessions/${encodeURIComponent(sessionId)}/read`,
    { method: 'POST', keepalive: !!options?.keepalive }).catch(() => {});
  return lastMark;
}
/** How long after a message the open chat is marked read, and how often at most while messages keep coming (ms). */
const MARK_QUIET = 500;
const MARK_EVERY = 5000;

/**
 * The names typed in a members box, each once: separated by commas, or
 * picked from the @name suggestions ("@민지 @서준 " as well as "민지, 서준").
 * @param {string} text
 * @returns {string[]}
 */
function typedNames(text) {
  const names = text.split(/[,，\n]|\s+(?=@)/).map((s) => s.trim().replace(/^@/, '').trim()).filter(Boolean);
  return [...new Set(names)];
}

/**
 * A name that matches nobody, told as the server tells a refused field: next
 * to the members box, with the form's "fix the marked fields" on top.
 * @param {string} message
 */
function membersError(message) {
  return { status: 400, response: { message: '', data: { members: { code: 'madang_unknown_member', message } } } };
}

/** @param {string} name */
const nameKey = (name) => (name || '').normalize('NFKC').toLowerCase();

/**
 * The ids of the members named, through GET /api/users/suggest (the users
 * list is for admins): each name must be one member's whole name. My own
 * name is skipped (the owner is always a member; suggest never answers me).
 * @param {string[]} names
 * @returns {Promise<string[]>}
 */
async function resolveNames(names) {
  const mine = nameKey(me()?.name);
  /** @type {string[]} */
  const ids = [];
  for (const name of names) {
    /** @type {MadangRoutes['GET /api/users/suggest']['response']} */
    const res = await pb.send('/api/users/suggest', { method: 'GET', query: { q: name.slice(0, 64) } });
    /** @type {UsersRecord[]} */
    const items = res?.items || [];
    const exact = items.filter((u) => u.name === name);
    const alike = items.filter((u) => nameKey(u.name) === nameKey(name));
    const found = exact.length === 1 ? exact : alike;
    if (found.length === 1) ids.push(found[0].id);
    else if (!found.length && nameKey(name) === mine) continue;
    else throw membersError(t(found.length ? 'chat.memberAmbiguous' : 'chat.memberUnknown', { name }));
  }
  return [...new Set(ids)];
}

/** @param {import('../router.js').ViewContext} ctx */
export default async function render({ root, params, title, signal, onCleanup }) {
  title(t('chat.title'));
  if (!(await collectionAvailable('chat_sessions')) || !(await collectionAvailable('chats'))) {
    append(root, h('h1', { tabindex: -1 }, t('chat.title')), notAvailable(t('chat.feature')));
    return;
  }
  const user = me();
  const sessionList = h('ul', { class: 'sessions', 'aria-live': 'polite' });
  const pane = h('section', { class: 'card chat-pane', 'aria-label': t('chat.conversation') });
  const newSupport = h('button', { type: 'button', class: 'primary', id: 'new-support' }, t('chat.openSupport'));
  const newGroup = h('button', { type: 'button', id: 'new-group', 'aria-expanded': 'false', 'aria-controls': 'new-group-form' }, t('chat.newGroup'));
  const listError = h('div', { role: 'alert' });
  // a new group chat: its name, and the members picked by name
  const groupName = limit(h('input', { name: 'name', required: true, autocomplete: 'off' }), 256);
  const groupMembers = attachMentions(h('input', { name: 'members', autocomplete: 'off' }));
  const groupCancel = h('button', { type: 'button' }, t('common.cancel'));
  const groupForm = form({ class: 'card group-form', id: 'new-group-form', hidden: true, 'aria-labelledby': 'new-group-title' },
    h('h2', { id: 'new-group-title' }, t('chat.newGroup')),
    field(t('chat.groupName'), groupName),
    field(t('chat.groupMembers'), groupMembers, t('chat.groupMembersHint')),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('chat.createGroup')), groupCancel));
  append(root, 
    h('div', { class: 'page-head' }, h('h1', { tabindex: -1 }, t('chat.title')),
      h('div', { class: 'actions chat-new' }, newSupport, newGroup)),
    listError,
    groupForm,
    h('div', { class: 'chat' },
      h('nav', { class: 'card', 'aria-label': t('chat.sessions') }, h('h2', {}, t('chat.sessions')), sessionList),
      pane));

  newSupport.addEventListener('click', async () => {
    newSupport.disabled = true;
    try {
      const s = await pb.collection('chat_sessions').create({
        name: t('chat.supportName', { name: user.name }), kind: 'support', information: '',
      });
      if (!signal.aborted) navigate(`/chat/${s.id}`);
    } catch (err) {
      if (!signedOut(err)) replace(listError, notice('error', errorMessage(err)));
    } finally {
      newSupport.disabled = false;
    }
  });

  /** @param {boolean} open */
  function showGroupForm(open) {
    groupForm.hidden = !open;
    newGroup.setAttribute('aria-expanded', String(open));
    if (open) groupName.focus();
    else newGroup.focus();
  }
  newGroup.addEventListener('click', () => showGroupForm(groupForm.hidden));
  groupCancel.addEventListener('click', () => showGroupForm(false));
  groupForm.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !e.isComposing) showGroupForm(false);
  });
  groupForm.addEventListener('submit', (e) => {
    e.preventDefault();
    submitting(groupForm, async () => {
      const members = await resolveNames(typedNames(groupMembers.value));
      const s = await pb.collection('chat_sessions').create({
        name: groupName.value.trim(), kind: 'group', information: '', members,
      });
      if (!signal.aborted) navigate(`/chat/${s.id}`);
    });
  });

  /** @type {ChatSessionsRecord[]} */
  let sessions = [];
  /** @type {Map<string, number>} session id → unread messages */
  const unread = new Map();
  const activeId = params.id || '';

  function drawSessions() {
    sessionList.replaceChildren(...sessions.map((s) => {
      const n = s.id === activeId ? 0 : unread.get(s.id) || 0;
      return h('li', {}, h('a', { href: `#/chat/${s.id}`, 'aria-current': s.id === activeId ? 'page' : false, dataset: { session: s.id } },
        h('span', {}, s.name, s.kind === 'support' ? h('span', { class: 'muted' }, ` · ${t('chat.support')}`) : null,
          s.is_closed ? h('span', { class: 'muted' }, ` · ${t('chat.closed')}`) : null),
        n ? h('span', { class: 'badge unread', title: t('chat.unread', { n }) }, String(n), h('span', { class: 'sr-only' }, ` ${t('chat.unread', { n })}`)) : null));
    }));
    if (!sessions.length) sessionList.append(h('li', { class: 'muted' }, t('chat.noSessions')));
  }

  async function loadSessions() {
    await lastMark;
    const [list, counts] = await Promise.all([
      pb.collection('chat_sessions').getFullList({ sort: '-last_message_at,-created' }),
      unreadCounts(),
    ]);
    if (signal.aborted) return;
    sessions = list;
    unread.clear();
    for (const [id, n] of Object.entries(counts)) unread.set(id, n);
    drawSessions();
  }
  const reloadSessions = debounce(() => loadSessions().catch(() => {}), 300);
  await loadSessions();

  // Read marks. A message shown in the open chat marks it read half a
  // second later, and then at most once every MARK_EVERY ms while messages
  // keep coming: until 2026-12-05 every message more than half a second
  // after the last sent one mark per open page, so a 1,000-member chat with
  // a message a second cost the server 1,000 writes a second (README, Web
  // client). A page nobody sees (a hidden tab, a minimized window) marks
  // nothing: what arrives there stays unread until the page is shown.
  // Leaving the chat, or the page, sends a mark still due at once.
  let markTimer = 0;
  let lastMarkAt = -Infinity;
  let unseen = false;
  const seen = () => document.visibilityState === 'visible';
  const markNow = (options) => {
    clearTimeout(markTimer);
    markTimer = 0;
    if (!seen() && !options?.leaving) {
      unseen = true;
      return;
    }
    unseen = false;
    lastMarkAt = Date.now();
    markRead(activeId, options);
  };
  const markReadSoon = () => {
    if (!seen()) {
      unseen = true;
      return;
    }
    if (markTimer) return; // the one due covers this message too
    markTimer = setTimeout(markNow, Math.max(MARK_QUIET, lastMarkAt + MARK_EVERY - Date.now()));
  };
  const onVisibility = () => { if (seen() && unseen) markReadSoon(); };
  const onPageHide = () => { if (markTimer) markNow({ leaving: true, keepalive: true }); };
  document.addEventListener('visibilitychange', onVisibility);
  window.addEventListener('pagehide', onPageHide);
  onCleanup(() => {
    document.removeEventListener('visibilitychange', onVisibility);
    window.removeEventListener('pagehide', onPageHide);
    if (markTimer) markNow({ leaving: true });
  });

  let conversation = null;
  if (activeId) {
    conversation = await openSession(pane, activeId, signal, onCleanup);
    if (conversation && seen()) {
      lastMarkAt = Date.now();
      await markRead(activeId);
    } else if (conversation) {
      unseen = true;
    }
  } else {
    append(pane, h('p', { class: 'muted chat-hint' },
      h('span', { class: 'chat-hint-beside' }, t('chat.pick')),
      h('span', { class: 'chat-hint-above' }, t('chat.pickAbove'))));
  }

  // A new message in a listed session other than the open one: that
  // session goes first, and someone else's counts one more unread — what a
  // reload would show (the server sends a reader only the messages its
  // unread count counts), without one. Until 2026-12-05 every such message
  // reloaded the whole list and the unread counts: a member of a busy group
  // chat with another chat open asked for both about three times a second.
  // Anything else (an edit, a hide, a delete, a session not listed yet)
  // still reloads. It reports whether it handled the event.
  /** @param {ChatEvent} e */
  function listNewMessage(e) {
    const i = sessions.findIndex((s) => s.id === e.record.session);
    if (e.action !== 'create' || i < 0) return false;
    const [s] = sessions.splice(i, 1);
    s.last_message_at = e.record.created;
    sessions.unshift(s);
    if (e.record.author !== user.id) unread.set(s.id, (unread.get(s.id) || 0) + 1);
    drawSessions();
    return true;
  }

  const messagesLive = subscribeRecords('chats', '*', (e) => {
    if (signal.aborted) return;
    const msg = e.record;
    if (msg.session === activeId && conversation) {
      conversation.onEvent(e);
      if (e.action === 'create' && msg.author !== user.id) markReadSoon();
    } else if (!listNewMessage(e) && msg.author !== user.id) {
      reloadSessions();
    }
  });
  const sessionsLive = subscribeRecords('chat_sessions', '*', (e) => {
    if (signal.aborted) return;
    reloadSessions();
    // closed or reopened, or its members changed, while open here: the pane follows
    if (conversation && e.record?.id === activeId && e.action === 'update') conversation.onSession(e.record);
  });
  messagesLive.then((unsub) => onCleanup(unsub), () => {});
  sessionsLive.then((unsub) => onCleanup(unsub), () => {});
  // data-live="ready" once the list follows new messages and sessions
  Promise.all([messagesLive, sessionsLive]).then(() => { if (!signal.aborted) sessionList.dataset.live = 'ready'; }, () => {});
  // after a reconnect: the list, and the open chat's messages and state
  onCleanup(onReconnect(() => {
    if (signal.aborted) return;
    reloadSessions();
    conversation?.reread().catch(() => {});
  }));
  if (isAdmin()) newSupport.hidden = true; // admins answer support sessions; they do not open them
}

/** How many members the chat's header names; the rest are counted. */
const MEMBERS_NAMED = 20;

/**
 * The header's member line: the first MEMBERS_NAMED names in the session's
 * order, then how many more (a group may hold a thousand members).
 * @param {Array<{name?: string}>} members
 * @param {{name?: string}|undefined} owner
 */
function membersLine(members, owner) {
  if (!members.length) return t('chat.members', { names: userName(owner) });
  const names = members.slice(0, MEMBERS_NAMED).map((m) => userName(m)).join(', ');
  const more = members.length - MEMBERS_NAMED;
  return more > 0 ? t('chat.membersMore', { names, more }) : t('chat.members', { names });
}

/**
 * A group chat's own buttons: Leave for every member (asked once more, then
 * POST …/leave and back to the list) and, for the owner while the chat is
 * open, Invite (members+) and Remove (members-) by name. The server's
 * refusals show in their form.
 * @param {ChatSessionsRecord} session
 * @param {AbortSignal} signal
 * @param {(updated: ChatSessionsRecord) => void} onMembers called with the session read again after an invite or a removal
 */
function groupActions(session, signal, onMembers) {
  const user = me();
  const leaveForm = form({ class: 'chat-leave' }, h('button', { type: 'submit', class: 'danger' }, t('chat.leave')));
  leaveForm.addEventListener('submit', (e) => {
    e.preventDefault();
    // coming back takes the owner's invitation
    if (!window.confirm(t('chat.confirmLeave', { name: session.name }))) return;
    submitting(leaveForm, async () => {
      await pb.send(`/api/chat/sessions/${encodeURIComponent(session.id)}/leave`, { method: 'POST' });
      if (!signal.aborted) navigate('/chat');
    });
  });
  /** @type {HTMLFormElement | null} */
  let inviteForm = null;
  if (session.owner === user?.id) {
    const who = attachMentions(h('input', { name: 'members', autocomplete: 'off' }));
    const done = h('p', { class: 'muted', role: 'status' });
    inviteForm = form({ class: 'chat-invite' },
      h('div', { class: 'chat-input' }, field(t('chat.inviteName'), who, t('chat.inviteHint')),
        h('button', { type: 'submit', value: 'invite' }, t('chat.invite')),
        h('button', { type: 'submit', value: 'remove', class: 'danger' }, t('chat.remove'))),
      done);
    inviteForm.addEventListener('submit', (e) => {
      e.preventDefault();
      done.textContent = '';
      const remove = /** @type {HTMLButtonElement | null} */ (e.submitter)?.value === 'remove';
      const names = typedNames(who.value);
      if (!names.length) {
        who.focus();
        return;
      }
      if (remove && !window.confirm(t('chat.confirmRemove', { names: names.join(', ') }))) return;
      submitting(inviteForm, async () => {
        const sent = who.value;
        const ids = await resolveNames(names);
        if (ids.length) {
          await pb.collection('chat_sessions').update(session.id, { [remove ? 'members-' : 'members+']: ids });
          const updated = await pb.collection('chat_sessions').getOne(session.id, { expand: 'members,owner' });
          if (signal.aborted) return;
          onMembers(updated);
        }
        clearSent(who, sent);
        done.textContent = t(remove ? 'chat.removed' : 'chat.invited', { names: names.join(', ') });
        who.focus();
      });
    });
  }
  return {
    el: h('div', { class: 'chat-group-tools' }, inviteForm, leaveForm),
    /** a closed group takes no new members; its members may still leave @param {boolean} closed */
    setClosed(closed) {
      if (inviteForm) inviteForm.hidden = closed;
    },
  };
}

async function openSession(pane, id, signal, onCleanup) {
  /** @type {ChatSessionsRecord} */
  let session;
  try {
    session = await pb.collection('chat_sessions').getOne(id, { expand: 'members,owner' });
  } catch (err) {
    if (err?.status === 404) {
      append(pane, notice('error', t('chat.notFound')));
      return null;
    }
    throw err;
  }
  const user = me();
  const list = h('ol', { class: 'messages', tabindex: 0, 'aria-label': t('chat.messages'), 'aria-live': 'polite' });
  const older = h('button', { type: 'button', class: 'link-button', hidden: true }, t('chat.older'));
  const typing = h('p', { class: 'typing', 'aria-live': 'polite' });
  const input = attachMentions(limit(h('textarea', { name: 'content', rows: 2, required: true }), 2000));
  const send = h('button', { type: 'submit', class: 'primary' }, t('chat.send'));
  const inputForm = form({ class: 'chat-input-form' },
    h('div', { class: 'chat-input' }, field(t('chat.message'), input), send));
  const members = session.expand?.members || [];
  /** the messages' authors by id: the members, and whoever else wrote (read once) */
  const authors = new Map(members.map((u) => [u.id, u]));
  const membersEl = h('span', { class: 'members' }, membersLine(members, session.expand?.owner));
  /** the members shown, by id in their order: a session's event that names others reads them again */
  let shownMembers = session.members.join(',');
  /** @param {ChatSessionsRecord} updated read with expand members,owner */
  function showMembers(updated) {
    const now = updated.expand?.members || [];
    for (const u of now) authors.set(u.id, u);
    shownMembers = updated.members.join(',');
    membersEl.textContent = membersLine(now, updated.expand?.owner);
  }
  const groupTools = session.kind === 'group' ? groupActions(session, signal, showMembers) : null;
  // who of the members is online now: chat_presence/{id} sends {online: [{id, name}], count}
  // at once and on every change
  const presence = h('p', { class: 'presence', 'aria-live': 'polite', id: 'chat-presence' });
  append(pane, 
    h('h2', {}, session.name),
    h('p', { class: 'meta' },
      h('span', {}, session.kind === 'support' ? t('chat.support') : t('chat.group')),
      membersEl),
    groupTools?.el,
    presence,
    session.information ? h('p', {}, session.information) : null,
    older, list, typing);
  // a closed chat is read-only: its notice in place of the message box
  const closedNotice = notice('info', t('chat.closedNotice'));
  let closed = null;
  function setClosed(now) {
    if (now === closed) return;
    closed = now;
    groupTools?.setClosed(now);
    if (now) {
      if (inputForm.isConnected) inputForm.replaceWith(closedNotice);
      else pane.append(closedNotice);
    } else if (closedNotice.isConnected) closedNotice.replaceWith(inputForm);
    else pane.append(inputForm);
  }
  setClosed(!!session.is_closed);

  /** @type {Map<string, HTMLElement>} message id → its item */
  const shown = new Map();
  /** @type {string | null} the oldest message's created time */
  let oldest = null;
  let hasMore = true;
  let loadingOlder = false;

  const item = (/** @type {ChatsRecord} */ m) => h('li', { class: `message${m.author === user.id ? ' mine' : ''}`, id: `msg-${m.id}`, dataset: { id: m.id } },
    h('p', { class: 'meta' }, avatar(m.expand?.author), h('strong', {}, userLink(m.expand?.author)), h('time', { datetime: m.created }, fmtDate(m.created)),
      reportButton('chat', m.id, { authorId: m.author })),
    h('div', { class: 'bubble' }, m.content));
  const nearBottom = () => list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  const toBottom = () => { list.scrollTop = list.scrollHeight; };

  let newest = ''; // the newest message's created time
  /** @param {ChatsRecord} m @param {boolean} [atTop] */
  function add(m, atTop = false) {
    if (m.created > newest) newest = m.created;
    if (shown.has(m.id) || m.is_visible === false) return;
    const el = item(m);
    shown.set(m.id, el);
    if (atTop) list.prepend(el);
    else list.append(el);
  }

  async function loadPage() {
    const filter = oldest
      ? pb.filter('session = {:s} && created < {:c}', { s: id, c: oldest })
      : pb.filter('session = {:s}', { s: id });
    const res = await pb.collection('chats').getList(1, PAGE, { filter, sort: '-created', expand: 'author', skipTotal: true });
    hasMore = res.items.length === PAGE;
    older.hidden = !hasMore;
    for (const m of res.items) add(m, true);
    if (res.items.length) oldest = res.items[res.items.length - 1].created;
    return res.items.length;
  }
  async function loadOlder() {
    if (loadingOlder || !hasMore) return;
    loadingOlder = true;
    older.disabled = true;
    const before = list.scrollHeight;
    try {
      await loadPage();
      list.scrollTop += list.scrollHeight - before; // keep what was on screen in place
    } finally {
      loadingOlder = false;
      older.disabled = false;
    }
  }
  await loadPage();
  if (!shown.size) list.append(h('li', { class: 'muted empty' }, t('chat.noMessages')));
  /** after a reconnect: the messages written since the newest shown, and the session's state */
  async function reread() {
    const filter = newest
      ? pb.filter('session = {:s} && created > {:c}', { s: id, c: newest })
      : pb.filter('session = {:s}', { s: id });
    const [fresh, res] = await Promise.all([
      pb.collection('chat_sessions').getOne(id),
      pb.collection('chats').getList(1, 200, { filter, sort: 'created', expand: 'author', skipTotal: true }),
    ]);
    if (signal.aborted) return;
    setClosed(!!fresh.is_closed);
    const follow = nearBottom();
    if (res.items.length) list.querySelector('.empty')?.remove();
    for (const m of res.items) add(m);
    if (follow) toBottom();
  }
  toBottom();
  // only a scroll *up* near the top asks for more: layout changes that move
  // scrollTop on their own must not page in the whole history
  let lastTop = list.scrollTop;
  list.addEventListener('scroll', () => {
    const up = list.scrollTop < lastTop;
    lastTop = list.scrollTop;
    if (up && list.scrollTop < 40) loadOlder().catch(() => {});
  });
  older.addEventListener('click', () => loadOlder().catch(() => {}));

  // typing, both ways
  let typingAvailable = true;
  let lastTypingSent = 0;
  input.addEventListener('input', () => {
    const now = Date.now();
    if (!typingAvailable || !input.value.trim() || now - lastTypingSent < TYPING_SEND_EVERY) return;
    lastTypingSent = now;
    pb.send(`/api/chat/sessions/${encodeURIComponent(id)}/typing`, { method: 'POST' }).catch((err) => {
      if (err?.status === 404) typingAvailable = false;
    });
  });
  const presenceLive = pb.realtime.subscribe(`chat_presence/${id}`, (/** @type {{online?: ChatFrameUser[], count?: number} | null} */ data) => {
    if (signal.aborted) return;
    // online names at most 50 members; count is every member online, me included
    const named = data?.online || [];
    const online = named.filter((u) => u.id !== user.id);
    // the line names as many as the header does, and counts the rest
    const shownOnline = online.slice(0, MEMBERS_NAMED);
    const more = Math.max((data?.count ?? named.length) - 1 - shownOnline.length, 0);
    const names = shownOnline.map((u) => userName(u)).join(', ');
    replace(presence, h('span', { class: 'presence-dot', 'aria-hidden': 'true' }),
      !online.length ? t('presence.nobody')
        : more ? t('presence.more', { names, more }) : t('presence.online', { names }));
    presence.dataset.online = online.map((u) => u.id).join(',');
  }).then((unsub) => onCleanup(unsub), () => {});

  let typingTimer;
  const typingLive = subscribeTopic(`chat_typing/${id}`, (/** @type {{session?: string, user?: ChatFrameUser} | null} */ data) => {
    const who = data?.user || /** @type {Partial<ChatFrameUser>} */ ({});
    if (who.id === user.id) return;
    const name = who.name || t('common.someone');
    typing.textContent = t('chat.typing', { name });
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => { typing.textContent = ''; }, TYPING_SHOW_FOR);
  }).then((unsub) => onCleanup(unsub), () => {});
  onCleanup(() => clearTimeout(typingTimer));
  // data-live="ready" once the server sends this chat's presence and typing
  // (the browser journeys wait for it before they type)
  Promise.all([presenceLive, typingLive]).then(() => { if (!signal.aborted) pane.dataset.live = 'ready'; }, () => {});

  inputForm.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!input.value.trim()) return;
    submitting(inputForm, async () => {
      const sent = input.value;
      const m = await pb.collection('chats').create({ session: id, content: sent }, { expand: 'author' });
      clearSent(input, sent);
      list.querySelector('.empty')?.remove();
      add(m);
      toBottom();
      input.focus();
    });
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      inputForm.requestSubmit();
    }
  });

  return {
    setClosed,
    reread,
    /**
     * The session changed (an event without expand): closed or reopened,
     * and the members line follows who joined or left.
     * @param {ChatSessionsRecord} updated
     */
    onSession(updated) {
      setClosed(!!updated.is_closed);
      if (!Array.isArray(updated.members) || updated.members.join(',') === shownMembers) return;
      shownMembers = updated.members.join(',');
      pb.collection('chat_sessions').getOne(id, { expand: 'members,owner' }).then((full) => {
        if (!signal.aborted) showMembers(full);
      }, () => {});
    },
    /** @param {ChatEvent} e */
    onEvent(e) {
      if (signal.aborted) return;
      const m = e.record;
      // events come without expand (an expand per subscriber would have the
      // server encode each message once per reader): the author is a member,
      // or (an admin answering a support session) is read once and kept
      if (!m.expand?.author && !e.fetched) {
        const author = authors.get(m.author);
        if (author) m.expand = { ...m.expand, author };
        else if (e.action === 'create') {
          pb.collection('chats').getOne(m.id, { expand: 'author' }).then((full) => {
            if (full.expand?.author) authors.set(full.author, full.expand.author);
            this.onEvent({ ...e, record: full, fetched: true });
          }, () => {});
          return;
        }
      }
      if (e.action === 'create') {
        const follow = nearBottom() || m.author === user.id;
        list.querySelector('.empty')?.remove();
        add(m);
        if (m.author !== user.id) typing.textContent = '';
        if (follow) toBottom();
      } else if (e.action === 'update' && shown.has(m.id)) {
        if (m.is_visible === false) {
          shown.get(m.id).remove();
          shown.delete(m.id);
        } else {
          shown.get(m.id).querySelector('.bubble').textContent = m.content;
        }
      } else if (e.action === 'delete' && shown.has(m.id)) {
        shown.get(m.id).remove();
        shown.delete(m.id);
      }
    },
  };
}

// One post: content, protected attachments (file token), like/unlike,
// counts, and comments with one level of replies. Counts and comments
// update live over the SDK's realtime.
import { pb, me, isAdmin, protectedFileURLs, signedOut } from '../pb.js';
import { t, fmtNumber } from '../i18n.js';
import { h, limit, icon, time, userName, avatar, count, form, field, submitting, clearSent, replace, notice, errorMessage, displayFileName, debounce, append, reconcile } from '../ui.js';
import { navigate } from '../router.js';
import { closedPage } from '../listing.js';
import { authorOf, categoryTag, reportButton } from '../moderation.js';
import { richText } from '../richtext.js';
import { attachMentions } from '../mentions.js';
import { bookmarkButton } from '../bookmarks.js';
import { onReconnect } from '../live.js';

/** @typedef {import('../madang-types').PostsRecord} PostsRecord */
/** @typedef {import('../madang-types').CommentsRecord} CommentsRecord */

/** @param {import('../router.js').ViewContext} ctx */
export default async function render({ root, params, title, signal, onCleanup }) {
  /** @type {PostsRecord} read with expand author, board, category */
  let post;
  try {
    post = await pb.collection('posts').getOne(params.id, { expand: 'author,board,category' });
  } catch (err) {
    if (err?.status !== 404) throw err;
    title(t('listing.closed.post'));
    root.replaceChildren(closedPage('post'));
    return;
  }
  title(post.title);
  const user = me();
  const mine = !!user && post.author === user.id;

  const counts = {
    views: count('views', t('post.views'), fmtNumber(post.views_count), { dataset: { count: 'views' } }),
    likes: count('likes', t('post.likes'), fmtNumber(post.likes_count), { dataset: { count: 'likes' } }),
    comments: count('comments', t('post.comments'), fmtNumber(post.comments_count), { dataset: { count: 'comments' } }),
  };
  const showCounts = (/** @type {PostsRecord} */ p) => {
    counts.views.querySelector('.n').textContent = fmtNumber(p.views_count || 0);
    counts.likes.querySelector('.n').textContent = fmtNumber(p.likes_count || 0);
    counts.comments.querySelector('.n').textContent = fmtNumber(p.comments_count || 0);
  };

  // like / unlike: my like is a post_likes record
  /** @type {import('../madang-types').PostLikesRecord | null} */
  let myLike = null;
  // a toggle button: the label stays, aria-pressed (and its look) says whether I like it
  const likeButton = h('button', { type: 'button', class: 'like', 'aria-pressed': 'false', disabled: !user, title: user ? undefined : t('post.signInToLike') }, icon('likes'), h('span', {}, t('post.like')));
  const likeError = h('span', { class: 'inline-error', role: 'alert' });
  const setLiked = (liked) => likeButton.setAttribute('aria-pressed', String(liked));
  async function readMyLike() {
    const found = await pb.collection('post_likes').getList(1, 1, {
      filter: pb.filter('post = {:post} && user = {:user}', { post: post.id, user: user.id }), skipTotal: true,
    });
    myLike = found.items[0] || null;
    setLiked(!!myLike);
  }
  if (user) await readMyLike();
  // after my own like or comment: the counts at once, even if the realtime
  // event (which brings everyone else's changes) is late or lost
  async function refreshCounts() {
    // a list read does not count a view, unlike getOne
    const res = await pb.collection('posts').getList(1, 1, { filter: pb.filter('id = {:id}', { id: post.id }), skipTotal: true });
    if (res.items[0]) showCounts(res.items[0]);
    else gone();
  }
  likeButton.addEventListener('click', async () => {
    likeButton.disabled = true;
    likeError.textContent = '';
    const want = !myLike;
    try {
      if (myLike) {
        await pb.collection('post_likes').delete(myLike.id);
        myLike = null;
      } else {
        myLike = await pb.collection('post_likes').create({ post: post.id, user: user.id });
      }
      setLiked(!!myLike);
      await refreshCounts();
    } catch (err) {
      if (signedOut(err)) return;
      // my like may have changed elsewhere (another tab), or the post is
      // gone: read the true state; liked as asked is no error
      try {
        await Promise.all([readMyLike(), refreshCounts()]);
        if (!!myLike !== want) likeError.textContent = errorMessage(err);
      } catch {
        likeError.textContent = errorMessage(err);
      }
      if (err?.status === 404 || err?.status === 400) recheck();
    } finally {
      likeButton.disabled = false;
    }
  });

  const actions = h('div', { class: 'actions' }, likeButton, bookmarkButton(post), likeError);
  // moderators hide, pin and delete; only the writer rewords a post
  if (mine) actions.append(h('a', { class: 'button', href: `#/posts/${post.id}/edit` }, t('common.edit')));
  if (mine || isAdmin()) actions.append(h('button', { type: 'button', class: 'danger', onclick: removePost }, t('common.delete')));
  actions.append(reportButton('post', post.id, { authorId: post.author, className: '' }) || '');
  if (isAdmin()) {
    actions.append(
      h('button', { type: 'button', onclick: () => toggle('is_pinned') }, post.is_pinned ? t('post.unpin') : t('post.pin')),
      h('button', { type: 'button', onclick: () => toggle('is_visible') }, post.is_visible ? t('post.hide') : t('post.unhide')));
  }
  async function removePost() {
    if (!window.confirm(t('post.confirmDelete'))) return;
    try {
      await pb.collection('posts').delete(post.id);
      if (!signal.aborted) navigate(`/boards/${post.board}`);
    } catch (err) {
      if (!signedOut(err)) likeError.textContent = errorMessage(err);
    }
  }
  /** @param {'is_pinned' | 'is_visible'} name */
  async function toggle(name) {
    try {
      await pb.collection('posts').update(post.id, { [name]: !post[name] });
      if (!signal.aborted) navigate(`/posts/${post.id}`);
    } catch (err) {
      if (!signedOut(err)) likeError.textContent = errorMessage(err);
    }
  }

  const files = h('div', { class: 'attachments' });
  const board = post.expand?.board;
  const heading = h('h1', { tabindex: -1 });
  const byline = h('p', { class: 'meta' });
  let body = richText(post.content);
  // the title line, the byline and the text, drawn again when the writer edits
  const drawPost = (/** @type {PostsRecord} */ p) => {
    replace(heading,
      p.is_pinned ? h('span', { class: 'badge pin' }, t('post.pinned')) : null,
      p.is_visible ? null : h('span', { class: 'badge warn' }, t('common.hidden')),
      categoryTag(p),
      p.title);
    replace(byline,
      bylineAvatar(p),
      authorOf(p),
      time(p.created),
      p.updated !== p.created ? h('span', { class: 'muted' }, t('post.edited')) : null);
  };
  drawPost(post);
  const article = h('article', { class: 'card post' },
    h('p', { class: 'crumbs' }, h('a', { href: `#/boards/${post.board}` }, board?.name || t('nav.boards'))),
    heading,
    byline,
    h('p', { class: 'meta counts' }, counts.views, counts.likes, counts.comments),
    body,
    files,
    actions);
  await showFiles(files, post, 'attachments');

  const comments = commentsSection(post, signal, () => refreshCounts().catch(() => {}), (err) => { if (err?.status === 404 || err?.status === 400) recheck(); });
  append(root, article, comments.section);
  await comments.load();

  // the post deleted, hidden by a moderator, or no longer mine to read (a
  // grant revoked): the page closes as for a delete, the comment form too
  let closed = false;
  function gone() {
    if (closed || signal.aborted) return;
    closed = true;
    replace(article, notice('info', t('post.deleted')));
    comments.section.remove();
  }
  // Reads the post again (a list read, which counts no view): gone, or
  // redrawn with what changed (the writer's edit, a pin, the counts).
  // Readers who may no longer see the post get no event of it: a change of
  // its board's counters, of my own record (grants), a failed action and a
  // reconnect ask instead.
  const recheck = debounce(async () => {
    if (closed || signal.aborted) return;
    /** @type {PostsRecord | undefined} */
    let fresh;
    try {
      const res = await pb.collection('posts').getList(1, 1, { filter: pb.filter('id = {:id}', { id: post.id }), expand: 'author,board,category', skipTotal: true });
      fresh = res.items[0];
    } catch (err) {
      if (err?.status === 404) gone(); // the board is gone or closed to me
      return;
    }
    if (signal.aborted) return;
    if (!fresh) {
      gone();
      return;
    }
    showCounts(fresh);
    await redraw(fresh);
    if (fresh.comments_count !== commentsCount) reloadComments();
    commentsCount = fresh.comments_count;
  }, 200);
  /** what a reader sees changed: the writer's edit, a moderator's pin or hide (not the counters) */
  const edited = (/** @type {PostsRecord} */ p) => ['title', 'content', 'category', 'is_pinned', 'is_visible'].some((k) => p[k] !== post[k]) ||
    String(p.attachments || '') !== String(post.attachments || '');
  /** @param {PostsRecord} fresh */
  async function redraw(fresh) {
    if (!edited(fresh)) return;
    const filesChanged = String(fresh.attachments || '') !== String(post.attachments || '');
    post = fresh; // read with the same expand as the first draw
    title(post.title);
    drawPost(post);
    const next = richText(post.content); // the same sanitizing renderer as the first draw
    body.replaceWith(next);
    body = next;
    if (filesChanged) {
      files.replaceChildren();
      await showFiles(files, post, 'attachments').catch(() => {});
    }
  }

  // The server sends an update of the post whenever its counters change
  // (a like, a comment written, hidden or deleted, by anyone): the counts
  // come with it. A changed comments_count also reloads the list, which is
  // how readers lose a comment hidden by an admin (its own event no longer
  // reaches those who may not see it).
  const reloadComments = debounce(() => { if (!signal.aborted) comments.load().catch(() => {}); }, 150);
  let commentsCount = post.comments_count;
  pb.collection('posts').subscribe(post.id, (e) => {
    if (signal.aborted) return;
    if (e.action === 'update') {
      showCounts(e.record);
      if (e.record.comments_count !== commentsCount) reloadComments();
      commentsCount = e.record.comments_count;
      // the writer's edit (title, text, files) or a moderator's pin: drawn
      // again, with the expanded author, board and category read once more
      if (edited(e.record)) recheck();
    }
    if (e.action === 'delete') gone();
  }).then((unsub) => onCleanup(unsub), () => {});
  pb.collection('comments').subscribe('*', reloadComments, { filter: pb.filter('post = {:post}', { post: post.id }) })
    .then((unsub) => onCleanup(unsub), () => {});
  // a post hidden (or deleted) changes its board's posts_count: that event
  // still reaches readers who can no longer see the post
  let boardCount = board?.posts_count;
  pb.collection('boards').subscribe(post.board, (e) => {
    if (e.action !== 'update' || e.record.posts_count === boardCount) return;
    boardCount = e.record.posts_count;
    recheck();
  }).then((unsub) => onCleanup(unsub), () => {});
  if (user) pb.collection('users').subscribe(user.id, recheck).then((unsub) => onCleanup(unsub), () => {});
  onCleanup(onReconnect(() => { recheck(); reloadComments(); if (user) readMyLike().catch(() => {}); }));
}

/**
 * The writer's avatar; on an anonymous board the label's letter, never the writer's picture.
 * @param {PostsRecord | CommentsRecord} record
 */
export function bylineAvatar(record) {
  return avatar(record.anonymous_label ? { name: record.anonymous_label } : record.expand?.author);
}

/** Thumbnail sizes listed on the file fields (migration 1795900610_thumbs.go). */
const THUMB = '320x0';
const IMAGE = /\.(png|jpe?g|gif|webp)$/i;

/**
 * @param {HTMLElement} box
 * @param {(PostsRecord & {post?: undefined}) | CommentsRecord} record a post, or a comment (whose post the sign-in link leads back to)
 * @param {'attachments'} fieldName
 */
async function showFiles(box, record, fieldName) {
  const names = [].concat(record[fieldName] || []);
  if (!names.length) return;
  if (!me()) {
    // protected files need a file token, and only signed-in users get one
    box.append(h('h2', { class: 'small' }, t('post.attachments')),
      h('ul', { class: 'files' }, names.map((name) => h('li', {}, displayFileName(name)))),
      h('p', { class: 'hint' }, h('a', { href: `#/signin?next=/posts/${record.post || record.id}` }, t('post.signInToDownload'))));
    return;
  }
  // images show inline as thumbnails (one file token serves both sizes);
  // a click opens the full size in a new tab
  const files = await protectedFileURLs(record, fieldName);
  const thumbOf = (name, url) => {
    const u = new URL(url);
    u.searchParams.set('thumb', THUMB);
    return u.toString();
  };
  const images = files.filter(({ name }) => IMAGE.test(name));
  // the helper, not Element.append: that would write a skipped null as the text "null"
  append(box, h('h2', { class: 'small' }, t('post.attachments')),
    images.length ? h('div', { class: 'thumbs' }, images.map(({ name, url }) =>
      h('a', { class: 'thumb', href: url, target: '_blank', rel: 'noopener noreferrer', title: t('richtext.openFull', { name: displayFileName(name) }) },
        h('img', { src: thumbOf(name, url), alt: displayFileName(name), loading: 'lazy' })))) : null,
    h('ul', { class: 'files' }, files.map(({ name, url }) => h('li', {},
      h('a', { href: url, download: displayFileName(name), target: '_blank', rel: 'noopener' }, displayFileName(name))))));
}

/**
 * @param {PostsRecord} post
 * @param {AbortSignal} signal
 * @param {() => void} onChange
 * @param {(err: any) => void} onFailed
 */
function commentsSection(post, signal, onChange, onFailed) {
  const user = me();
  const heading = h('h2', { id: 'comments-h' }, t('post.comments'));
  const list = h('ol', { class: 'comments', 'aria-live': 'polite' });
  const section = h('section', { class: 'card', 'aria-labelledby': 'comments-h' }, heading, list,
    user ? commentForm(post, null, () => reload(), onFailed) : h('p', { class: 'muted' }, h('a', { href: `#/signin?next=/posts/${post.id}` }, t('post.signInToComment'))));

  async function load() {
    const all = await pb.collection('comments').getFullList({
      filter: pb.filter('post = {:post}', { post: post.id }), sort: 'created', expand: 'author',
    });
    if (signal.aborted) return;
    // A reply's parent may not be in the list (hidden, or by someone I
    // block): its replies still show, under a stand-in for it, so what is
    // drawn is what the heading counts.
    const listed = new Set(all.map((c) => c.id));
    const top = [];
    const replies = new Map();
    for (const c of all) {
      if (!c.parent) {
        top.push([keyOf(c), () => commentItem(post, c, reload)]);
        continue;
      }
      if (!listed.has(c.parent) && !replies.has(c.parent)) top.push([`unlisted:${c.parent}`, () => unlistedParent(c.parent)]);
      replies.set(c.parent, [...(replies.get(c.parent) || []), c]);
    }
    heading.textContent = `${t('post.comments')} (${fmtNumber(all.length)})`;
    // reconcile instead of redrawing, so an open reply or edit form (and
    // its focus) survives a live update
    reconcile(list, top);
    for (const li of list.querySelectorAll(':scope > li.comment')) {
      const mine = replies.get(li.dataset.id) || [];
      reconcile(li.querySelector(':scope > ol.replies'), mine.map((r) => [keyOf(r), () => commentItem(post, r, reload)]));
    }
    list.querySelector(':scope > li.empty')?.remove();
    if (!all.length) list.append(h('li', { class: 'muted empty' }, t('post.noComments')));
  }
  async function reload() {
    await load();
    onChange();
  }
  return { section, load };
}

const keyOf = (/** @type {CommentsRecord} */ c) => `${c.id}:${c.updated}:${c.is_visible}`;

/** The place of a comment I do not get, holding the replies to it that I do. */
function unlistedParent(id) {
  return h('li', { class: 'comment unlisted', dataset: { id } },
    h('p', { class: 'meta muted' }, t('post.unlistedComment')),
    h('ol', { class: 'replies' }));
}

/**
 * @param {PostsRecord} post
 * @param {CommentsRecord} comment read with expand author
 * @param {() => Promise<void>} reload
 */
function commentItem(post, comment, reload) {
  const user = me();
  const mine = !!user && comment.author === user.id;
  const body = richText(comment.content);
  const files = h('div', { class: 'attachments' });
  if (comment.is_file_attached) showFiles(files, comment, 'attachments').catch(() => {});
  const tools = h('div', { class: 'comment-tools' });
  const li = h('li', { class: `comment${comment.is_visible ? '' : ' hidden-post'}`, id: `comment-${comment.id}`, dataset: { id: comment.id } },
    h('p', { class: 'meta' }, bylineAvatar(comment), h('strong', {}, authorOf(comment)), time(comment.created),
      comment.is_visible ? null : h('span', { class: 'badge warn', title: t('post.hiddenComment') }, t('common.hidden'))),
    body, files, tools);

  if (user && !comment.parent) {
    tools.append(h('button', { type: 'button', class: 'link-button', onclick: () => {
      const existing = li.querySelector(':scope > form.reply');
      if (existing) { existing.querySelector('textarea').focus(); return; }
      const f = commentForm(post, comment, reload);
      li.insertBefore(f, li.querySelector(':scope > ol'));
      f.querySelector('textarea').focus();
    } }, t('post.reply')));
  }
  const failed = (err) => {
    if (signedOut(err)) return;
    tools.querySelector(':scope > .inline-error')?.remove();
    tools.append(h('span', { class: 'inline-error', role: 'alert' }, errorMessage(err)));
  };
  // as for posts: moderators do not reword a member's comment
  if (mine) tools.append(h('button', { type: 'button', class: 'link-button', onclick: () => editComment(comment, body, reload) }, t('common.edit')));
  if (mine || isAdmin()) {
    tools.append(
      h('button', { type: 'button', class: 'link-button danger', onclick: async () => {
        if (!window.confirm(t('post.confirmDeleteComment'))) return;
        try {
          await pb.collection('comments').delete(comment.id);
          await reload();
        } catch (err) {
          failed(err);
        }
      } }, t('common.delete')));
  }
  if (isAdmin()) {
    // moderation: a hidden comment stays for admins and its author (marked),
    // guests and other members no longer get it
    const toggle = h('button', { type: 'button', class: 'link-button', onclick: async () => {
      toggle.disabled = true;
      try {
        await pb.collection('comments').update(comment.id, { is_visible: !comment.is_visible });
        await reload();
      } catch (err) {
        failed(err);
      } finally {
        toggle.disabled = false;
      }
    } }, comment.is_visible ? t('post.hideComment') : t('post.unhideComment'));
    tools.append(toggle);
  }
  const report = reportButton('comment', comment.id, { authorId: comment.author });
  if (report) tools.append(report);
  if (!comment.parent) li.append(h('ol', { class: 'replies' }));
  return li;
}

/**
 * @param {CommentsRecord} comment
 * @param {HTMLElement} body
 * @param {() => Promise<void>} reload
 */
function editComment(comment, body, reload) {
  const text = attachMentions(limit(h('textarea', { name: 'content', rows: 3, required: true, value: comment.content }), 2000));
  const f = form({ class: 'comment-edit' }, field(t('post.editComment'), text),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, t('common.save')),
      h('button', { type: 'button', onclick: () => f.replaceWith(body) }, t('common.cancel'))));
  f.addEventListener('submit', (e) => {
    e.preventDefault();
    submitting(f, async () => {
      await pb.collection('comments').update(comment.id, { content: text.value });
      await reload();
    });
  });
  body.replaceWith(f);
  text.focus();
}

/**
 * @param {PostsRecord} post
 * @param {CommentsRecord | null} parent the comment replied to
 * @param {() => Promise<void>} reload
 * @param {(err: any) => void} [onFailed]
 */
function commentForm(post, parent, reload, onFailed) {
  const text = attachMentions(limit(h('textarea', { name: 'content', rows: 3, required: true }), 2000));
  const f = form({ class: parent ? 'reply' : 'comment-new' },
    field(parent ? t('post.replyLabel', { name: parent.anonymous_label || userName(parent.expand?.author) }) : t('post.newComment'), text),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, parent ? t('post.sendReply') : t('post.sendComment'))));
  f.addEventListener('submit', (e) => {
    e.preventDefault();
    submitting(f, async () => {
      const sent = text.value;
      const body = { post: post.id, content: sent };
      if (parent) body.parent = parent.id;
      await pb.collection('comments').create(body).catch((err) => {
        onFailed?.(err);
        throw err;
      });
      clearSent(text, sent);
      if (parent) f.remove();
      await reload();
    });
  });
  return f;
}

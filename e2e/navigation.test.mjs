// Journeys of a reader who moves on while the server is still answering: a
// page left while it waits draws nothing where the reader went and stops
// what it follows; a save finished after the writer left does not pull them
// back; a comment or chat message sent keeps what was typed meanwhile; and
// Back gets past the sign-in a members-only page sent a signed-out reader to.
// Each slow answer is held (holdAnswers) until the test releases it.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, journey, signInUI, eventually, createMember, signedIn, requireCollections, holdAnswers, LIVE_MS } from './lib/harness.mjs';

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Lets the page run what a finished answer queued (only after its response event). */
const settle = (page) => page.evaluate(() => new Promise((r) => setTimeout(r, 0)));

/** The page's realtime subscriptions (the SDK's topics, options left off). */
const topics = (page) => page.evaluate(async () => {
  const { pb } = await import('/js/pb.js');
  return Object.entries(pb.realtime.subscriptions || {}).filter(([, listeners]) => listeners.length).map(([key]) => key.split('?')[0]);
});

journey('a post left for 내 스크랩 while it loads draws nothing under the bookmarks and follows nothing', async (j) => {
  const { url, su } = server;
  const board = server.board('자유게시판');
  const reader = { name: '떠난독자', email: 'left-post@madang.test', password: 'left-post-1234' };
  const user = await createMember(url, reader);
  // the reader's own post: open, it shows 수정 and 삭제 besides 좋아요
  const post = await su.collection('posts').create({ board: board.id, author: user.id, title: '늦게 오는 글의 제목', content: '이 글은 천천히 옵니다.', is_visible: true });

  const page = await j.page(browser, 'reader');
  await signInUI(page, url, reader.email, reader.password);
  await page.getByRole('heading', { name: '마당 소식' }).waitFor();

  // the post's record is slow: the page waits for it…
  const postURL = `**/api/collections/posts/records/${post.id}?*`;
  const slow = holdAnswers(page, postURL, 'GET');
  await slow.installed;
  await page.goto(`${url}/#/posts/${post.id}`);
  assert.equal(await slow.reached, 200);
  // …and the reader opens 내 스크랩 meanwhile
  await page.locator('.bookmarks-link').click();
  await page.getByRole('heading', { name: '내 스크랩' }).waitFor();
  await page.locator('.bookmark-list .empty').waitFor(); // the bookmarks page has drawn its (empty) list

  // the post's answer arrives; the post view draws (into its own element)
  // and then reads its comments: that read is the sentinel
  const answered = page.waitForResponse((r) => r.url().includes(`/api/collections/posts/records/${post.id}?`) && r.request().method() === 'GET');
  const commentsRead = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/collections/comments/records' && r.request().method() === 'GET');
  const subscribed = page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/api/realtime' && (r.postData() || '').includes(`posts/${post.id}`));
  slow.release();
  assert.equal((await answered).status(), 200);
  assert.equal((await commentsRead).status(), 200);
  await settle(page);

  // nothing of the post is in the document: the bookmarks page is all there is
  assert.equal(await page.getByRole('heading', { name: post.title }).count(), 0, 'the post\'s heading under the bookmarks page');
  assert.equal(await page.locator('form.comment-new').count(), 0, 'a live comment form under the bookmarks page');
  assert.equal(await page.locator('article.post, button.like').count(), 0, 'the post or its like button under the bookmarks page');
  assert.equal(await page.locator('main').getByRole('button', { name: '삭제' }).count(), 0, 'the post\'s 삭제 button');
  assert.equal(await page.locator('main').getByRole('link', { name: '수정' }).count(), 0, 'the post\'s 수정 link');
  assert.deepEqual(await page.locator('h1').allTextContents(), ['내 스크랩']);
  assert.equal(await page.title(), '내 스크랩 · 마당');
  assert.equal(await page.evaluate(() => location.hash), '#/bookmarks');

  // what the left page subscribed to afterwards stopped at once
  await subscribed;
  await eventually(async () => {
    const left = (await topics(page)).filter((k) => k === `posts/${post.id}` || k.startsWith('comments/') || k === `boards/${board.id}`);
    return left.length === 0;
  }, { message: 'the left post page\'s subscriptions to end' });
  await page.unroute(postURL);
  await j.screenshot(page, 'last-step');
});

journey('a post published while the writer went on to 채팅 is saved, and the writer stays on 채팅', async (j) => {
  const { url, su } = server;
  await requireCollections(su, ['chat_sessions', 'chats'], 'pb_migrations/1795900200_chat.go');
  const board = server.board('자유게시판');
  const writer = { name: '바쁜작가', email: 'busy-writer@madang.test', password: 'busy-writer-1234' };
  const user = await createMember(url, writer);
  const title = '느린 저장으로 올린 글';

  const page = await j.page(browser, 'writer');
  await signInUI(page, url, writer.email, writer.password);
  await page.goto(`${url}/#/boards/${board.id}/new`);
  await page.getByLabel('제목').fill(title);
  await page.getByLabel('내용').fill('저장이 오래 걸리는 동안 채팅으로 갑니다.');

  // the save reaches the server at once; its answer waits
  const saveURL = '**/api/collections/posts/records';
  const save = holdAnswers(page, saveURL, 'POST');
  await save.installed;
  await page.getByRole('button', { name: '등록' }).click();
  assert.equal(await save.reached, 200);
  // the writer goes to 채팅 before the answer comes
  await page.locator('.site-nav').getByRole('link', { name: '채팅' }).click();
  await page.getByRole('button', { name: '고객 지원 대화 열기' }).waitFor();

  const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/collections/posts/records' && r.request().method() === 'POST');
  save.release();
  const response = await answered;
  assert.equal(response.status(), 200);
  const saved = await response.json();
  await response.finished();
  await settle(page);

  // the save happened…
  const stored = await su.collection('posts').getOne(saved.id);
  assert.equal(stored.title, title);
  assert.equal(stored.author, user.id);
  assert.equal(stored.board, board.id);
  // …and did not take the writer to the post
  assert.equal(await page.evaluate(() => location.hash), '#/chat');
  await page.getByRole('button', { name: '고객 지원 대화 열기' }).waitFor();
  assert.equal(await page.getByRole('heading', { name: title }).count(), 0);
  await page.unroute(saveURL);
  await j.screenshot(page, 'last-step');
});

journey('a comment and a chat message sent keep in their box what was typed while they were sending', async (j) => {
  const { url, su } = server;
  await requireCollections(su, ['chat_sessions', 'chats'], 'pb_migrations/1795900200_chat.go');
  const board = server.board('자유게시판');
  const member = { name: '이어쓰기회원', email: 'keep-typing@madang.test', password: 'keep-typing-1234' };
  const user = await createMember(url, member);
  const post = await su.collection('posts').create({ board: board.id, author: user.id, title: '이어서 쓰는 댓글', content: '댓글을 보내는 동안 다음 말을 씁니다.', is_visible: true });
  const client = await signedIn(url, member.email, member.password);
  const session = await client.collection('chat_sessions').create({ name: '이어쓰기 문의', kind: 'support', information: '' });

  const page = await j.page(browser, 'member');
  await signInUI(page, url, member.email, member.password);

  // a comment: its create waits; the member types on meanwhile
  await page.goto(`${url}/#/posts/${post.id}`);
  await page.getByRole('heading', { name: post.title }).waitFor();
  const commentsURL = '**/api/collections/comments/records*';
  const commentSave = holdAnswers(page, commentsURL, 'POST');
  await commentSave.installed;
  const box = page.getByLabel('댓글 쓰기');
  await box.fill('먼저 보낸 댓글');
  await page.getByRole('button', { name: '댓글 등록' }).click();
  assert.equal(await commentSave.reached, 200);
  await box.focus();
  await page.keyboard.press('End');
  await page.keyboard.type(' 보내는 동안 쓴 말');
  assert.equal(await box.inputValue(), '먼저 보낸 댓글 보내는 동안 쓴 말');
  commentSave.release();
  await page.locator('.comment', { hasText: '먼저 보낸 댓글' }).waitFor();
  await page.locator('form.comment-new button[type=submit]:not([aria-busy])').waitFor();
  assert.equal(await box.inputValue(), '보내는 동안 쓴 말');
  await page.unroute(commentsURL);
  const comments = await su.collection('comments').getFullList({ filter: su.filter('post = {:p}', { p: post.id }) });
  assert.deepEqual(comments.map((c) => [c.content, c.author]), [['먼저 보낸 댓글', user.id]]);

  // a chat message: the same
  await page.goto(`${url}/#/chat/${session.id}`);
  await page.locator('.chat-pane[data-live="ready"]').waitFor({ timeout: LIVE_MS });
  const chatsURL = '**/api/collections/chats/records*';
  const chatSave = holdAnswers(page, chatsURL, 'POST');
  await chatSave.installed;
  const input = page.getByLabel('메시지', { exact: true });
  await input.fill('먼저 보낸 메시지');
  await input.press('Enter');
  assert.equal(await chatSave.reached, 200);
  await input.focus();
  await page.keyboard.press('End');
  await page.keyboard.type(' 다음 메시지');
  assert.equal(await input.inputValue(), '먼저 보낸 메시지 다음 메시지');
  chatSave.release();
  await page.locator('.message', { hasText: '먼저 보낸 메시지' }).waitFor();
  await page.locator('.chat-input-form button[type=submit]:not([aria-busy])').waitFor();
  assert.equal(await input.inputValue(), '다음 메시지');
  await page.unroute(chatsURL);
  const chats = await su.collection('chats').getFullList({ filter: su.filter('session = {:s}', { s: session.id }) });
  assert.deepEqual(chats.map((c) => [c.content, c.author]), [['먼저 보낸 메시지', user.id]]);
  await j.screenshot(page, 'last-step');
});

journey('Back after signing out on a chat gets past the sign-in it was sent to', async (j) => {
  const { url, su } = server;
  await requireCollections(su, ['chat_sessions', 'chats'], 'pb_migrations/1795900200_chat.go');
  const member = { name: '뒤로가기회원', email: 'go-back@madang.test', password: 'go-back-1234' };
  await createMember(url, member);
  const client = await signedIn(url, member.email, member.password);
  const session = await client.collection('chat_sessions').create({ name: '뒤로 가기 문의', kind: 'support', information: '' });

  const page = await j.page(browser, 'member');
  // history: #/signin, #/ (after signing in), #/chat/<id>
  await signInUI(page, url, member.email, member.password);
  await page.getByRole('heading', { name: '마당 소식' }).waitFor();
  await page.goto(`${url}/#/chat/${session.id}`);
  await page.locator('.chat-pane[data-live="ready"]').waitFor({ timeout: LIVE_MS });

  // signing out there leads to #/signin
  await page.locator('#signout').click();
  await page.getByRole('heading', { name: '로그인' }).waitFor();
  assert.equal(await page.evaluate(() => location.hash), '#/signin');

  // Back: the chat is for members, so it sends the reader to sign in…
  await page.goBack();
  await page.waitForFunction(() => location.hash.startsWith('#/signin?next='));
  assert.equal(await page.evaluate(() => location.hash), `#/signin?next=${encodeURIComponent(`/chat/${session.id}`)}`);
  await page.getByRole('heading', { name: '로그인' }).waitFor();
  // …in place of the chat's entry: Back again reaches the page before it
  await page.goBack();
  await page.waitForFunction(() => !location.hash.startsWith('#/chat/'));
  assert.equal(await page.evaluate(() => location.hash), '#/', 'Back again returned to the sign-in redirect');
  await page.getByRole('heading', { name: '마당 소식' }).waitFor();
  assert.equal(await page.locator('#signout').count(), 0);
  await j.screenshot(page, 'last-step');
});

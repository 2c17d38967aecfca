// Journeys on how a board page reads, Korean-board style: numbered pages in
// blocks of ten on a desktop (and never a count of the posts: every list
// request says skipTotal), infinite scroll on a phone, "제목 [3]", the same
// order of counts on the list and the post page, a guest's 글쓰기 that signs
// in and comes back, closed boards and missing posts, loading, empty and
// error states, and one journey in English.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import PocketBase from 'pocketbase';
import { startServer, launchBrowser, journey, signInUI, eventually, createMember, signedIn, ADMIN, LIVE_MS } from './lib/harness.mjs';

let server;
let browser;
let big; // a board of MANY posts, all today
let writer;
const MANY = 205; // 11 pages of 20: the second block holds one short page
const DESKTOP = { viewport: { width: 1280, height: 800 } };
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const member = { name: '쪽수회원', email: 'pages@madang.test', password: 'pages-pass-1234' };

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  const { url, su } = server;
  writer = await createMember(url, member);
  big = await su.collection('boards').create({ name: '긴 게시판', read: 'public', write: 'members', information: '글이 많은 게시판', is_visible: true });
  // one after another: posts made in the same millisecond would tie in the newest-first order
  for (let i = 1; i <= MANY; i++) {
    await su.collection('posts').create({ board: big.id, author: writer.id, title: `페이지 글 ${String(i).padStart(3, '0')}`, content: '쪽 나누기 확인용 글', is_visible: true });
  }
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** The posts list requests a page makes (search included), as URLs. */
function recordLists(page) {
  const urls = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname === '/api/collections/posts/records' || u.pathname === '/api/posts/search') urls.push(u);
  });
  return urls;
}

function assertNoCount(urls) {
  assert.ok(urls.length > 0, 'the page listed posts');
  for (const u of urls) {
    assert.match(u.searchParams.get('skipTotal') || '', /^(true|1)$/, `a list request without skipTotal: ${u}`);
  }
}

/** What a guest may list of the board's page n, newest first. */
async function guestPage(board, n) {
  const guest = new PocketBase(server.url);
  return guest.collection('posts').getList(n, 20, { filter: guest.filter('board = {:b}', { b: board.id }), sort: '-is_pinned,-created', skipTotal: true });
}

journey('numbered pages: page 2, then 다음 to the next ten, and no count of the posts', async (j) => {
  const { url } = server;
  const page = await j.page(browser, 'desktop', DESKTOP);
  const lists = recordLists(page);

  // a slow list shows its loading state until the posts come
  let release;
  const gate = new Promise((ok) => { release = ok; });
  await page.route('**/api/collections/posts/records?*', async (route) => { await gate; await route.continue(); });
  await page.goto(`${url}/#/boards/${big.id}`);
  await page.getByRole('heading', { name: '긴 게시판' }).waitFor();
  await page.locator('.list-state .loading').waitFor();
  assert.equal(await page.locator('.post-list').isVisible(), false, 'no empty list box while loading');
  release();
  // page 1: 20 rows, today's times, page numbers 1–10 and 다음
  await eventually(async () => (await page.locator('.post-row').count()) === 20, { message: '20 rows' });
  await page.unroute('**/api/collections/posts/records?*');
  const first = await guestPage(big, 1);
  assert.match(await page.locator('.post-row').first().textContent(), new RegExp(first.items[0].title));
  assert.match((await page.locator('.post-row time').first().textContent()).trim(), /^\d{2}:\d{2}$/, 'a post of today shows its time');
  const numbers = await page.locator('.pager .page-number').allTextContents();
  assert.deepEqual(numbers, ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
  assert.equal(await page.locator('.pager [aria-current="page"]').textContent(), '1');
  assert.equal(await page.locator('.pager .page-step').allTextContents().then((a) => a.join('|')), '다음');

  // page 2: the next twenty
  await page.locator('.pager').getByRole('link', { name: '2쪽' }).click();
  await page.waitForURL(/page=2/);
  const second = await guestPage(big, 2);
  await eventually(async () => (await page.locator('.post-row').first().textContent()).includes(second.items[0].title), { message: 'page 2 rows' });
  assert.equal(await page.locator('.post-row').count(), 20);
  assert.equal(await page.locator('.pager [aria-current="page"]').textContent(), '2');

  // 다음: the first page of the next block (11), the last and short one, then 이전 back to 10
  await page.locator('.pager').getByRole('link', { name: '다음 10쪽' }).click();
  await page.waitForURL(/page=11/);
  const last = await guestPage(big, 11);
  assert.equal(last.items.length, MANY - 200);
  await eventually(async () => (await page.locator('.post-row').count()) === last.items.length, { message: 'page 11 rows' });
  assert.match(await page.locator('.post-row').first().textContent(), new RegExp(last.items[0].title));
  assert.deepEqual(await page.locator('.pager .page-number').allTextContents(), ['11']);
  assert.equal(await page.locator('.pager .page-step').allTextContents().then((a) => a.join('|')), '이전');

  // a page past the end (a count may promise more than a reader gets) says so, without an error
  await page.goto(`${url}/#/boards/${big.id}?page=12`);
  await page.locator('.empty-state', { hasText: '이 쪽에는 보여 드릴 글이 없습니다.' }).waitFor();
  assert.equal(await page.locator('.post-list').isVisible(), false);
  await page.locator('.empty-state').getByRole('link', { name: '첫 쪽으로' }).click();
  await eventually(async () => (await page.locator('.post-row').count()) === 20, { message: 'back on page 1' });

  assertNoCount(lists);
  assert.ok(lists.some((u) => u.searchParams.get('page') === '11'), 'page 11 was requested');
  await j.screenshot(page, 'last-step');
});

journey('infinite scroll on a phone (390×844)', async (j) => {
  const { url } = server;
  const page = await j.page(browser, 'phone', PHONE);
  const lists = recordLists(page);
  await page.goto(`${url}/#/boards/${big.id}`);
  await page.getByRole('heading', { name: '긴 게시판' }).waitFor();
  await eventually(async () => (await page.locator('.post-row').count()) >= 20, { message: 'the first rows' });
  assert.equal(await page.locator('.pager').count(), 0, 'no page numbers on a phone');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);

  // scrolling down brings page after page, without duplicates, up to the end
  for (let seen = 0; seen < MANY;) {
    const before = seen;
    seen = await eventually(async () => {
      await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
      const n = await page.locator('.post-row').count();
      return n > before ? n : 0;
    }, { message: `more than ${before} rows after scrolling` });
  }
  const all = await page.locator('.post-row .post-title').allTextContents();
  assert.equal(all.length, MANY);
  assert.equal(new Set(all).size, MANY, 'no post twice');
  await page.locator('.end-note').waitFor();
  assert.equal(await page.locator('.more-button').isVisible(), false);
  assertNoCount(lists);
  assert.ok(lists.every((u) => Number(u.searchParams.get('page')) <= 11), 'no page past the end was asked for');
  await j.screenshot(page, 'last-step');
});

journey('제목 [3]: the comment count after the title, counts in the same order on list and post', async (j) => {
  const { url } = server;
  const board = server.board('자유게시판');
  const client = await signedIn(url, member.email, member.password);
  const post = await client.collection('posts').create({ board: board.id, title: '댓글 세 개 달린 글', content: '댓글 수 확인' });
  for (const text of ['하나', '둘', '셋']) await client.collection('comments').create({ post: post.id, content: text });
  const stored = await server.su.collection('posts').getOne(post.id);
  assert.equal(stored.comments_count, 3);

  const page = await j.page(browser, 'desktop', DESKTOP);
  await page.goto(`${url}/#/boards/${board.id}`);
  const row = page.locator('.post-row', { hasText: '댓글 세 개 달린 글' });
  await row.waitFor();
  assert.equal((await row.locator('.comment-mark [aria-hidden="true"]').textContent()).trim(), '[3]');
  assert.match(await row.locator('.post-title').textContent(), /댓글 세 개 달린 글\s*\[3\]/);
  const listOrder = await row.locator('.count').evaluateAll((els) => els.map((e) => e.dataset.count));
  assert.deepEqual(listOrder, ['views', 'likes', 'comments']);

  await row.locator('.post-title').click();
  await page.getByRole('heading', { name: '댓글 세 개 달린 글' }).waitFor();
  const postOrder = await page.locator('.post .counts .count').evaluateAll((els) => els.map((e) => e.dataset.count));
  assert.deepEqual(postOrder, listOrder);
  await j.screenshot(page, 'last-step');
});

journey('guest 글쓰기 signs in and comes back to the board', async (j) => {
  const { url } = server;
  const board = server.board('자유게시판');
  const notices = server.board('공지사항');
  const page = await j.page(browser, 'guest', DESKTOP);

  // a board only admins write on offers guests nothing to write
  await page.goto(`${url}/#/boards/${notices.id}`);
  await page.getByRole('heading', { name: notices.name }).waitFor();
  await page.locator('.list-state, .post-list').first().waitFor();
  assert.equal(await page.getByRole('link', { name: '글쓰기' }).count(), 0);
  // the footer tells guests nothing about PocketBase
  assert.doesNotMatch(await page.locator('.site-footer').textContent(), /PocketBase|\/_\//);
  assert.equal(await page.locator('.site-footer a[href="/_/"]').count(), 0);

  await page.goto(`${url}/#/boards/${board.id}`);
  await page.getByRole('heading', { name: board.name }).waitFor();
  await page.getByRole('link', { name: '글쓰기' }).click();
  await page.getByRole('heading', { name: '로그인' }).waitFor();
  await page.getByLabel(/이메일 또는 이름/).fill(member.email);
  await page.getByLabel(/^비밀번호$/).fill(member.password);
  await page.getByRole('button', { name: '로그인' }).click();
  await page.waitForURL(new RegExp(`#/boards/${board.id}$`));
  await page.getByRole('heading', { name: board.name }).waitFor();
  const write = page.getByRole('link', { name: '글쓰기' });
  await write.waitFor();
  assert.equal(await write.getAttribute('href'), `#/boards/${board.id}/new`);
  assert.equal(await page.locator('.user-nav .me').textContent(), member.name);
  await j.screenshot(page, 'last-step');
});

journey('guest on a members-only board and on a missing post', async (j) => {
  const { url, su } = server;
  const lounge = await su.collection('boards').create({ name: '회원 전용방', read: 'members', write: 'members', is_visible: true });
  const page = await j.page(browser, 'guest', DESKTOP);

  // a missing post: a clear message and a way back to the boards
  await page.goto(`${url}/#/posts/nosuchpost12345`);
  await page.getByRole('heading', { name: '이 글을 열 수 없습니다' }).waitFor();
  assert.match(await page.locator('.closed-page').textContent(), /회원만 볼 수 있는 글/);
  await page.getByRole('link', { name: '게시판 목록으로' }).click();
  await page.waitForURL(/#\/$/);
  await page.locator('.board-list, .board-item').first().waitFor();

  // the members-only board: sign in, and back on the board
  await page.goto(`${url}/#/boards/${lounge.id}`);
  await page.getByRole('heading', { name: '이 게시판을 열 수 없습니다' }).waitFor();
  assert.equal(await page.locator('.closed-page').getByRole('link', { name: '게시판 목록으로' }).getAttribute('href'), '#/');
  await page.getByRole('link', { name: '로그인하고 보기' }).click();
  await page.getByRole('heading', { name: '로그인' }).waitFor();
  await page.getByLabel(/이메일 또는 이름/).fill(member.email);
  await page.getByLabel(/^비밀번호$/).fill(member.password);
  await page.getByRole('button', { name: '로그인' }).click();
  await page.waitForURL(new RegExp(`#/boards/${lounge.id}$`));
  await page.getByRole('heading', { name: '회원 전용방' }).waitFor();
  // an empty board: a sentence and an invitation, not an empty box
  await page.locator('.empty-state', { hasText: '아직 글이 없습니다.' }).waitFor();
  assert.equal(await page.locator('.post-list').isVisible(), false);
  assert.equal(await page.locator('.empty-state').getByRole('link', { name: '첫 글을 써 보세요.' }).getAttribute('href'), `#/boards/${lounge.id}/new`);
  await j.screenshot(page, 'last-step');
}, { allowConsole: [/status of 404/] }); // the missing post and the closed board answer 404

journey('a mangled link (a malformed %-escape) shows the page-not-found page', async (j) => {
  const { url } = server;
  const page = await j.page(browser, 'guest', DESKTOP);
  // on a fresh load, and on a navigation from a page already shown
  await page.goto(`${url}/#/boards/%E0%A4%A`);
  await page.getByRole('heading', { name: '없는 페이지입니다.' }).waitFor();
  await page.goto(`${url}/#/boards/${big.id}`);
  await page.getByRole('heading', { name: '긴 게시판' }).waitFor();
  for (const hash of ['#/posts/%', '#/users/%zz', `#/boards/${big.id}`, '#/posts/%E0%A4%A/edit']) {
    await page.evaluate((h) => { location.hash = h; }, hash);
    const name = hash === `#/boards/${big.id}` ? '긴 게시판' : '없는 페이지입니다.';
    await page.getByRole('heading', { name }).waitFor();
    assert.equal(await page.locator('main h1').count(), 1, `${hash}: one page shown`);
  }
  await page.locator('main').getByRole('link', { name: '게시판' }).click();
  await page.waitForURL(/#\/$/);
  // a path of two segments: the page loads its styles and script by absolute URL
  // (until 2026-12-04 a blank, unstyled page: they resolved under /posts/)
  for (const path of ['/posts/abc', '/boards/', `/foo/bar#/boards/${big.id}`]) {
    await page.goto(`${url}${path}`);
    await page.locator('.user-nav').waitFor();
    const styled = await page.evaluate(() => [...document.styleSheets].some((s) => s.href?.endsWith('/css/app.css') && s.cssRules.length > 0));
    assert.ok(styled, `${path}: the styles applied`);
    if (path.includes('#')) await page.getByRole('heading', { name: '긴 게시판' }).waitFor();
  }
  await j.screenshot(page, 'last-step');
}); // a page error (URIError) would fail the journey

journey('admins hide and pin a member\'s post but do not edit it; the footer keeps their dashboard link', async (j) => {
  const { url } = server;
  const board = server.board('자유게시판');
  const client = await signedIn(url, member.email, member.password);
  const theirs = await client.collection('posts').create({ board: board.id, title: '회원이 쓴 글', content: '운영자가 고쳐 쓰면 안 되는 글' });
  const admin = await signedIn(url, ADMIN.email, ADMIN.password);
  const own = await admin.collection('posts').create({ board: board.id, title: '운영자가 쓴 글', content: '운영자 본인 글' });

  const page = await j.page(browser, 'admin', DESKTOP);
  await signInUI(page, url, ADMIN.email, ADMIN.password);
  await page.goto(`${url}/#/posts/${theirs.id}`);
  await page.getByRole('heading', { name: '회원이 쓴 글' }).waitFor();
  const actions = page.locator('.post .actions');
  await actions.getByRole('button', { name: '숨기기' }).waitFor();
  await actions.getByRole('button', { name: '고정하기' }).waitFor();
  assert.equal(await actions.getByRole('link', { name: '수정' }).count(), 0, 'no Edit on a member\'s post');
  assert.equal(await page.locator('.site-footer a[href="/_/"]').count(), 1);

  await page.goto(`${url}/#/posts/${own.id}`);
  await page.getByRole('heading', { name: '운영자가 쓴 글' }).waitFor();
  await page.locator('.post .actions').getByRole('link', { name: '수정' }).waitFor();
  await j.screenshot(page, 'last-step');
});

journey('the edit page of someone else\'s post refuses, for a member and for an admin; the writer gets the form', async (j) => {
  const { url, su } = server;
  const board = server.board('자유게시판');
  const client = await signedIn(url, member.email, member.password);
  const theirs = await client.collection('posts').create({ board: board.id, title: '남이 고칠 수 없는 글', content: '쓴 사람만 고친다' });
  const other = { name: '다른회원', email: 'other-editor@madang.test', password: 'other-pass-1234' };
  await createMember(url, other);

  for (const [label, who] of [['member', other], ['admin', ADMIN]]) {
    const page = await j.page(browser, label, DESKTOP);
    await signInUI(page, url, who.email, who.password);
    await page.goto(`${url}/#/posts/${theirs.id}/edit`);
    await page.getByRole('heading', { name: '글 수정' }).waitFor();
    await page.locator('.notice', { hasText: '이 글은 쓴 사람만 고칠 수 있습니다.' }).waitFor();
    assert.equal(await page.locator('main form, main input, main textarea').count(), 0, `${label}: no form`);
    await page.getByRole('link', { name: '글로 돌아가기' }).click();
    await page.getByRole('heading', { name: '남이 고칠 수 없는 글' }).waitFor();
  }
  const writerPage = await j.page(browser, 'writer', DESKTOP);
  await signInUI(writerPage, url, member.email, member.password);
  await writerPage.goto(`${url}/#/posts/${theirs.id}/edit`);
  assert.equal(await writerPage.getByLabel('제목').inputValue(), '남이 고칠 수 없는 글');
  await writerPage.getByLabel('제목').fill('쓴 사람이 고친 글');
  await writerPage.getByRole('button', { name: '저장' }).click();
  await writerPage.getByRole('heading', { name: '쓴 사람이 고친 글' }).waitFor();
  assert.equal((await su.collection('posts').getOne(theirs.id)).title, '쓴 사람이 고친 글');
  await j.screenshot(writerPage, 'last-step');
});

journey('board pages in English: page numbers, states and footer', async (j) => {
  const { url, su } = server;
  const empty = await su.collection('boards').create({ name: 'Quiet board', read: 'public', write: 'members', is_visible: true });
  const page = await j.page(browser, 'english', { ...DESKTOP, locale: 'en-US' });
  await page.addInitScript(() => localStorage.setItem('madang.lang', 'en'));

  // a list that fails shows an error with a retry, which then works
  await page.route('**/api/collections/posts/records?*', (route) => route.abort());
  await page.goto(`${url}/#/boards/${big.id}`);
  const error = page.locator('.list-state .notice-error');
  await error.waitFor();
  assert.match(await error.textContent(), /The posts could not be loaded/);
  await page.unroute('**/api/collections/posts/records?*');
  await error.getByRole('button', { name: 'Try again' }).click();
  await eventually(async () => (await page.locator('.post-row').count()) === 20, { message: '20 rows after retrying' });
  await page.locator('.pager').getByRole('link', { name: 'Next 10 pages' }).waitFor();
  assert.equal((await page.locator('.pager .page-step').textContent()).trim(), 'Next');
  assert.equal(await page.getByRole('link', { name: 'Write' }).getAttribute('href'), `#/signin?next=${encodeURIComponent(`/boards/${big.id}`)}`);
  assert.match(await page.locator('.site-footer').textContent(), /Madang — a place to talk together/);
  assert.doesNotMatch(await page.locator('.site-footer').textContent(), /PocketBase/);

  await page.goto(`${url}/#/boards/${empty.id}`);
  await page.locator('.empty-state', { hasText: 'No posts yet.' }).waitFor();
  await page.goto(`${url}/#/posts/nosuchpost12345`);
  await page.getByRole('heading', { name: 'This post cannot be opened' }).waitFor();
  await page.getByRole('link', { name: 'Sign in to read' }).waitFor();
  await page.getByRole('link', { name: 'Back to the boards' }).waitFor();
  await j.screenshot(page, 'last-step');
}, { allowConsole: [/status of 404/, /ERR_FAILED/] }); // the missing post; the aborted list

journey('a revoked grant closes the member\'s open board page and post page', async (j) => {
  const { url, su } = server;
  const board = await su.collection('boards').create({ name: '허가게시판', read: 'granted', write: 'granted', is_visible: true });
  const member = { name: '허가회원', email: 'granted-open@madang.test', password: 'granted-open-1234' };
  const record = await createMember(url, member);
  await su.collection('users').update(record.id, { 'boards+': board.id });
  const m = await signedIn(url, member.email, member.password);
  const post = await m.collection('posts').create({ board: board.id, title: '허가받은 글', content: '허가받은 사람만 읽는 글' });

  const page = await j.page(browser, 'member');
  await signInUI(page, url, member.email, member.password);
  await page.goto(`${url}/#/boards/${board.id}`);
  await page.locator('.post-row', { hasText: '허가받은 글' }).waitFor();
  const postTab = await page.context().newPage();
  await postTab.goto(`${url}/#/posts/${post.id}`);
  await postTab.getByRole('heading', { name: '허가받은 글' }).waitFor();
  await postTab.locator('form.comment-new').waitFor();

  // the admin revokes the grant: the server sends no event of the board or
  // the post to who can no longer read them, only of the member's own record
  await su.collection('users').update(record.id, { 'boards-': board.id });
  await page.locator('[data-closed="board"]').waitFor({ timeout: LIVE_MS });
  assert.equal(await page.locator('.post-row').count(), 0);
  await postTab.getByText('이 글은 지워졌습니다.').waitFor({ timeout: LIVE_MS });
  assert.equal(await postTab.locator('form.comment-new').count(), 0);
}, { allowConsole: [/Failed to load resource: the server responded with a status of 404/] });

// Journeys on the boards: sign-up, sign-in, a post with an attachment,
// comments (seen live by a second browser), likes and counts; the board
// page on a phone.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import PocketBase from 'pocketbase';
import { startServer, launchBrowser, journey, signInUI, eventually, createMember, signedIn, ADMIN, LIVE_MS, PHONE } from './lib/harness.mjs';

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

const member = { name: '새싹회원', email: 'saessak@madang.test', password: 'saessak-pass-1234' };
const title = '첫 글입니다: 첨부 파일과 함께';
// a Hangul name with a space: stored and shown as 견적서_12월.txt (until 2026-12-04 as <random>.txt)
const attachment = { name: '견적서 12월.txt', mimeType: 'text/plain', buffer: Buffer.from('마당 첨부 파일 내용\n') };

journey('sign-up, sign-in, post with attachment, comment, like, counts', async (j) => {
  const { url, su } = server;
  const board = server.board('자유게시판');
  const page = await j.page(browser, 'member');
  const watcher = await j.page(browser, 'guest');

  // sign up: signed in at once
  await page.goto(`${url}/#/signup`);
  await page.getByLabel('이름').fill(member.name);
  await page.getByLabel('이메일').fill(member.email);
  await page.getByLabel('비밀번호', { exact: true }).fill(member.password);
  await page.getByLabel('비밀번호 확인').fill(member.password);
  await page.getByRole('button', { name: '가입하기' }).click();
  await page.locator('#signout').waitFor();
  const user = await su.collection('users').getFirstListItem(su.filter('email = {:e}', { e: member.email }));
  assert.equal(user.name, member.name);
  assert.equal(user.role, 'member');

  // sign out, then sign in with the name
  await page.locator('#signout').click();
  await page.getByRole('heading', { name: '로그인' }).waitFor();
  await signInUI(page, url, member.name, member.password);
  await assertText(page.locator('.user-nav .me'), member.name);

  // the board list says I can write on the free board; write a post with a file
  await page.goto(`${url}/#/`);
  const card = page.locator('.board-item', { hasText: board.name });
  await assertText(card, '글쓰기 가능');
  await card.getByRole('link', { name: board.name }).click();
  await page.getByRole('link', { name: '글쓰기' }).click();
  await page.getByLabel('제목').fill(title);
  await page.getByLabel('내용').fill('안녕하세요.\n마당에 처음 쓰는 글입니다.');
  await page.getByLabel('파일 첨부').setInputFiles(attachment);
  await page.getByRole('button', { name: '등록' }).click();
  await page.getByRole('heading', { name: title }).waitFor();
  const fileLink = page.getByRole('link', { name: '견적서_12월.txt' });
  await fileLink.waitFor();
  assert.equal(await fileLink.getAttribute('download'), '견적서_12월.txt');
  // the protected file downloads with the token in its URL
  const href = await fileLink.getAttribute('href');
  assert.match(href, /[?&]token=/);
  const body = await page.evaluate(async (u) => (await fetch(u)).text(), href);
  assert.equal(body, '마당 첨부 파일 내용\n');

  const post = await su.collection('posts').getFirstListItem(su.filter('title = {:t}', { t: title }));
  assert.equal(post.author, user.id);
  assert.equal(post.board, board.id);
  assert.equal(post.attachments.length, 1);
  assert.match(post.attachments[0], /^견적서_12월_[a-z0-9]{10}\.txt$/);
  assert.equal(post.is_file_attached, true);

  // a second browser (a guest) has the post open
  await watcher.goto(`${url}/#/posts/${post.id}`);
  await watcher.getByRole('heading', { name: title }).waitFor();
  await assertText(watcher.locator('.comments'), '아직 댓글이 없습니다');

  // comment, and a reply to it
  await page.getByLabel('댓글 쓰기').fill('첫 댓글이에요');
  await page.getByRole('button', { name: '댓글 등록' }).click();
  await page.locator('.comment', { hasText: '첫 댓글이에요' }).waitFor();
  await page.locator('.comment', { hasText: '첫 댓글이에요' }).getByRole('button', { name: '답글' }).click();
  await page.getByLabel(`${member.name} 님에게 답글`).fill('스스로 답글');
  await page.getByRole('button', { name: '답글 등록' }).click();
  await page.locator('.replies .comment', { hasText: '스스로 답글' }).waitFor();

  // the guest sees both without reloading
  await watcher.locator('.comment', { hasText: '첫 댓글이에요' }).waitFor({ timeout: LIVE_MS });
  await watcher.locator('.replies .comment', { hasText: '스스로 답글' }).waitFor({ timeout: LIVE_MS });

  // like: the button turns pressed and the count shows it
  await page.getByRole('button', { name: '좋아요', exact: true }).click();
  await page.locator('button.like[aria-pressed="true"]').waitFor();
  await assertText(page.locator('[data-count="likes"] .n'), '1', { exact: true });
  await assertText(page.locator('[data-count="comments"] .n'), '2', { exact: true });
  // unlike and like again: the count follows both ways
  await page.getByRole('button', { name: '좋아요', exact: true }).click();
  await page.locator('button.like[aria-pressed="false"]').waitFor();
  await assertText(page.locator('[data-count="likes"] .n'), '0', { exact: true });
  assert.equal((await su.collection('post_likes').getList(1, 1, { filter: su.filter('post = {:p}', { p: post.id }) })).totalItems, 0);
  await page.getByRole('button', { name: '좋아요', exact: true }).click();
  await page.locator('button.like[aria-pressed="true"]').waitFor();
  await assertText(page.locator('[data-count="likes"] .n'), '1', { exact: true });
  // and the guest's counts follow live
  await assertText(watcher.locator('[data-count="likes"] .n'), '1', { exact: true });
  await assertText(watcher.locator('[data-count="comments"] .n'), '2', { exact: true });

  // what the database holds
  const saved = await su.collection('posts').getOne(post.id);
  assert.equal(saved.likes_count, 1);
  assert.equal(saved.comments_count, 2);
  const comments = await su.collection('comments').getFullList({ filter: su.filter('post = {:p}', { p: post.id }), sort: 'created' });
  assert.deepEqual(comments.map((c) => [c.content, c.author]), [['첫 댓글이에요', user.id], ['스스로 답글', user.id]]);
  assert.equal(comments[1].parent, comments[0].id);
  const likes = await su.collection('post_likes').getFullList({ filter: su.filter('post = {:p}', { p: post.id }) });
  assert.deepEqual(likes.map((l) => l.user), [user.id]);

  // edit: a new title, and the attachment removed
  await page.getByRole('link', { name: '수정' }).click();
  await page.getByLabel('제목').fill(`${title} (고침)`);
  await page.getByLabel('견적서_12월.txt 지우기').check();
  await page.getByRole('button', { name: '저장' }).click();
  await page.getByRole('heading', { name: `${title} (고침)` }).waitFor();
  const edited = await su.collection('posts').getOne(post.id);
  assert.equal(edited.title, `${title} (고침)`);
  assert.deepEqual(edited.attachments, []);
  assert.equal(edited.is_file_attached, false);

  // search (the server's /api/posts/search): every word must match, anywhere
  // in the title or content, so two words that are not next to each other
  // (and not in that order) find the post
  await page.goto(`${url}/#/boards/${board.id}`);
  await page.locator('.pager [aria-current="page"]').waitFor(); // drawn once the list has loaded
  const searchbox = page.getByRole('searchbox');
  const searched = page.waitForResponse((r) => r.url().includes('/api/posts/search?') && r.status() === 200);
  await searchbox.fill('처음 안녕하세요');
  await page.getByRole('button', { name: '검색' }).click();
  const searchURL = new URL((await searched).url());
  assert.equal(searchURL.searchParams.get('q'), '처음 안녕하세요');
  assert.equal(searchURL.searchParams.get('board'), board.id);
  assert.equal(searchURL.searchParams.get('sort'), '-is_pinned,-created');
  await page.locator('.post-row', { hasText: title }).waitFor();
  await page.getByText('“처음 안녕하세요” 검색 결과').waitFor();
  // another sort keeps the search
  await page.getByLabel('정렬').selectOption('likes');
  await page.waitForURL(/sort=likes/);
  assert.match(page.url(), /[?&]q=/);
  await page.locator('.post-row', { hasText: title }).waitFor();
  // one word the post lacks: nothing found, the empty state says so
  await searchbox.fill('안녕하세요 없는낱말');
  await page.getByRole('button', { name: '검색' }).click();
  await page.locator('.empty-state', { hasText: '검색 결과가 없습니다' }).waitFor();
  assert.equal(await page.locator('.post-row').count(), 0);
  // comments (the server's /api/comments/search): 댓글 as the search's scope
  // finds the comment, not the reply without the word, and links to it
  await page.getByLabel('검색 범위').selectOption('comments');
  const commentsSearched = page.waitForResponse((r) => r.url().includes('/api/comments/search?') && r.status() === 200);
  await searchbox.fill('첫 댓글');
  await page.getByRole('button', { name: '검색' }).click();
  const commentsURL = new URL((await commentsSearched).url());
  assert.equal(commentsURL.searchParams.get('q'), '첫 댓글');
  assert.equal(commentsURL.searchParams.get('board'), board.id);
  await page.getByText('“첫 댓글” 댓글 검색 결과').waitFor();
  const foundComment = page.locator('.comment-result', { hasText: '첫 댓글이에요' });
  await foundComment.waitFor();
  assert.equal(await page.locator('.comment-result').count(), 1);
  await foundComment.getByText(`글: ${title} (고침)`).waitFor();
  assert.equal(await page.getByLabel('정렬').isVisible(), false); // comments come newest first
  await j.screenshot(page, 'comment-search');
  await foundComment.getByRole('link', { name: '첫 댓글이에요' }).click();
  await page.waitForURL((u) => u.hash === `#/posts/${post.id}?comment=${comments[0].id}`);
  await page.locator(`#comment-${comments[0].id}`).waitFor();
  // a long comment's result shows the stretch around the word found, and
  // crossing the phone width keeps the search on comments
  const author = new PocketBase(url);
  await author.collection('users').authWithPassword(member.email, member.password);
  const long = await author.collection('comments').create({ post: post.id, content: `${'앞부분 '.repeat(30)}꼬리낱말 😀 끝` });
  await page.goto(`${url}/#/boards/${board.id}?q=${encodeURIComponent('꼬리낱말')}&in=comments`);
  const longRow = page.locator('.comment-result', { hasText: '꼬리낱말' });
  await longRow.waitFor();
  assert.match(await longRow.locator('.post-title').innerText(), /^…[앞부분 ]+꼬리낱말 😀 끝$/);
  const viewport = page.viewportSize();
  const redrawn = page.waitForResponse((r) => r.url().includes('/search?') && r.status() === 200);
  await page.setViewportSize({ width: 390, height: 800 });
  assert.match((await redrawn).url(), /\/api\/comments\/search\?/);
  await longRow.waitFor();
  assert.match(page.url(), /[?&]in=comments/);
  const back = page.waitForResponse((r) => r.url().includes('/api/comments/search?') && r.status() === 200);
  await page.setViewportSize(viewport);
  await back;
  await author.collection('comments').delete(long.id);
  // a search the server refuses (q over 200 characters): its message shows next to the field
  await page.goto(`${url}/#/boards/${board.id}?q=${'가'.repeat(201)}`);
  const searchError = page.locator('form[role=search] .inline-error');
  await searchError.getByText(/1–200 characters/).waitFor();
  assert.equal(await searchbox.getAttribute('aria-invalid'), 'true');
  assert.equal(await page.locator('.post-row').count(), 0);

  // the board list shows the post with its counts
  await page.goto(`${url}/#/boards/${board.id}`);
  const row = page.locator('.post-row', { hasText: title });
  await row.waitFor();
  await assertText(row.locator('[data-count="likes"] .n'), '1', { exact: true });
  await assertText(row.locator('[data-count="comments"] .n'), '2', { exact: true });
  await j.screenshot(watcher, 'guest-live');
  await j.screenshot(page, 'last-step');
}, { allowConsole: [/status of 400/] }); // the refused search

journey('board page on a phone (390×844)', async (j) => {
  const { url } = server;
  const board = server.board('자유게시판');
  // its own posts (one pinned, by the admin), whatever other journeys did
  const writer = { name: '폰회원', email: 'phone@madang.test', password: 'phone-pass-1234' };
  await createMember(url, writer);
  const client = await signedIn(url, writer.email, writer.password);
  const long = '폰에서 보는 아주 긴 제목입니다 '.repeat(4).trim();
  await client.collection('posts').create({ board: board.id, title: long, content: '좁은 화면에서도 가로로 넘치지 않아야 합니다.' });
  await client.collection('posts').create({ board: board.id, title: '폰 두 번째 글', content: '짧은 글' });
  const admin = await signedIn(url, ADMIN.email, ADMIN.password);
  await admin.collection('posts').create({ board: board.id, title: '폰 고정 공지', content: '고정된 글', is_pinned: true });

  const page = await j.page(browser, 'phone', { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  await page.goto(`${url}/#/boards/${board.id}`);
  await page.getByRole('heading', { name: board.name }).waitFor();
  await page.locator('.post-row', { hasText: long }).waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
  // the rows are what a guest may list, first page, pinned first
  const guest = new PocketBase(url);
  const listed = await guest.collection('posts').getList(1, 20, { filter: guest.filter('board = {:b}', { b: board.id }), sort: '-is_pinned,-created' });
  assert.equal(await page.locator('.post-row').count(), listed.items.length);
  assert.match(await page.locator('.post-row').first().textContent(), /폰 고정 공지/);
  const shot = await j.screenshot(page, 'board-phone');
  assert.ok(shot.endsWith('.png'));
});

/**
 * The controls on the page a finger misses: every link, button, summary and
 * field smaller than 44×44 CSS px (Apple's size, WCAG 2.5.5), except links
 * inside running text, and the board and writer links of a meta line, held
 * to WCAG 2.5.8's 24 px so the line stays one line.
 */
function smallTargets(page) {
  return page.evaluate(() => {
    const small = [];
    for (const el of document.querySelectorAll('a[href], button, summary, select, input:not([type=hidden]), textarea, [role=option]')) {
      const r = el.getBoundingClientRect();
      const style = getComputedStyle(el);
      if (!r.width || !r.height || style.visibility === 'hidden' || el.classList.contains('skip-link')) continue;
      if (el.tagName === 'A' && style.display === 'inline' && el.closest('p, li, .content, .bubble')) continue;
      const least = el.tagName === 'A' && el.closest('.meta, .byline') ? 24 : 44;
      if (r.height < least || r.width < Math.min(least, 44)) {
        small.push(`${el.tagName.toLowerCase()}${el.className ? '.' + el.className.split(' ').join('.') : ''} "${(el.textContent || el.getAttribute('aria-label') || '').trim().slice(0, 20)}" ${Math.round(r.width)}×${Math.round(r.height)}`);
      }
    }
    return small;
  });
}

journey('phone: every control a finger aims at is at least 44×44 px, on each page a member visits', async (j) => {
  const { url } = server;
  const board = server.board('자유게시판');
  const member = { name: '손가락', email: 'finger@madang.test', password: 'finger-pass-1234' };
  const created = await createMember(url, member);
  const client = await signedIn(url, member.email, member.password);
  const post = await client.collection('posts').create({ board: board.id, title: '손가락 글', content: '본문 [링크](https://example.com)' });
  await client.collection('comments').create({ post: post.id, content: '손가락 댓글' });

  const page = await j.page(browser, 'phone', PHONE);
  await signInUI(page, url, member.email, member.password);
  const visits = [
    ['#/', () => page.locator('.home').waitFor()],
    [`#/boards/${board.id}`, () => page.locator('.post-row', { hasText: '손가락 글' }).waitFor()],
    [`#/posts/${post.id}`, () => page.getByText('손가락 댓글').waitFor()],
    ['#/chat', () => page.locator('.sessions[data-live="ready"]').waitFor({ timeout: LIVE_MS })],
    ['#/notifications', () => page.getByRole('heading', { name: '알림' }).waitFor()],
    [`#/users/${created.id}`, () => page.getByRole('heading', { name: member.name }).waitFor()],
    ['#/profile', () => page.getByLabel('이름', { exact: true }).waitFor()],
    ['#/bookmarks', () => page.getByRole('heading', { name: '내 스크랩' }).waitFor()],
  ];
  for (const [hash, drawn] of visits) {
    await page.goto(`${url}/${hash}`);
    await drawn();
    assert.deepEqual(await smallTargets(page), [], `controls under 44×44 px on ${hash}`);
  }
  await j.screenshot(page, 'last-step');
});

async function assertText(locator, text, { exact = false, timeout = LIVE_MS } = {}) {
  await eventually(async () => {
    const got = (await locator.first().textContent({ timeout })) ?? '';
    return exact ? got.trim() === text : got.includes(text);
  }, { timeout, message: `text ${JSON.stringify(text)} in ${locator}` });
}

journey('the post page follows the writer\'s edit, my like from another tab, what happened while the server restarted, and a moderator\'s hide', async (j) => {
  const { url, su } = server;
  const board = server.board('자유게시판');
  const writer = { name: '글쓴회원', email: 'writer-live@madang.test', password: 'writer-live-1234' };
  const reader = { name: '읽는회원', email: 'reader-live@madang.test', password: 'reader-live-1234' };
  await createMember(url, writer);
  const readerRecord = await createMember(url, reader);
  const w = await signedIn(url, writer.email, writer.password);
  const post = await w.collection('posts').create({ board: board.id, title: '처음 제목', content: '처음 본문입니다.' });

  const page = await j.page(browser, 'reader');
  await signInUI(page, url, reader.email, reader.password);
  await page.goto(`${url}/#/posts/${post.id}`);
  await page.getByRole('heading', { name: '처음 제목' }).waitFor();
  // the same reader in two more tabs: the post, and its board
  const other = await page.context().newPage();
  await other.goto(`${url}/#/posts/${post.id}`);
  await other.getByRole('heading', { name: '처음 제목' }).waitFor();
  const boardTab = await page.context().newPage();
  await boardTab.goto(`${url}/#/boards/${board.id}`);
  await boardTab.locator('.post-row', { hasText: '처음 제목' }).waitFor();

  // the writer's edit reaches the open page: title and the rendered text
  await w.collection('posts').update(post.id, { title: '고친 제목', content: '고친 본문에 **굵은 글씨**' });
  await page.getByRole('heading', { name: '고친 제목' }).waitFor({ timeout: LIVE_MS });
  await page.locator('article.post strong', { hasText: '굵은 글씨' }).waitFor({ timeout: LIVE_MS });
  assert.equal(await page.locator('article.post', { hasText: '처음 본문입니다.' }).count(), 0);

  // liked in one tab, liked again in the other (its button still says not
  // liked): the other tab shows the true state, no error, one like stored
  await page.locator('button.like').click();
  await page.locator('button.like[aria-pressed="true"]').waitFor();
  await other.locator('[data-count="likes"] .n', { hasText: '1' }).waitFor({ timeout: LIVE_MS });
  await other.locator('button.like').click();
  await other.locator('button.like[aria-pressed="true"]').waitFor({ timeout: LIVE_MS });
  assert.equal((await other.locator('.actions .inline-error').allTextContents()).join(''), '');
  const likes = await su.collection('post_likes').getFullList({ filter: su.filter('post = {:p}', { p: post.id }) });
  assert.deepEqual(likes.map((l) => l.user), [readerRecord.id]);

  // the server restarts; a comment mentioning the reader is written before
  // the page's realtime connects again: the page and the bell read it then
  let blocked = false;
  await page.route('**/api/realtime', (route) => (blocked ? route.abort() : route.continue()));
  blocked = true;
  await server.restart();
  await w.collection('comments').create({ post: post.id, content: `@${reader.name} 재시작 사이에 쓴 댓글` });
  await eventually(async () => (await su.collection('notifications').getFullList({ filter: su.filter('user = {:u}', { u: readerRecord.id }) })).length === 1,
    { message: 'the mention notification' });
  blocked = false;
  await page.locator('li.comment', { hasText: '재시작 사이에 쓴 댓글' }).waitFor({ timeout: LIVE_MS });
  await page.locator('[data-count="comments"] .n', { hasText: '1' }).waitFor({ timeout: LIVE_MS });
  await page.locator('#bell .bell-count[data-count="1"]').waitFor({ timeout: LIVE_MS });

  // a moderator hides the post: no event of it reaches the reader, but the
  // board's count does: the page closes as for a delete, the list drops it
  await su.collection('posts').update(post.id, { is_visible: false });
  await page.getByText('이 글은 지워졌습니다.').waitFor({ timeout: LIVE_MS });
  assert.equal(await page.locator('form.comment-new').count(), 0);
  await eventually(async () => (await boardTab.locator('.post-row', { hasText: '고친 제목' }).count()) === 0,
    { message: 'the hidden post to leave the board list' });
}, { allowConsole: [/Failed to load resource/] });

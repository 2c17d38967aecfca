// Korean by default, English on request (kept across reloads), and server
// errors shown next to the field they name, in the chosen language.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, journey, eventually, createMember, signInUI } from './lib/harness.mjs';

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

journey('Korean by default, English switch, field errors in both', async (j) => {
  const { url, su } = server;
  // an English-speaking browser still gets Korean first: Korean is the default
  const page = await j.page(browser, 'visitor', { locale: 'en-US' });
  await page.goto(`${url}/#/signup`);
  await page.getByRole('heading', { name: '회원가입' }).waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'ko');
  await page.getByRole('navigation', { name: '주 메뉴' }).getByRole('link', { name: '게시판' }).waitFor();

  // a name someone already has: the server's error shows under the name field
  await su.collection('users').create({ name: 'taken_name', email: 'taken@madang.test', password: 'taken-pass-1234', passwordConfirm: 'taken-pass-1234' });
  await page.getByLabel('이름').fill('taken_name');
  await page.getByLabel('이메일').fill('new@madang.test');
  await page.getByLabel('비밀번호', { exact: true }).fill('short');
  await page.getByLabel('비밀번호 확인').fill('short');
  await page.getByRole('button', { name: '가입하기' }).click();
  const passwordField = page.locator('.field', { has: page.getByLabel('비밀번호', { exact: true }) });
  await passwordField.locator('.field-error').waitFor();
  assert.match(await passwordField.locator('.field-error').textContent(), /8자 이상/);
  assert.equal(await page.getByLabel('비밀번호', { exact: true }).getAttribute('aria-invalid'), 'true');
  const described = await page.getByLabel('비밀번호', { exact: true }).getAttribute('aria-describedby');
  assert.match(described, /-error/);
  // the failed sign-up created nothing
  const count = (await su.collection('users').getList(1, 1, { filter: 'email = "new@madang.test"' })).totalItems;
  assert.equal(count, 0);

  // switch to English with the keyboard: the page and its labels follow at once
  await page.getByLabel('언어').focus();
  await page.getByLabel('언어').selectOption('en');
  await page.getByRole('heading', { name: 'Sign up' }).waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Boards' }).waitFor();

  await page.getByLabel('Name').fill('taken_name');
  await page.getByLabel('Email').fill('new@madang.test');
  await page.getByLabel('Password', { exact: true }).fill('long-enough-1234');
  await page.getByLabel('Confirm password').fill('long-enough-1234');
  await page.getByRole('button', { name: 'Create account' }).click();
  const nameField = page.locator('.field', { has: page.getByLabel('Name') });
  await nameField.locator('.field-error').waitFor();
  assert.match(await nameField.locator('.field-error').textContent(), /Already taken|unique|exists/i);

  // the choice survives a reload, and dates follow the language
  await page.reload();
  await page.getByRole('heading', { name: 'Sign up' }).waitFor();
  await page.goto(`${url}/#/`);
  await page.getByRole('heading', { name: 'Boards' }).waitFor();
  assert.match(await page.locator('.board-item').first().textContent(), /posts/);

  // and back to Korean
  await page.getByLabel('Language').selectOption('ko');
  await page.getByRole('heading', { name: '게시판', exact: true }).waitFor();
  await eventually(async () => (await page.evaluate(() => localStorage.getItem('madang.lang'))) === 'ko', { message: 'the saved language' });
  await j.screenshot(page, 'last-step');
}, { allowConsole: [/status of 400/] });

journey('keyboard: skip link and visible focus', async (j) => {
  const { url } = server;
  const page = await j.page(browser, 'keyboard');
  // the first Tab on a fresh page reaches the skip link, which moves focus to the content
  await page.goto(`${url}/#/`);
  await page.getByRole('heading', { name: '게시판', exact: true }).waitFor();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'skip-link');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
  await page.goto(`${url}/#/signin`);
  await page.getByRole('heading', { name: '로그인' }).waitFor();
  // the focused control has a visible outline
  await page.getByLabel('이메일 또는 이름').focus();
  await page.keyboard.press('Tab');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none');
  // sign in with the keyboard alone: Enter submits, and the wrong password is said
  await page.getByLabel('이메일 또는 이름').fill('nobody');
  await page.getByLabel('비밀번호', { exact: true }).fill('wrong-password');
  await page.keyboard.press('Enter');
  await page.getByRole('alert').filter({ hasText: '비밀번호가 맞지 않습니다' }).waitFor();
  await j.screenshot(page, 'last-step');
}, { allowConsole: [/status of 400/] });

journey('switching the language keeps what is being written; eleven files are refused in the page\'s language', async (j) => {
  const { url, su } = server;
  const board = server.board('자유게시판');
  const member = { name: '초안회원', email: 'draft@madang.test', password: 'draft-pass-1234' };
  await createMember(url, member);
  const page = await j.page(browser, 'writer');
  await signInUI(page, url, member.email, member.password);
  const posts = async () => (await su.collection('posts').getList(1, 1, { filter: su.filter('board = {:b}', { b: board.id }) })).totalItems;
  const before = await posts();

  // eleven files: the form says so in Korean and sends nothing (until 2026-12-04 the server's English sentence)
  await page.goto(`${url}/#/boards/${board.id}/new`);
  await page.getByLabel('제목').fill('파일이 많은 글');
  await page.getByLabel('내용').fill('열한 개');
  const eleven = Array.from({ length: 11 }, (_, i) => ({ name: `파일${i}.txt`, mimeType: 'text/plain', buffer: Buffer.from(`x${i}`) }));
  await page.getByLabel('파일 첨부').setInputFiles(eleven);
  await page.getByRole('button', { name: '등록' }).click();
  await page.getByRole('alert').filter({ hasText: '파일은 10개까지 올릴 수 있습니다 (11개를 골랐습니다)' }).waitFor();
  assert.equal(await posts(), before);

  // a draft with a file, then English: the title, the text and the file stay (until 2026-12-04 all were emptied)
  const body = Array(30).fill('초안 본문입니다.').join(' ');
  await page.getByLabel('제목').fill('언어를 바꿔도 남는 초안');
  await page.getByLabel('내용').fill(body);
  await page.getByLabel('파일 첨부').setInputFiles({ name: '초안.txt', mimeType: 'text/plain', buffer: Buffer.from('draft') });
  await page.getByLabel('언어').selectOption('en');
  await page.getByLabel('Title').waitFor();
  assert.equal(await page.getByLabel('Title').inputValue(), '언어를 바꿔도 남는 초안');
  assert.equal(await page.getByLabel('Content').inputValue(), body);
  await page.locator('ul.files li', { hasText: '초안.txt' }).waitFor();
  await page.getByRole('button', { name: 'Publish' }).click();
  await page.getByRole('heading', { name: '언어를 바꿔도 남는 초안' }).waitFor();
  const post = await su.collection('posts').getFirstListItem(su.filter('title = {:t}', { t: '언어를 바꿔도 남는 초안' }));
  assert.equal(post.content, body);
  assert.equal(post.attachments.length, 1);

  // a comment being written, then Korean: it stays, the redrawn form never shows empty, and what is
  // typed while the page is still drawn stays too. The page adds the comment form before it lists
  // the comments; the list is held back here until the form has been read and typed in (until
  // 2026-12-06 the draft came back only once the page was drawn, over anything typed meanwhile: CI
  // once read the form empty in that gap)
  await page.getByLabel('Write a comment').fill('쓰던 댓글');
  let listComments;
  const commentsHeld = new Promise((resolve) => { listComments = resolve; });
  const comments = /\/api\/collections\/comments\/records/;
  await page.route(comments, async (route) => { await commentsHeld; await route.continue(); });
  await page.getByLabel('Language').selectOption('ko');
  await page.getByLabel('댓글 쓰기').waitFor();
  assert.equal(await page.getByLabel('댓글 쓰기').inputValue(), '쓰던 댓글');
  assert.equal(await page.getByRole('heading', { name: '댓글 (' }).count(), 0); // still listing
  await page.getByLabel('댓글 쓰기').press('End');
  await page.getByLabel('댓글 쓰기').pressSequentially(' 이어서');
  listComments(); // the held list, and any request after it, go on at once
  await page.getByRole('heading', { name: '댓글 (0)' }).waitFor();
  assert.equal(await page.getByLabel('댓글 쓰기').inputValue(), '쓰던 댓글 이어서');
  await j.screenshot(page, 'last-step');
});

// Korean by default, English on request (kept across reloads), and server
// errors shown next to the field they name, in the chosen language.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, journey, eventually } from './lib/harness.mjs';

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

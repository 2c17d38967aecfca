// An admin bans a member from the admin area; the member's open page is
// signed out at once, and signing in again says the account is banned.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, journey, signInUI, createMember, ADMIN, LIVE_MS } from './lib/harness.mjs';

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

journey('admin bans a member whose open page is then signed out', async (j) => {
  const { url, su } = server;
  const board = server.board('자유게시판');
  const member = { name: '말썽회원', email: 'trouble@madang.test', password: 'trouble-pass-1234' };
  const created = await createMember(url, member);

  const memberPage = await j.page(browser, 'member');
  await signInUI(memberPage, url, member.email, member.password);
  await memberPage.goto(`${url}/#/boards/${board.id}`);
  await memberPage.getByRole('link', { name: '글쓰기' }).waitFor();

  const adminPage = await j.page(browser, 'admin');
  await signInUI(adminPage, url, ADMIN.email, ADMIN.password);
  await adminPage.getByRole('link', { name: '관리' }).click();
  await adminPage.getByRole('searchbox').fill(member.name);
  await adminPage.getByRole('button', { name: '검색' }).click();
  const card = adminPage.locator(`details[data-user="${created.id}"]`);
  await card.locator('summary').click();
  await card.getByLabel('정지 사유').fill('광고 도배');
  await card.getByRole('button', { name: '정지하기' }).click();
  await card.locator('.badge', { hasText: '영구 정지' }).waitFor();

  // the member's page, untouched, lands on the sign-in page with the reason it ended
  await memberPage.getByRole('heading', { name: '로그인' }).waitFor({ timeout: LIVE_MS });
  await memberPage.locator('#flash').getByText('로그인이 끝났습니다').waitFor();
  assert.equal(await memberPage.locator('#signout').count(), 0);
  assert.equal(await memberPage.evaluate(() => localStorage.getItem('pocketbase_auth')), null);

  const saved = await su.collection('users').getOne(created.id);
  assert.equal(saved.banned, true);
  assert.equal(saved.ban_reason, '광고 도배');
  assert.equal(saved.banned_until, '');

  // signing in again is refused, in Korean, with the reason
  await memberPage.getByLabel('이메일 또는 이름').fill(member.email);
  await memberPage.getByLabel('비밀번호', { exact: true }).fill(member.password);
  await memberPage.getByRole('button', { name: '로그인', exact: true }).click();
  const alert = memberPage.locator('.form-error');
  await alert.getByText('영구히 이용이 정지').waitFor();
  assert.match(await alert.textContent(), /사유: 광고 도배/);
  await j.screenshot(adminPage, 'admin');
  await j.screenshot(memberPage, 'last-step');
}, { allowConsole: [/status of 401/, /status of 403/] });

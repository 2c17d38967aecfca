// An admin bans a member from the admin area; the member's open page is
// signed out at once, and signing in again says the account is banned.
// Every tab of a browser shares its sign-in: signing out, being banned or
// signing in as someone else in one tab takes the others off the pages
// drawn for the previous member; a 401 ends the session in the tab that
// gets it even when another tab already dropped the token.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, journey, signInUI, createMember, signedIn, ADMIN, LIVE_MS } from './lib/harness.mjs';

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

/** Another tab of the same browser as page, whose page errors fail the journey. */
async function sameBrowserTab(page, errors) {
  const tab = await page.context().newPage();
  tab.on('pageerror', (e) => errors.push(e.message));
  return tab;
}

journey('signing out or in as someone else in one tab takes the other tabs off the previous member\'s pages', async (j) => {
  const { url, su } = server;
  const first = { name: '첫째탭회원', email: 'tab-one@madang.test', password: 'tab-one-pass-1234' };
  const second = { name: '둘째탭회원', email: 'tab-two@madang.test', password: 'tab-two-pass-1234' };
  const created = await createMember(url, first);
  await createMember(url, second);
  const lounge = await su.collection('boards').create({ name: '탭 회원방', read: 'members', write: 'members', is_visible: true });
  await (await signedIn(url, first.email, first.password)).collection('posts').create({ board: lounge.id, title: '회원만 보는 글', content: '비공개' });

  const errors = [];
  const profile = await j.page(browser, 'profile');
  await signInUI(profile, url, first.email, first.password);
  await profile.goto(`${url}/#/profile`);
  await profile.locator('main').getByText(first.email).first().waitFor();
  const board = await sameBrowserTab(profile, errors);
  await board.goto(`${url}/#/boards/${lounge.id}`);
  await board.locator('.post-row', { hasText: '회원만 보는 글' }).waitFor();
  const other = await sameBrowserTab(profile, errors);
  await other.goto(`${url}/#/`);
  await other.locator('#signout').click();
  await other.getByRole('heading', { name: '로그인' }).waitFor();

  // the private page goes to sign-in (and will come back), the members' board closes
  await profile.waitForURL(/#\/signin\?next=%2Fprofile$/, { timeout: LIVE_MS });
  await profile.locator('#flash').getByText('다른 창에서 로그인이 끝났습니다.').waitFor();
  assert.doesNotMatch(await profile.locator('body').innerText(), new RegExp(first.email));
  await board.getByRole('heading', { name: '이 게시판을 열 수 없습니다' }).waitFor({ timeout: LIVE_MS });
  assert.equal(await board.getByText('회원만 보는 글').count(), 0);

  // signing in again where it was sent: back on the profile; the board tab opens again
  await profile.getByLabel('이메일 또는 이름').fill(first.email);
  await profile.getByLabel('비밀번호', { exact: true }).fill(first.password);
  await profile.getByRole('button', { name: '로그인', exact: true }).click();
  await profile.waitForURL(/#\/profile$/);
  await profile.locator('main').getByText(first.email).first().waitFor();
  await board.locator('.post-row', { hasText: '회원만 보는 글' }).waitFor({ timeout: LIVE_MS });
  // the tab left on the sign-in page goes where signing in leads
  await other.waitForURL(/#\/$/, { timeout: LIVE_MS });

  // someone else signs in in another tab: the profile shown is theirs, never the first member's
  await other.goto(`${url}/#/signin`);
  await other.getByLabel('이메일 또는 이름').fill(second.email);
  await other.getByLabel('비밀번호', { exact: true }).fill(second.password);
  await other.getByRole('button', { name: '로그인', exact: true }).click();
  await profile.locator('#flash').getByText(`다른 창에서 ${second.name} 님으로 로그인했습니다.`).waitFor({ timeout: LIVE_MS });
  await profile.locator('main').getByText(second.email).first().waitFor();
  assert.doesNotMatch(await profile.locator('body').innerText(), new RegExp(first.email));
  assert.equal(await profile.locator('.user-nav .me').textContent(), second.name);
  assert.deepEqual(errors, []);
  await j.screenshot(profile, 'last-step');
}, { allowConsole: [/status of 404/] }); // the members' board, closed to a guest

journey('a banned member\'s tabs all leave the private pages', async (j) => {
  const { url, su } = server;
  const member = { name: '정지탭회원', email: 'ban-tabs@madang.test', password: 'ban-tabs-pass-1234' };
  const created = await createMember(url, member);
  const errors = [];
  const profile = await j.page(browser, 'profile');
  await signInUI(profile, url, member.email, member.password);
  await profile.goto(`${url}/#/profile`);
  await profile.locator('main').getByText(member.email).first().waitFor();
  const notes = await sameBrowserTab(profile, errors);
  await notes.goto(`${url}/#/notifications`);
  await notes.getByRole('heading', { name: '알림' }).waitFor();

  await su.collection('users').update(created.id, { banned: true, ban_reason: '탭 정지' });
  for (const [tab, path] of [[profile, '%2Fprofile'], [notes, '%2Fnotifications']]) {
    await tab.waitForURL(new RegExp(`#/signin\\?next=${path}$`), { timeout: LIVE_MS });
    await tab.locator('#flash').getByText('로그인이 끝났습니다').waitFor();
    assert.equal(await tab.locator('#signout').count(), 0);
  }
  assert.deepEqual(errors, []);
  await j.screenshot(notes, 'last-step');
}, { allowConsole: [/status of 401/, /status of 403/] });

journey('a 401 ends the session in a tab whose token another tab already dropped', async (j) => {
  const { url, su } = server;
  const member = { name: '늦은응답회원', email: 'late-401@madang.test', password: 'late-401-pass-1234' };
  const created = await createMember(url, member);
  const page = await j.page(browser, 'member');
  await signInUI(page, url, member.email, member.password);
  await page.goto(`${url}/#/bookmarks`);
  await page.getByRole('heading', { name: '내 스크랩' }).waitFor();

  // a request sent with the token is held until another tab's sign-out has
  // emptied the shared storage; the server meanwhile no longer takes the token
  let held;
  const sent = new Promise((ok) => { held = ok; });
  let release;
  const released = new Promise((ok) => { release = ok; });
  await page.route('**/api/files/token', async (route) => {
    held(route.request().headers().authorization || '');
    await released;
    await route.continue();
  });
  await su.collection('users').update(created.id, { password: 'late-401-new-1234', passwordConfirm: 'late-401-new-1234' });
  await page.evaluate(() => { import('/js/pb.js').then(({ pb }) => pb.files.getToken()).catch(() => {}); });
  assert.ok(await sent, 'the request carried the token');
  await page.evaluate(() => localStorage.removeItem('pocketbase_auth'));
  release();

  await page.waitForURL(/#\/signin\?next=%2Fbookmarks$/, { timeout: LIVE_MS });
  await page.locator('#flash').getByText('로그인이 끝났습니다').waitFor();
  assert.equal(await page.locator('#signout').count(), 0);
  await j.screenshot(page, 'last-step');
}, { allowConsole: [/status of 401/] });

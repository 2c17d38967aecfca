// Community pages of the web client: categories (말머리) managed on the admin
// boards page, filtered on the board page and required by the post form
// (in English); an anonymous board that shows 익명 / 익명N to members and
// never sends them its writers, while an admin sees the names; who of a
// chat's members is online now, and in a big chat the first 50 and how many
// more.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, journey, signInUI, createMember, signedIn, ADMIN, LIVE_MS, PHONE, assertNoSideScroll } from './lib/harness.mjs';

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

const inEnglish = (page) => page.addInitScript(() => localStorage.setItem('madang.lang', 'en'));

journey('categories: admin defines them, the board filters by them, the form requires one (English)', async (j) => {
  const { url, su } = server;
  const board = server.board('자유게시판');
  const member = { name: 'catwriter', email: 'cat@madang.test', password: 'cat-pass-1234' };
  await createMember(url, member);

  // the admin adds three categories, renames, reorders and deletes, and makes them required
  const admin = await j.page(browser, 'admin');
  await inEnglish(admin);
  await signInUI(admin, url, ADMIN.email, ADMIN.password);
  await admin.goto(`${url}/#/admin/boards`);
  const card = admin.locator(`details[data-board="${board.id}"]`);
  await card.locator('summary').click();
  const editor = card.locator('.categories-editor');
  await editor.getByText('No categories.').waitFor();
  for (const name of ['질문', '잡담', '지울것']) {
    await editor.getByPlaceholder('e.g. Question').fill(name);
    await editor.getByRole('button', { name: 'Add category' }).click();
    await editor.locator(`input[name=name][value="${name}"]`).waitFor();
  }
  const rowOf = (name) => editor.locator('form.category-row', { has: admin.locator(`input[name=name][value="${name}"]`) });
  await rowOf('잡담').getByLabel('Category name').fill('정보');
  await rowOf('잡담').getByLabel('Order').fill('1');
  await rowOf('잡담').getByRole('button', { name: 'Save' }).click();
  await editor.locator('form.category-row').first().locator('input[name=name][value="정보"]').waitFor();
  await rowOf('지울것').getByRole('button', { name: 'Delete' }).click(); // confirm accepted by the harness
  await editor.getByText('Category “지울것” deleted.').waitFor();
  const cats = await su.collection('board_categories').getFullList({ filter: `board = "${board.id}"`, sort: 'sort' });
  assert.deepEqual(cats.map((c) => c.name), ['정보', '질문']);
  const [info, question] = cats;
  await card.getByLabel('Category required').check();
  await card.locator('form.board-form').getByRole('button', { name: 'Save' }).click();
  await admin.getByText('Saved.').waitFor();
  assert.equal((await su.collection('boards').getOne(board.id)).category_required, true);

  // another post with the other category, to filter away
  const mc = await signedIn(url, member.email, member.password);
  await mc.collection('posts').create({ board: board.id, category: info.id, title: 'An info post', content: 'facts' });

  // the form refuses a post without a category, next to the field
  const page = await j.page(browser, 'member', PHONE);
  await inEnglish(page);
  await signInUI(page, url, member.email, member.password);
  await page.goto(`${url}/#/boards/${board.id}/new`);
  await page.getByLabel('Title').fill('A question post');
  await page.getByLabel('Content').fill('How do I…?');
  await page.getByRole('button', { name: 'Publish' }).click();
  const categoryField = page.locator('.field', { has: page.getByLabel('Category') });
  await categoryField.locator('.field-error').waitFor();
  assert.equal(await page.getByLabel('Category').getAttribute('aria-invalid'), 'true');
  assert.equal((await su.collection('posts').getFullList({ filter: 'title = "A question post"' })).length, 0);
  await assertNoSideScroll(page);
  await j.screenshot(page, 'form-phone');
  await page.getByLabel('Category').selectOption({ label: '질문' });
  await page.getByRole('button', { name: 'Publish' }).click();
  await page.getByRole('heading', { name: '[질문] A question post' }).waitFor();
  const saved = await su.collection('posts').getFirstListItem('title = "A question post"');
  assert.equal(saved.category, question.id);

  // the board page: chips in the admin's order; a chip filters the list
  await page.goto(`${url}/#/boards/${board.id}`);
  const chips = page.getByRole('navigation', { name: 'Categories' });
  await chips.getByRole('link', { name: 'All' }).waitFor();
  assert.deepEqual(await chips.getByRole('link').allTextContents(), ['All', '정보', '질문']);
  await page.locator('.post-row', { hasText: '[정보] An info post' }).waitFor();
  await page.locator('.post-row', { hasText: '[질문] A question post' }).waitFor();
  await chips.getByRole('link', { name: '질문' }).click();
  await page.waitForURL(new RegExp(`category=${question.id}`));
  await chips.locator('[aria-current="true"]', { hasText: '질문' }).waitFor();
  await page.locator('.post-row', { hasText: 'A question post' }).waitFor();
  await page.locator('.post-row', { hasText: 'An info post' }).waitFor({ state: 'detached' });
  await assertNoSideScroll(page);
  await j.screenshot(page, 'board-phone');
  await j.screenshot(admin, 'last-step');
}, { allowConsole: [/status of 400 \(Bad Request\)/] }); // the form's refusal without a category

journey('anonymous board: members see 익명N and never the writers, an admin sees the names', async (j) => {
  const { url, su } = server;
  const board = await su.collection('boards').create({ name: '익명게시판', read: 'members', write: 'members', anonymous: true, is_visible: true });
  const writer = { name: '비밀작가', email: 'secret-writer@madang.test', password: 'secret-pass-1234' };
  const commenter = { name: '비밀댓글', email: 'secret-commenter@madang.test', password: 'secret-pass-1234' };
  const reader = { name: '구경꾼', email: 'reader@madang.test', password: 'reader-pass-1234' };
  const wu = await createMember(url, writer);
  const cu = await createMember(url, commenter);
  await createMember(url, reader);
  const wc = await signedIn(url, writer.email, writer.password);
  const cc = await signedIn(url, commenter.email, commenter.password);
  const post = await wc.collection('posts').create({ board: board.id, title: '익명 고민', content: '회사 고민이 있어요' });
  await cc.collection('comments').create({ post: post.id, content: '힘내세요' });
  await wc.collection('comments').create({ post: post.id, content: '고마워요' });

  const page = await j.page(browser, 'reader');
  const secrets = [wu.id, cu.id, writer.name, commenter.name, writer.email, commenter.email];
  const leaks = [];
  page.on('response', async (r) => {
    const u = new URL(r.url());
    if (!u.pathname.startsWith('/api/') || u.pathname.startsWith('/api/realtime')) return;
    const body = await r.text().catch(() => '');
    for (const s of secrets) if (body.includes(s)) leaks.push(`${u.pathname} carries ${s}`);
  });
  await signInUI(page, url, reader.email, reader.password);
  await page.goto(`${url}/#/boards/${board.id}`);
  const row = page.locator('.post-row', { hasText: '익명 고민' });
  await row.locator('.author.anon', { hasText: '익명' }).waitFor();
  assert.equal(await row.locator('a.user-link').count(), 0, 'no profile link for an anonymous writer');
  await row.getByRole('link', { name: '익명 고민' }).click();
  await page.getByRole('heading', { name: '익명 고민' }).waitFor();
  await page.locator('article.post .author.anon', { hasText: /^익명$/ }).waitFor();
  const comments = page.locator('ol.comments > li.comment');
  await comments.nth(1).waitFor();
  assert.equal(await comments.nth(0).locator('.author.anon').textContent(), '익명1');
  assert.equal(await comments.nth(1).locator('.author.anon').textContent(), '익명(글쓴이)');
  assert.equal(await page.locator('main a.user-link').count(), 0);
  const text = await page.locator('body').innerText();
  for (const s of secrets) assert.ok(!text.includes(s), `the reader's page shows ${s}`);
  assert.deepEqual(leaks, [], 'the reader\'s network carries a writer');
  await j.screenshot(page, 'reader');

  // the admin sees the labels and the names (as profile links)
  const admin = await j.page(browser, 'admin');
  await signInUI(admin, url, ADMIN.email, ADMIN.password);
  await admin.goto(`${url}/#/posts/${post.id}`);
  await admin.locator('article.post .author-pair', { hasText: '익명' }).getByRole('link', { name: writer.name }).waitFor();
  const adminComments = admin.locator('ol.comments > li.comment');
  await adminComments.nth(0).getByRole('link', { name: commenter.name }).waitFor();
  await adminComments.nth(1).locator('.author-pair', { hasText: '익명(글쓴이)' }).getByRole('link', { name: writer.name }).waitFor();
  await j.screenshot(admin, 'last-step');
});

journey('chat presence: the other member shows online while their page is open', async (j) => {
  const { url } = server;
  const a = { name: '접속자가', email: 'presence-a@madang.test', password: 'presence-pass-1234' };
  const b = { name: '접속자나', email: 'presence-b@madang.test', password: 'presence-pass-1234' };
  const au = await createMember(url, a);
  const bu = await createMember(url, b);
  const ac = await signedIn(url, a.email, a.password);
  const session = await ac.collection('chat_sessions').create({ name: '둘의 대화', kind: 'group', members: [au.id, bu.id] });

  const page = await j.page(browser, 'a', PHONE);
  await signInUI(page, url, a.email, a.password);
  await page.goto(`${url}/#/chat/${session.id}`);
  const presence = page.locator('#chat-presence');
  await presence.getByText('지금 접속한 다른 참여자가 없습니다.').waitFor();

  const other = await j.page(browser, 'b');
  await signInUI(other, url, b.email, b.password);
  await presence.getByText(`지금 접속 중: ${b.name}`).waitFor({ timeout: LIVE_MS });
  assert.equal(await presence.getAttribute('data-online'), bu.id);
  await assertNoSideScroll(page);
  await j.screenshot(page, 'chat-phone');
  await other.close();
  await presence.getByText('지금 접속한 다른 참여자가 없습니다.').waitFor({ timeout: LIVE_MS });
  await j.screenshot(page, 'last-step');
});

/**
 * Holds a signed-in realtime connection for token, subscribed to topic, as
 * an open tab does; the returned function closes it.
 */
async function holdRealtime(url, token, topic) {
  const ctl = new AbortController();
  const res = await fetch(`${url}/api/realtime`, { signal: ctl.signal, headers: { Accept: 'text/event-stream' } });
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let head = '';
  while (!head.includes('\n\n')) {
    const { value, done } = await reader.read();
    if (done) throw new Error('the realtime connection closed before PB_CONNECT');
    head += decoder.decode(value, { stream: true });
  }
  const { clientId } = JSON.parse(head.match(/data:(.*)/)[1]);
  const sub = await fetch(`${url}/api/realtime`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: token },
    body: JSON.stringify({ clientId, subscriptions: [topic] }),
  });
  assert.equal(sub.status, 204, `subscribing ${topic}: ${await sub.text()}`);
  (async () => { // keep reading, as a tab does
    try { while (!(await reader.read()).done); } catch { /* closed */ }
  })();
  return () => ctl.abort();
}

journey('chat presence in a big chat: the server names 50 members online; the page shows 20 of them, and 20 members in the header, and counts the rest', async (j) => {
  const { url, su } = server;
  const a = { name: '방장', email: 'crowd-owner@madang.test', password: 'crowd-pass-1234' };
  const au = await createMember(url, a);
  const crowd = [];
  for (let i = 0; i < 54; i++) {
    const name = `참여자${String(i).padStart(2, '0')}`;
    crowd.push(await su.collection('users').create({ name, email: `crowd-${i}@madang.test`, password: a.password, passwordConfirm: a.password }));
  }
  const ac = await signedIn(url, a.email, a.password);
  const session = await ac.collection('chat_sessions').create({ name: '큰 대화방', kind: 'group', members: [au.id, ...crowd.map((u) => u.id)] });
  const closers = [];
  for (const u of crowd) {
    const member = await su.collection('users').impersonate(u.id, 600);
    closers.push(await holdRealtime(url, member.authStore.token, `users/${u.id}`));
  }
  try {
    const page = await j.page(browser, 'owner');
    await signInUI(page, url, a.email, a.password);
    await page.goto(`${url}/#/chat/${session.id}`);
    const presence = page.locator('#chat-presence');
    await presence.getByText(/^지금 접속 중: .+ 외 \d+명$/).waitFor({ timeout: LIVE_MS });
    // the server names the first 50 by name: 방장 (me, not shown), then
    // 참여자00…참여자48; the other 5 are counted
    const named = (await presence.getAttribute('data-online')).split(',');
    assert.deepEqual(named, crowd.slice(0, 49).map((u) => u.id));
    // the line shows the first 20 of them and counts the other 34 online
    assert.equal(await presence.textContent(),
      `지금 접속 중: ${crowd.slice(0, 20).map((u) => u.name).join(', ')} 외 34명`);
    // the header names the first 20 of the 55 members, in the session's order, and counts the rest
    const header = page.locator('.chat-pane .meta .members');
    assert.equal(await header.textContent(),
      `참여자: 방장, ${crowd.slice(0, 19).map((u) => u.name).join(', ')} 외 35명`);
    await j.screenshot(page, 'last-step');
  } finally {
    closers.forEach((close) => close());
  }
});

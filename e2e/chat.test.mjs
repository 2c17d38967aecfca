// Support chat between a member and an admin in two browsers: the session
// shows up live, messages and typing go both ways, unread counts show.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, journey, signInUI, createMember, signedIn, requireCollections, eventually, ADMIN, LIVE_MS } from './lib/harness.mjs';

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

journey('support chat between a member and an admin, messages and typing both ways', async (j) => {
  const { url, su } = server;
  await requireCollections(su, ['chat_sessions', 'chats'], 'pb_migrations/1795900200_chat.go');
  const member = { name: '문의회원', email: 'ask@madang.test', password: 'ask-pass-1234' };
  const created = await createMember(url, member);
  const admin = await su.collection('users').getFirstListItem(su.filter('email = {:e}', { e: ADMIN.email }));

  const memberPage = await j.page(browser, 'member');
  await signInUI(memberPage, url, member.email, member.password);
  const adminPage = await j.page(browser, 'admin');
  await signInUI(adminPage, url, ADMIN.email, ADMIN.password);
  await adminPage.goto(`${url}/#/chat`);
  await adminPage.getByRole('heading', { name: '내 대화' }).waitFor();

  // the member opens a support session
  await memberPage.goto(`${url}/#/chat`);
  await memberPage.getByRole('button', { name: '고객 지원 대화 열기' }).click();
  await memberPage.waitForURL(/#\/chat\/[a-z0-9]+$/);
  const sessionId = memberPage.url().split('/').pop();
  await memberPage.getByRole('heading', { name: `${member.name} 님의 문의` }).waitFor();

  // the admin's list shows it without a reload; the admin opens it
  const adminLink = adminPage.locator(`a[data-session="${sessionId}"]`);
  await adminLink.waitFor({ timeout: LIVE_MS });
  await adminLink.click();
  await adminPage.getByRole('heading', { name: `${member.name} 님의 문의` }).waitFor();
  // both pages follow the chat's presence and typing before anyone types
  // (a typing notice sent before the admin's page subscribed would be lost)
  await adminPage.locator('.chat-pane[data-live="ready"]').waitFor({ timeout: LIVE_MS });
  await memberPage.locator('.chat-pane[data-live="ready"]').waitFor({ timeout: LIVE_MS });

  // typing and a message, member → admin
  await memberPage.getByLabel('메시지', { exact: true }).pressSequentially('안녕하세요', { delay: 20 });
  await adminPage.locator('.typing').getByText(`${member.name} 님이 입력 중`).waitFor({ timeout: LIVE_MS });
  await memberPage.getByLabel('메시지', { exact: true }).fill('안녕하세요, 문의가 있어요');
  await memberPage.getByRole('button', { name: '보내기' }).click();
  await adminPage.locator('.message', { hasText: '안녕하세요, 문의가 있어요' }).waitFor({ timeout: LIVE_MS });
  // live events carry no expand: the author comes from the session's members…
  assert.equal(await adminPage.locator('.message', { hasText: '안녕하세요, 문의가 있어요' }).locator('.author').textContent(), member.name);

  // and admin → member
  await adminPage.getByLabel('메시지', { exact: true }).pressSequentially('네, 말씀하세요', { delay: 20 });
  await memberPage.locator('.typing').getByText(`${ADMIN.name} 님이 입력 중`).waitFor({ timeout: LIVE_MS });
  await adminPage.keyboard.press('Enter');
  await memberPage.locator('.message', { hasText: '네, 말씀하세요' }).waitFor({ timeout: LIVE_MS });
  // …or, for an admin who is not a member, is read once
  assert.equal(await memberPage.locator('.message', { hasText: '네, 말씀하세요' }).locator('.author').textContent(), ADMIN.name);
  await memberPage.locator('.typing:empty').waitFor({ timeout: LIVE_MS });

  // away from the session, a new message counts as unread — from the
  // event itself: the list and the unread counts are not read again
  await memberPage.goto(`${url}/#/chat`);
  await memberPage.locator(`a[data-session="${sessionId}"]`).waitFor();
  await memberPage.locator('.sessions[data-live="ready"]').waitFor({ timeout: LIVE_MS });
  const listReads = [];
  const countListReads = (req) => {
    const path = new URL(req.url()).pathname;
    if (path === '/api/collections/chat_sessions/records' || path === '/api/chat/unread') listReads.push(path);
  };
  memberPage.on('request', countListReads);
  await adminPage.getByLabel('메시지', { exact: true }).fill('추가 안내입니다');
  await adminPage.getByRole('button', { name: '보내기' }).click();
  const badge = memberPage.locator(`a[data-session="${sessionId}"] .badge.unread`);
  await badge.waitFor({ timeout: LIVE_MS });
  assert.match(await badge.textContent(), /^1/);
  await adminPage.getByLabel('메시지', { exact: true }).fill('하나 더 있어요');
  await adminPage.getByRole('button', { name: '보내기' }).click();
  await memberPage.locator(`a[data-session="${sessionId}"] .badge.unread`, { hasText: /^2/ }).waitFor({ timeout: LIVE_MS });
  memberPage.off('request', countListReads);
  assert.deepEqual(listReads, []);
  await memberPage.locator(`a[data-session="${sessionId}"]`).click();
  await memberPage.locator('.message', { hasText: '하나 더 있어요' }).waitFor();
  assert.equal(await memberPage.locator(`a[data-session="${sessionId}"] .badge.unread`).count(), 0);

  // what the database holds
  const session = await su.collection('chat_sessions').getOne(sessionId);
  assert.equal(session.kind, 'support');
  assert.equal(session.owner, created.id);
  assert.ok(session.members.includes(created.id));
  const chats = await su.collection('chats').getFullList({ filter: su.filter('session = {:s}', { s: sessionId }), sort: 'created' });
  assert.deepEqual(chats.map((c) => [c.author, c.content]), [
    [created.id, '안녕하세요, 문의가 있어요'],
    [admin.id, '네, 말씀하세요'],
    [admin.id, '추가 안내입니다'],
    [admin.id, '하나 더 있어요'],
  ]);
  await j.screenshot(adminPage, 'admin');
  await j.screenshot(memberPage, 'last-step');
});

journey('chat history: older messages load on scroll', async (j) => {
  const { url, su } = server;
  await requireCollections(su, ['chat_sessions', 'chats'], 'pb_migrations/1795900200_chat.go');
  const member = { name: '수다회원', email: 'talk@madang.test', password: 'talk-pass-1234' };
  await createMember(url, member);
  const client = await signedIn(url, member.email, member.password);
  const session = await client.collection('chat_sessions').create({ name: '긴 대화', kind: 'support' });
  for (let i = 1; i <= 45; i++) await client.collection('chats').create({ session: session.id, content: `메시지 ${i}` });

  const page = await j.page(browser, 'member');
  await signInUI(page, url, member.email, member.password);
  await page.goto(`${url}/#/chat/${session.id}`);
  await page.locator('.message', { hasText: '메시지 45' }).waitFor();
  assert.equal(await page.locator('.message').count(), 30);
  await page.locator('.messages').evaluate((el) => { el.scrollTop = 0; });
  await page.locator('.message .bubble', { hasText: /^메시지 1$/ }).waitFor({ timeout: LIVE_MS });
  assert.equal(await page.locator('.message').count(), 45);
  const texts = await page.locator('.message .bubble').allTextContents();
  assert.deepEqual(texts, Array.from({ length: 45 }, (_, i) => `메시지 ${i + 1}`));
  await j.screenshot(page, 'last-step');
});

journey('chat: Enter twice on a slow network sends once, a reconnect reads what was missed, a chat closed while open turns read-only', async (j) => {
  const { url } = server;
  await requireCollections(server.su, ['chat_sessions', 'chats'], 'pb_migrations/1795900200_chat.go');
  const member = { name: '재접속회원', email: 'reconnect@madang.test', password: 'reconnect-pass-1234' };
  await createMember(url, member);
  const m = await signedIn(url, member.email, member.password);
  const session = await m.collection('chat_sessions').create({ name: '재접속 문의', kind: 'support', information: '' });
  const admin = await signedIn(url, ADMIN.email, ADMIN.password);

  const page = await j.page(browser, 'member');
  await signInUI(page, url, member.email, member.password);
  await page.goto(`${url}/#/chat/${session.id}`);
  await page.locator('.chat-pane[data-live="ready"]').waitFor({ timeout: LIVE_MS });

  // a phone network: the send takes 300 ms; Enter pressed twice meanwhile
  let posts = 0;
  await page.route('**/api/collections/chats/records*', async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    posts += 1;
    await new Promise((r) => setTimeout(r, 300));
    return route.continue();
  });
  const input = page.getByLabel('메시지', { exact: true });
  await input.fill('한 번만 보낸 메시지');
  await input.press('Enter');
  await input.press('Enter');
  await page.locator('.message', { hasText: '한 번만 보낸 메시지' }).waitFor();
  await page.locator('.chat-input-form button[type=submit]:not([aria-busy])').waitFor();
  assert.equal(posts, 1, 'one create request');
  assert.equal(await page.locator('.message', { hasText: '한 번만 보낸 메시지' }).count(), 1);
  await page.unroute('**/api/collections/chats/records*');
  const stored = await server.su.collection('chats').getFullList({ filter: server.su.filter('session = {:s}', { s: session.id }) });
  assert.deepEqual(stored.map((c) => c.content), ['한 번만 보낸 메시지']);

  // the server restarts; the admin answers before the page connects again
  let blocked = false;
  await page.route('**/api/realtime', (route) => (blocked ? route.abort() : route.continue()));
  blocked = true;
  await server.restart();
  await admin.collection('chats').create({ session: session.id, content: '재시작 직후 답변' });
  blocked = false;
  await page.locator('.message', { hasText: '재시작 직후 답변' }).waitFor({ timeout: LIVE_MS });

  // the admin closes the chat: the open pane drops its message box
  await admin.collection('chat_sessions').update(session.id, { is_closed: true });
  await page.getByText('닫힌 대화입니다. 읽을 수만 있습니다.').waitFor({ timeout: LIVE_MS });
  assert.equal(await page.locator('.chat-input-form').count(), 0);

  // a refusal that names no field (PocketBase's "Failed to …") is not told
  // as "fix the marked fields" where nothing is marked
  const said = await page.evaluate(async () => {
    const { errorMessage } = await import('/js/ui.js');
    return errorMessage({ status: 400, response: { message: 'Failed to create record.', data: {} } });
  });
  assert.equal(said, '요청을 처리하지 못했습니다. 페이지를 새로 고친 뒤 다시 시도해 주세요.');
}, { allowConsole: [/Failed to load resource/] });

// Read marks follow what the member sees, and a busy chat costs the server
// few of them. The page's clock is Playwright's (timers run only when the
// test advances it), so "no mark was sent" is checked after every timer
// the page had has run, not after a wait.
journey('chat read marks: one every 5 s at most while messages keep coming, none from a hidden page until it is shown', async (j) => {
  const { url, su } = server;
  await requireCollections(su, ['chat_sessions', 'chats', 'chat_reads'], 'pb_migrations/1795900200_chat.go');
  const member = { name: '읽음회원', email: 'reads@madang.test', password: 'reads-pass-1234' };
  const created = await createMember(url, member);
  const m = await signedIn(url, member.email, member.password);
  const session = await m.collection('chat_sessions').create({ name: '읽음 문의', kind: 'support', information: '' });
  const admin = await signedIn(url, ADMIN.email, ADMIN.password);

  const page = await j.page(browser, 'member');
  await page.clock.install();
  await signInUI(page, url, member.email, member.password);
  const marks = [];
  page.on('request', (req) => {
    if (req.method() === 'POST' && new URL(req.url()).pathname === `/api/chat/sessions/${session.id}/read`) marks.push(req);
  });
  const opened = page.waitForRequest((req) => req.method() === 'POST' && req.url().endsWith(`/api/chat/sessions/${session.id}/read`));
  await page.goto(`${url}/#/chat/${session.id}`);
  await page.locator('.chat-pane[data-live="ready"]').waitFor({ timeout: LIVE_MS });
  await (await opened).response();
  assert.equal(marks.length, 1, 'opening the chat marks it read once');
  // a second ahead: the fake time moves on while this call travels
  await page.clock.pauseAt(await page.evaluate(() => Date.now() + 1000));
  await page.clock.runFor(6000); // the open's mark is past: the next one is not held back by it

  // six messages a second apart: one mark half a second after the first,
  // the next five seconds after that (the old page sent six)
  for (let i = 1; i <= 6; i++) {
    await admin.collection('chats').create({ session: session.id, content: `바쁜 대화 ${i}` });
    await page.locator('.message', { hasText: `바쁜 대화 ${i}` }).waitFor({ timeout: LIVE_MS });
    await page.clock.runFor(1000);
  }
  // a sentinel after the marks: leaving for the list reads the unread
  // counts once the last mark is answered
  const counted = page.waitForRequest((req) => new URL(req.url()).pathname === '/api/chat/unread');
  await page.goto(`${url}/#/chat`);
  await counted;
  assert.equal(marks.length, 3, 'the open, then two marks for six messages');
  const last = await su.collection('chats').getFirstListItem(su.filter('session = {:s} && content = {:c}', { s: session.id, c: '바쁜 대화 6' }));
  const readAt = async () => (await su.collection('chat_reads').getFirstListItem(su.filter('session = {:s} && user = {:u}', { s: session.id, u: created.id }))).last_read_at;
  assert.ok(await readAt() >= last.created, 'the last mark covers the last message');

  // a hidden page: a message shown there marks nothing, whatever the time;
  // showing the page marks it
  const reopened = page.waitForRequest((req) => req.method() === 'POST' && req.url().endsWith(`/api/chat/sessions/${session.id}/read`));
  await page.goto(`${url}/#/chat/${session.id}`);
  await page.locator('.chat-pane[data-live="ready"]').waitFor({ timeout: LIVE_MS });
  await (await reopened).response();
  await page.clock.runFor(6000);
  const setVisibility = (state) => page.evaluate((s) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => s });
    document.dispatchEvent(new Event('visibilitychange'));
  }, state);
  await setVisibility('hidden');
  const before = marks.length;
  const unseen = await admin.collection('chats').create({ session: session.id, content: '숨은 탭의 메시지' });
  await page.locator('.message', { hasText: '숨은 탭의 메시지' }).waitFor({ timeout: LIVE_MS });
  await page.clock.runFor(60_000);
  assert.equal(marks.length, before, 'no mark from a hidden page');
  assert.ok(await readAt() < unseen.created, 'the message stays unread while the page is hidden');
  const shown = page.waitForRequest((req) => req.method() === 'POST' && req.url().endsWith(`/api/chat/sessions/${session.id}/read`));
  await setVisibility('visible');
  await page.clock.runFor(1000);
  await (await shown).response();
  assert.ok(await readAt() >= unseen.created, 'shown, the page marks it read');
  await j.screenshot(page, 'last-step');
});

journey('group chat: a member opens one with another from the page, messages go both ways, the owner invites, an invitee leaves, the owner removes a member; every open page follows who is in it', async (j) => {
  const { url, su } = server;
  await requireCollections(su, ['chat_sessions', 'chats'], 'pb_migrations/1795900200_chat.go');
  const owner = { name: '모임장', email: 'group-owner@madang.test', password: 'group-owner-pass-1234' };
  const friend = { name: '모임원', email: 'group-friend@madang.test', password: 'group-friend-pass-1234' };
  const guest = { name: '새식구', email: 'group-guest@madang.test', password: 'group-guest-pass-1234' };
  const a = await createMember(url, owner);
  const b = await createMember(url, friend);
  const c = await createMember(url, guest);
  const membersOf = async (id) => [...(await su.collection('chat_sessions').getOne(id)).members].sort();

  const friendPage = await j.page(browser, 'friend');
  await signInUI(friendPage, url, friend.email, friend.password);
  await friendPage.goto(`${url}/#/chat`);
  await friendPage.locator('.sessions[data-live="ready"]').waitFor({ timeout: LIVE_MS });

  // the owner opens the form, names the group and picks the friend from the
  // @name suggestions with the keyboard
  const ownerPage = await j.page(browser, 'owner');
  await signInUI(ownerPage, url, owner.email, owner.password);
  await ownerPage.goto(`${url}/#/chat`);
  await ownerPage.getByRole('button', { name: '새 그룹 대화' }).click();
  await ownerPage.getByLabel('그룹 이름').fill('주말 모임');
  await ownerPage.getByLabel('참여자', { exact: true }).pressSequentially('@모임', { delay: 20 });
  await ownerPage.getByRole('option', { name: `@${friend.name}` }).waitFor();
  await ownerPage.getByLabel('참여자', { exact: true }).press('Enter');
  assert.equal((await ownerPage.getByLabel('참여자', { exact: true }).inputValue()).trim(), `@${friend.name}`);
  await ownerPage.getByRole('button', { name: '만들기' }).click();
  await ownerPage.waitForURL(/#\/chat\/[a-z0-9]+$/);
  const sessionId = ownerPage.url().split('/').pop();
  await ownerPage.getByRole('heading', { name: '주말 모임' }).waitFor();
  const created = await su.collection('chat_sessions').getOne(sessionId);
  assert.equal(created.kind, 'group');
  assert.equal(created.owner, a.id);
  assert.deepEqual(await membersOf(sessionId), [a.id, b.id].sort());

  // the friend's list shows it without a reload; the friend writes, the owner reads
  const friendLink = friendPage.locator(`a[data-session="${sessionId}"]`);
  await friendLink.waitFor({ timeout: LIVE_MS });
  await friendLink.click();
  await friendPage.getByRole('heading', { name: '주말 모임' }).waitFor();
  await friendPage.locator('.chat-pane[data-live="ready"]').waitFor({ timeout: LIVE_MS });
  await ownerPage.locator('.sessions[data-live="ready"]').waitFor({ timeout: LIVE_MS });
  // a member who is not the owner may leave but not invite
  await friendPage.getByRole('button', { name: '나가기' }).waitFor();
  assert.equal(await friendPage.getByRole('button', { name: '초대' }).count(), 0);
  await friendPage.getByLabel('메시지', { exact: true }).fill('주말에 만나요');
  await friendPage.getByRole('button', { name: '보내기' }).click();
  await ownerPage.locator('.message', { hasText: '주말에 만나요' }).waitFor({ timeout: LIVE_MS });
  assert.equal(await ownerPage.locator('.message', { hasText: '주말에 만나요' }).locator('.author').textContent(), friend.name);

  // a name nobody has is refused in the form; then the owner invites the guest
  const invite = ownerPage.getByLabel('초대하거나 내보낼 회원 이름');
  await invite.fill('없는이름');
  await ownerPage.getByRole('button', { name: '초대', exact: true }).click();
  await ownerPage.locator('.chat-invite .field-error', { hasText: '"없는이름" 이름의 회원이 없습니다.' }).waitFor();
  assert.deepEqual(await membersOf(sessionId), [a.id, b.id].sort());
  await invite.fill(guest.name);
  await ownerPage.getByRole('button', { name: '초대', exact: true }).click();
  await ownerPage.getByRole('status').getByText(`초대했습니다: ${guest.name}`).waitFor();
  assert.equal(await invite.inputValue(), '');
  await ownerPage.locator('.chat-pane .members', { hasText: guest.name }).waitFor();
  assert.deepEqual(await membersOf(sessionId), [a.id, b.id, c.id].sort());
  // the friend's open chat names the guest too, without a reload
  await friendPage.locator('.chat-pane .members', { hasText: guest.name }).waitFor({ timeout: LIVE_MS });

  // the guest opens it, then leaves: back at the list, which no longer has it
  const guestPage = await j.page(browser, 'guest');
  await signInUI(guestPage, url, guest.email, guest.password);
  await guestPage.goto(`${url}/#/chat/${sessionId}`);
  await guestPage.locator('.message', { hasText: '주말에 만나요' }).waitFor();
  const isLeave = (res) => res.request().method() === 'POST' && new URL(res.url()).pathname === `/api/chat/sessions/${sessionId}/leave`;
  let leaves = 0;
  guestPage.on('response', (res) => { if (isLeave(res)) leaves++; });
  // Leave asks first; "cancel" keeps the guest in (the harness accepts every
  // dialog: this page answers its own)
  const asked = [];
  let answer = 'dismiss';
  guestPage.removeAllListeners('dialog');
  guestPage.on('dialog', (d) => { asked.push(d.message()); return answer === 'accept' ? d.accept() : d.dismiss(); });
  await guestPage.getByRole('button', { name: '나가기' }).click();
  await eventually(() => asked.length === 1, { message: 'the question before leaving' });
  assert.equal(asked[0], '"주말 모임" 대화에서 나갈까요? 다시 들어오려면 초대를 받아야 합니다.');
  assert.deepEqual(await membersOf(sessionId), [a.id, b.id, c.id].sort());
  answer = 'accept';
  const left = guestPage.waitForResponse(isLeave);
  await guestPage.getByRole('button', { name: '나가기' }).click();
  assert.equal((await left).status(), 204);
  assert.equal(leaves, 1, 'the dismissed Leave sent nothing');
  await guestPage.waitForURL(/#\/chat$/);
  await guestPage.locator('.sessions[data-live="ready"]').waitFor({ timeout: LIVE_MS });
  assert.equal(await guestPage.locator(`a[data-session="${sessionId}"]`).count(), 0);
  assert.deepEqual(await membersOf(sessionId), [a.id, b.id].sort());
  assert.equal((await su.collection('chat_sessions').getOne(sessionId)).owner, a.id);
  // the pages still open drop the guest from the members line
  for (const p of [ownerPage, friendPage]) {
    await p.locator('.chat-pane .members', { hasText: friend.name }).waitFor();
    await p.waitForFunction((name) => !document.querySelector('.chat-pane .members')?.textContent.includes(name), guest.name, { timeout: LIVE_MS });
  }

  // the owner removes the friend by name, after a question
  await invite.fill(friend.name);
  const question = new Promise((ok) => ownerPage.once('dialog', (d) => ok(d.message()))); // the harness accepts it
  await ownerPage.getByRole('button', { name: '내보내기', exact: true }).click();
  assert.equal(await question, `${friend.name} 님을 이 대화에서 내보낼까요?`);
  await ownerPage.getByRole('status').getByText(`내보냈습니다: ${friend.name}`).waitFor();
  assert.deepEqual(await membersOf(sessionId), [a.id]);
  await ownerPage.waitForFunction((name) => !document.querySelector('.chat-pane .members')?.textContent.includes(name), friend.name);
  await j.screenshot(friendPage, 'friend');
  await j.screenshot(ownerPage, 'last-step');
});

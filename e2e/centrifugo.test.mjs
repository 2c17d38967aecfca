// The optional Centrifugo realtime tier in two browsers: Madang runs with
// MADANG_CENTRIFUGO_* set, a real Centrifugo v6 beside it; the web client
// reads /api/realtime/config and takes the chat's messages, typing and the
// notification bell over Centrifugo's WebSocket instead of SSE.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile, rm, access } from 'node:fs/promises';
import { tmpdir, homedir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { startServer, launchBrowser, journey, signInUI, createMember, signedIn, ADMIN, LIVE_MS } from './lib/harness.mjs';

const BIN = process.env.MADANG_CENTRIFUGO_BIN || join((process.env.GOPATH || join(homedir(), 'go')).split(':')[0], 'bin', 'centrifugo');
const API_KEY = 'e2e-centrifugo-api-key';
const SECRET = 'e2e-centrifugo-token-secret';

function freePort() {
  return new Promise((ok, fail) => {
    const srv = net.createServer();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

/** Starts Centrifugo on port with the configuration Madang's tier expects. */
async function startCentrifugo(port, madangURL) {
  try {
    await access(BIN);
  } catch {
    throw new Error(`no Centrifugo at ${BIN}: install it with GOTOOLCHAIN=go1.27.3 go install github.com/centrifugal/centrifugo/v6@v6.9.1 (test.sh does) or set MADANG_CENTRIFUGO_BIN`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'madang-centrifugo-'));
  // README's one-node configuration (internal/centrifugo.NodeConfig), on loopback
  const config = {
    http_server: { address: '127.0.0.1', port },
    log: { level: 'warn' },
    usage_stats: { disabled: true },
    http_api: { key: API_KEY },
    client: {
      allowed_origins: [madangURL],
      token: { hmac_secret_key: SECRET },
      user_connection_limit: 16,
    },
    channel: {
      proxy: {
        subscribe: {
          endpoint: `${madangURL}/api/realtime/subscribe`, timeout: '3s', include_connection_meta: true,
          http: { static_headers: { 'X-Madang-Centrifugo-Key': API_KEY } },
        },
      },
      without_namespace: { presence: true, subscribe_proxy_enabled: true },
      namespaces: [{ name: 'personal', subscribe_proxy_enabled: true }],
    },
  };
  await writeFile(join(dir, 'config.json'), JSON.stringify(config));
  const proc = spawn(BIN, ['--config', join(dir, 'config.json')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout.on('data', (d) => { output += d; });
  proc.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((ok) => proc.on('exit', ok));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`centrifugo exited with ${proc.exitCode}:\n${output}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/info`, { method: 'POST', headers: { 'X-API-Key': API_KEY }, body: '{}' });
      if (res.ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`centrifugo did not answer in 30 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    async stop() {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

let server;
let centrifugo;
let browser;
let wsURL;
before(async () => {
  const port = await freePort();
  wsURL = `ws://127.0.0.1:${port}/connection/websocket`;
  server = await startServer({
    env: {
      MADANG_CENTRIFUGO_API_URL: `http://127.0.0.1:${port}/api`,
      MADANG_CENTRIFUGO_API_KEY: API_KEY,
      MADANG_CENTRIFUGO_TOKEN_SECRET: SECRET,
      MADANG_CENTRIFUGO_WS_URL: wsURL,
    },
  });
  centrifugo = await startCentrifugo(port, server.url);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await centrifugo?.stop();
  await server?.stop();
});

/** Records the texts a page receives over the tier's WebSocket. */
function tierFrames(page) {
  const frames = [];
  page.on('websocket', (ws) => {
    if (ws.url().startsWith(wsURL)) ws.on('framereceived', (f) => frames.push(String(f.payload)));
  });
  return frames;
}

journey('Centrifugo tier: a support chat and the notification bell live over Centrifugo', async (j) => {
  const { url, su } = server;
  const config = await (await fetch(`${url}/api/realtime/config`)).json();
  assert.equal(config.enabled, true);
  assert.equal(config.url, wsURL);

  const member = { name: '실시간회원', email: 'rt@madang.test', password: 'rt-pass-1234' };
  const created = await createMember(url, member);
  const admin = await su.collection('users').getFirstListItem(su.filter('email = {:e}', { e: ADMIN.email }));

  const memberPage = await j.page(browser, 'member');
  const memberFrames = tierFrames(memberPage);
  await signInUI(memberPage, url, member.email, member.password);
  const adminPage = await j.page(browser, 'admin');
  const adminFrames = tierFrames(adminPage);
  await signInUI(adminPage, url, ADMIN.email, ADMIN.password);
  await adminPage.goto(`${url}/#/chat`);
  await adminPage.getByRole('heading', { name: '내 대화' }).waitFor();

  // the member opens a support session: it appears in the admin's list live
  await memberPage.goto(`${url}/#/chat`);
  await memberPage.getByRole('button', { name: '고객 지원 대화 열기' }).click();
  await memberPage.waitForURL(/#\/chat\/[a-z0-9]+$/);
  const sessionId = memberPage.url().split('/').pop();
  const adminLink = adminPage.locator(`a[data-session="${sessionId}"]`);
  await adminLink.waitFor({ timeout: LIVE_MS });
  await adminLink.click();
  await adminPage.getByRole('heading', { name: `${member.name} 님의 문의` }).waitFor();
  // both pages follow the chat's presence and typing before anyone types
  await adminPage.locator('.chat-pane[data-live="ready"]').waitFor({ timeout: LIVE_MS });
  await memberPage.locator('.chat-pane[data-live="ready"]').waitFor({ timeout: LIVE_MS });

  // typing and a message, member → admin
  await memberPage.getByLabel('메시지', { exact: true }).pressSequentially('안녕하세요', { delay: 20 });
  await adminPage.locator('.typing').getByText(`${member.name} 님이 입력 중`).waitFor({ timeout: LIVE_MS });
  await memberPage.getByLabel('메시지', { exact: true }).fill('센트리퓨고로 왔어요');
  await memberPage.getByRole('button', { name: '보내기' }).click();
  const onAdmin = adminPage.locator('.message', { hasText: '센트리퓨고로 왔어요' });
  await onAdmin.waitFor({ timeout: LIVE_MS });
  assert.equal(await onAdmin.locator('.meta strong').textContent(), member.name);

  // admin → member: the admin is not a member of the session, the client reads the author once
  await adminPage.getByLabel('메시지', { exact: true }).fill('네, 잘 받았습니다');
  await adminPage.getByRole('button', { name: '보내기' }).click();
  const onMember = memberPage.locator('.message', { hasText: '네, 잘 받았습니다' });
  await onMember.waitFor({ timeout: LIVE_MS });
  assert.equal(await onMember.locator('.meta strong').textContent(), ADMIN.name);

  // both came over Centrifugo, as {topic, data} on the personal channel
  assert.ok(adminFrames.some((f) => f.includes('센트리퓨고로 왔어요') && f.includes(`"topic":"chats/`)), 'the admin got the message over Centrifugo');
  assert.ok(memberFrames.some((f) => f.includes('네, 잘 받았습니다') && f.includes(`"topic":"chats/`)), 'the member got the message over Centrifugo');
  assert.ok(adminFrames.some((f) => f.includes(`"topic":"chat_typing/${sessionId}"`)), 'typing came over Centrifugo');

  // the bell: another member comments on the member's post
  const board = server.board('자유게시판');
  const memberClient = await signedIn(url, member.email, member.password);
  const post = await memberClient.collection('posts').create({ board: board.id, title: '실시간 알림 글', content: '본문' });
  const other = { name: '댓글회원', email: 'rt2@madang.test', password: 'rt2-pass-1234' };
  await createMember(url, other);
  const otherClient = await signedIn(url, other.email, other.password);
  await otherClient.collection('comments').create({ post: post.id, content: '댓글입니다' });
  await memberPage.locator('#bell .bell-count[data-count="1"]:not([hidden])').waitFor({ timeout: LIVE_MS });
  assert.ok(memberFrames.some((f) => f.includes('"topic":"notifications/')), 'the notification came over Centrifugo');

  // what the database holds
  const chats = await su.collection('chats').getFullList({ filter: su.filter('session = {:s}', { s: sessionId }), sort: 'created' });
  assert.deepEqual(chats.map((c) => [c.author, c.content]), [
    [created.id, '센트리퓨고로 왔어요'],
    [admin.id, '네, 잘 받았습니다'],
  ]);
  const notes = await su.collection('notifications').getFullList({ filter: su.filter('user = {:u}', { u: created.id }) });
  assert.ok(notes.some((n) => n.kind === 'comment' && n.post === post.id), 'the comment notification is stored');
  // the member had the chat open (its typing topic followed on the tier): no notification of it
  assert.deepEqual(notes.filter((n) => n.kind === 'chat'), []);
  await j.screenshot(adminPage, 'admin');
  await j.screenshot(memberPage, 'last-step');
});

journey('Centrifugo tier: a password change ends the connection and the page connects again with its new session', async (j) => {
  const { url, su } = server;
  const member = { name: '비번회원', email: 'rtpw@madang.test', password: 'rtpw-pass-1234' };
  const created = await createMember(url, member);
  const page = await j.page(browser, 'member');
  const sockets = [];
  page.on('websocket', (ws) => { if (ws.url().startsWith(wsURL)) sockets.push(ws); });
  const frames = tierFrames(page);
  await signInUI(page, url, member.email, member.password);
  await page.locator('.user-nav .me').click();
  await page.getByRole('heading', { name: member.name, level: 1 }).waitFor();
  await expectSockets(sockets, 1); // the bell follows notifications over the tier

  const pwForm = page.locator('form', { has: page.getByRole('heading', { name: '비밀번호 바꾸기' }) });
  await pwForm.getByLabel('현재 비밀번호').fill(member.password);
  await pwForm.getByLabel('새 비밀번호').fill('rtpw-new-pass-5678');
  await pwForm.getByLabel('비밀번호 확인').fill('rtpw-new-pass-5678');
  await pwForm.getByRole('button', { name: '비밀번호 바꾸기' }).click();
  await pwForm.getByText('비밀번호를 바꿨습니다').waitFor();
  // the server ended the first connection; the page opened a second with its new session
  await expectSockets(sockets, 2);
  assert.ok(sockets[0].isClosed(), 'the connection of the old session is closed');

  // and it delivers: a comment on the member's post rings the bell
  const board = server.board('자유게시판');
  const memberClient = await signedIn(url, member.email, 'rtpw-new-pass-5678');
  const post = await memberClient.collection('posts').create({ board: board.id, title: '비번 바꾼 뒤 글', content: '본문' });
  const other = { name: '비번댓글', email: 'rtpw2@madang.test', password: 'rtpw2-pass-1234' };
  await createMember(url, other);
  const otherClient = await signedIn(url, other.email, other.password);
  await otherClient.collection('comments').create({ post: post.id, content: '새 세션으로 받나요' });
  await page.locator('#bell .bell-count[data-count="1"]:not([hidden])').waitFor({ timeout: LIVE_MS });
  assert.ok(frames.some((f) => f.includes('"topic":"notifications/')), 'the notification came over Centrifugo');
  const notes = await su.collection('notifications').getFullList({ filter: su.filter('user = {:u}', { u: created.id }) });
  assert.deepEqual(notes.map((n) => [n.kind, n.post]), [['comment', post.id]]);
  await j.screenshot(page, 'last-step');
});

/** Waits until n tier WebSockets were opened. */
async function expectSockets(sockets, n) {
  const deadline = Date.now() + LIVE_MS;
  while (sockets.length < n) {
    if (Date.now() > deadline) throw new Error(`${sockets.length} Centrifugo connections, want ${n}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

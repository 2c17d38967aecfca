// Forms and account pages of the web client: sign-up and post errors all
// at once with focus on the first, the email verification and email change
// pages (the mails caught by a small SMTP server on loopback), the AI form
// refusing an empty number and the admin's per-kind model form, and the
// chat list on a phone.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer, launchBrowser, journey, signInUI, createMember, signedIn, eventually, ADMIN, LIVE_MS } from './lib/harness.mjs';

let server;
let browser;
let smtp;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  smtp = await startSMTP();
  await server.su.settings.update({
    meta: { appURL: server.url },
    smtp: { enabled: true, host: '127.0.0.1', port: smtp.port, tls: false },
  });
});
after(async () => {
  await browser?.close();
  await server?.stop();
  smtp?.close();
});

/**
 * A minimal SMTP server that keeps every message it is given: enough for
 * PocketBase's client (no TLS, no auth on loopback).
 */
function startSMTP() {
  const messages = [];
  const srv = net.createServer((socket) => {
    let data = null;
    let buffer = '';
    socket.write('220 localhost test SMTP\r\n');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      for (;;) {
        if (data !== null) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          messages.push(data + buffer.slice(0, end));
          buffer = buffer.slice(end + 5);
          data = null;
          socket.write('250 OK\r\n');
          continue;
        }
        const nl = buffer.indexOf('\r\n');
        if (nl < 0) return;
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') socket.write('250-localhost\r\n250 8BITMIME\r\n');
        else if (verb === 'DATA') { data = ''; socket.write('354 go ahead\r\n'); }
        else if (verb === 'QUIT') { socket.write('221 bye\r\n'); socket.end(); return; }
        else socket.write('250 OK\r\n');
      }
    });
    socket.on('error', () => {});
  });
  return new Promise((ok) => srv.listen(0, '127.0.0.1', () => ok({
    port: srv.address().port,
    messages,
    close: () => srv.close(),
  })));
}

/** The first link to #/{route}/{token} in a mail sent to `to` (quoted-printable decoded). */
async function mailedToken(to, route) {
  return eventually(() => {
    for (const raw of smtp.messages) {
      if (!raw.toLowerCase().includes(to.toLowerCase())) continue;
      const text = raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
      const m = new RegExp(`/#/${route}/([A-Za-z0-9_.-]+)`).exec(text);
      if (m) return m[1];
    }
    return null;
  }, { message: `a mail to ${to} linking to #/${route}/` });
}

const focusedName = (page) => page.evaluate(() => document.activeElement?.getAttribute('name'));

journey('sign-up shows every field error at once and focuses the first; an empty post focuses the title', async (j) => {
  const { url, su } = server;
  const page = await j.page(browser, 'visitor', { viewport: { width: 1280, height: 800 } });
  await page.goto(`${url}/#/signup`);
  await page.getByLabel('이름').fill('가');
  await page.getByLabel('이메일').fill('not-an-email');
  await page.getByLabel('비밀번호', { exact: true }).fill('short');
  await page.getByLabel('비밀번호 확인').fill('different');
  await page.getByRole('button', { name: '가입하기' }).click();
  const errorOf = (name) => page.locator(`.field[data-field="${name}"] .field-error`);
  await errorOf('passwordConfirm').waitFor();
  assert.equal(await errorOf('name').textContent(), '2자 이상 입력해 주세요.');
  assert.equal(await errorOf('email').textContent(), '올바른 이메일 주소를 입력해 주세요.');
  assert.equal(await errorOf('password').textContent(), '8자 이상 입력해 주세요.');
  assert.equal(await errorOf('passwordConfirm').textContent(), '값이 일치하지 않습니다.');
  assert.equal(await focusedName(page), 'name');
  assert.equal(await page.getByLabel('이메일').getAttribute('aria-invalid'), 'true');
  assert.equal((await su.collection('users').getList(1, 1, { filter: su.filter('email = {:e}', { e: 'not-an-email' }) })).totalItems, 0);

  // a taken name together with the browser's own errors: all at once
  await page.getByLabel('이름').fill(ADMIN.name);
  await page.getByRole('button', { name: '가입하기' }).click();
  await errorOf('name').getByText('이미 사용 중입니다').waitFor();
  assert.equal(await errorOf('email').textContent(), '올바른 이메일 주소를 입력해 주세요.');
  assert.equal(await errorOf('password').textContent(), '8자 이상 입력해 주세요.');
  assert.equal(await errorOf('passwordConfirm').textContent(), '값이 일치하지 않습니다.');
  assert.equal((await su.collection('users').getList(1, 1, { filter: su.filter('email = {:e}', { e: 'not-an-email' }) })).totalItems, 0);

  // a password past bcrypt's 71 bytes (25 Hangul syllables are 75): said before it is sent
  await page.getByLabel('비밀번호', { exact: true }).fill('가'.repeat(25));
  await page.getByLabel('비밀번호 확인').fill('가'.repeat(25));
  await page.getByRole('button', { name: '가입하기' }).click();
  await errorOf('password').getByText('비밀번호가 너무 깁니다').waitFor();

  // everything the browser can check is right: the server's word on a taken name shows next to it
  await page.getByLabel('이름').fill(ADMIN.name);
  await page.getByLabel('이메일').fill('allerrors@madang.test');
  await page.getByLabel('비밀번호', { exact: true }).fill('all-errors-pass-1234');
  await page.getByLabel('비밀번호 확인').fill('all-errors-pass-1234');
  await page.getByRole('button', { name: '가입하기' }).click();
  await errorOf('name').getByText('이미 사용 중입니다').waitFor();
  assert.equal(await errorOf('email').count(), 0, 'fixed fields lose their errors');
  assert.equal(await focusedName(page), 'name');
  await page.getByLabel('이름').fill('모두고침');
  await page.getByRole('button', { name: '가입하기' }).click();
  await page.locator('#signout').waitFor();
  const user = await su.collection('users').getFirstListItem(su.filter('email = {:e}', { e: 'allerrors@madang.test' }));
  assert.equal(user.name, '모두고침');

  // an empty post: both errors, focus on 제목 (form order, not the server's alphabetical one)
  const board = server.board('자유게시판');
  await page.goto(`${url}/#/boards/${board.id}/new`);
  await page.getByLabel('제목').waitFor();
  await page.getByLabel('내용').focus();
  await page.getByRole('button', { name: '등록' }).click();
  await page.locator('.field[data-field="content"] .field-error').waitFor();
  await page.locator('.field[data-field="title"] .field-error').waitFor();
  assert.equal(await focusedName(page), 'title');
  assert.equal((await su.collection('posts').getList(1, 1, { filter: su.filter('author = {:a}', { a: user.id }) })).totalItems, 0);
  await j.screenshot(page, 'last-step');
}, { allowConsole: [/status of 400/] });

journey('Email verification and email change through the mailed links (English)', async (j) => {
  const { url, su } = server;
  const member = { name: 'mailchanger', email: 'old-address@madang.test', password: 'mail-change-pass-1234' };
  const created = await createMember(url, member);
  const page = await j.page(browser, 'member', { viewport: { width: 1280, height: 800 } });
  await page.addInitScript(() => localStorage.setItem('madang.lang', 'en'));
  await signInUI(page, url, member.email, member.password);
  await page.goto(`${url}/#/profile`);
  const card = page.locator('#email-card');
  await card.getByText(`Current address: ${member.email}`).waitFor();
  await card.getByText('not verified').waitFor();

  // verify my email: the mail links to the client's own page, which confirms at once
  await card.getByRole('button', { name: 'Verify my email' }).click();
  await card.getByText(`We sent a verification link to ${member.email}`).waitFor();
  const verifyToken = await mailedToken(member.email, 'confirm-verification');
  await page.goto(`${url}/#/confirm-verification/${verifyToken}`);
  await page.getByText('Your email address is verified. Thank you!').waitFor();
  assert.equal((await su.collection('users').getOne(created.id)).verified, true);
  await page.goto(`${url}/#/profile`);
  await card.getByText('verified', { exact: true }).waitFor();
  assert.equal(await card.getByRole('button', { name: 'Verify my email' }).count(), 0);

  // a bad address is refused in the form, then the change is asked for
  await card.getByLabel('New email address').fill('not-an-address');
  await card.getByRole('button', { name: 'Send change link' }).click();
  await card.locator('.field-error', { hasText: 'Enter a valid email address.' }).waitFor();
  await card.getByLabel('New email address').fill('new-address@madang.test');
  await card.getByRole('button', { name: 'Send change link' }).click();
  await card.getByText('We sent a link to new-address@madang.test').waitFor();
  assert.equal((await su.collection('users').getOne(created.id)).email, member.email, 'nothing changes before the link is used');

  // the mailed page asks for the password; a wrong one is said, the right one changes the address
  const changeToken = await mailedToken('new-address@madang.test', 'confirm-email-change');
  await page.goto(`${url}/#/confirm-email-change/${changeToken}`);
  await page.getByRole('heading', { name: 'Confirm your new email address' }).waitFor();
  await page.getByText('Enter your password to change your address to new-address@madang.test.').waitFor();
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Change email' }).click();
  await page.locator('.field-error, .form-error:not([hidden])').first().waitFor();
  assert.equal((await su.collection('users').getOne(created.id)).email, member.email);
  await page.getByLabel('Password').fill(member.password);
  await page.getByRole('button', { name: 'Change email' }).click();
  await page.getByText('Your email address has changed.').waitFor();
  assert.equal((await su.collection('users').getOne(created.id)).email, 'new-address@madang.test');
  await signInUI(page, url, 'new-address@madang.test', member.password);
  await j.screenshot(page, 'last-step');
  // 401: a request the page sent with the old token while the change ran (the bell's unread count,
  // read again when realtime reconnects after the wrong password) may answer after the change ended
  // the session; the page forgets it by design (renewingSession, as in the password change's journey),
  // but the browser logs it (CI, 2026-12-06)
}, { allowConsole: [/status of 400/, /status of 401/] });

journey('AI: an empty number is refused in the form and by the server; admins set options per kind', async (j) => {
  const { url, su } = server;
  const member = { name: '숫자회원', email: 'numbers@madang.test', password: 'numbers-pass-1234' };
  await createMember(url, member);
  const model = await su.collection('ais').create({
    name: '집값 예측', description: '방 수와 면적으로 집값을 예측합니다.', kind: 'linear_regression', is_visible: true, status: 'ready',
    model: { features: ['방수', '면적'], coefficients: [2, 0.5], intercept: 1, target: '집값' }, options: { target: '집값' },
  });
  const page = await j.page(browser, 'member', { viewport: { width: 1280, height: 800 } });
  await signInUI(page, url, member.email, member.password);
  await page.goto(`${url}/#/ai/${model.id}`);
  await page.getByText('항목마다 숫자를 넣으면 모델이 값을 예측합니다').waitFor();
  await page.getByLabel('방수', { exact: true }).fill('3');
  await page.getByRole('button', { name: '실행' }).click();
  const error = page.locator('.field[data-field="feature:면적"] .field-error');
  await error.waitFor();
  assert.equal(await error.textContent(), '숫자를 입력해 주세요. 빈 칸은 0이 아닙니다.');
  assert.equal(await focusedName(page), 'feature:면적');
  assert.equal((await su.collection('ai_logs').getList(1, 1)).totalItems, 0, 'no job was queued');
  // the server refuses it too, naming the feature
  const client = await signedIn(url, member.email, member.password);
  await assert.rejects(client.send(`/api/ais/${model.id}/infer`, { method: 'POST', body: { input: { features: { 방수: 3, 면적: '' } } } }),
    (err) => err.status === 400 && /input\.features\.면적 is empty/.test(err.response.data.input.message));
  await assert.rejects(client.send(`/api/ais/${model.id}/infer`, { method: 'POST', body: { input: { features: { 방수: 3, 면적: null } } } }),
    (err) => err.status === 400 && /면적/.test(err.response.data.input.message));
  await page.getByLabel('면적', { exact: true }).fill('20');
  await page.getByRole('button', { name: '실행' }).click();
  await page.locator('[data-job-result] .result-text', { hasText: '17' }).waitFor({ timeout: LIVE_MS });

  // the admin's model form: fields per kind, the rest as JSON
  const admin = await j.page(browser, 'admin', { viewport: { width: 1280, height: 800 } });
  await signInUI(admin, url, ADMIN.email, ADMIN.password);
  await admin.goto(`${url}/#/admin/ai`);
  const form = admin.locator('section', { has: admin.getByRole('heading', { name: '새 모델' }) });
  await form.getByLabel('모델 이름').fill('민원 분류');
  await form.getByLabel('종류').selectOption('text_classifier');
  await form.getByLabel('글이 든 열').fill('본문');
  await form.getByLabel('분류(정답)가 든 열').fill('분류');
  assert.equal(await form.getByLabel('예측할 열').isVisible(), false, 'only the chosen kind\'s fields show');
  await form.locator('details.advanced summary').click();
  await form.getByLabel('옵션 (JSON)').fill('{"timeout_seconds": 600}');
  await form.getByRole('button', { name: '모델 만들기' }).click();
  const saved = await eventually(async () => (await su.collection('ais').getList(1, 1, { filter: 'name = "민원 분류"' })).items[0], { message: 'the model' });
  assert.deepEqual(saved.options, { text_column: '본문', label_column: '분류', timeout_seconds: 600 });
  assert.equal(saved.kind, 'text_classifier');
  await j.screenshot(admin, 'admin');
  await j.screenshot(page, 'last-step');
}, { allowConsole: [/status of 400/] });

journey('chat list on a phone: round unread badge, Korean kept whole, the hint points up', async (j) => {
  const { url } = server;
  const member = { name: '채팅회원', email: 'chatphone@madang.test', password: 'chatphone-pass-1234' };
  await createMember(url, member);
  const client = await signedIn(url, member.email, member.password);
  const session = await client.collection('chat_sessions').create({ name: '고객 지원 문의: 배송이 늦어지는 주문 확인 부탁드립니다', kind: 'support', information: '' });
  const admin = await signedIn(url, ADMIN.email, ADMIN.password);
  for (const text of ['안녕하세요, 확인해 보겠습니다.', '주문 번호를 알려 주시겠어요?', '잠시만 기다려 주세요.']) {
    await admin.collection('chats').create({ session: session.id, content: text });
  }
  const page = await j.page(browser, 'phone', { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  await signInUI(page, url, member.email, member.password);
  await page.goto(`${url}/#/chat`);
  const badge = page.locator('.sessions .badge.unread');
  await badge.waitFor();
  assert.match(await badge.textContent(), /^3/);
  const box = await badge.boundingBox();
  assert.ok(box.height < 28 && box.width / box.height < 2 && box.width / box.height > 0.7, `a round badge, not a tall pill: ${box.width}×${box.height}`);
  // the session name wraps between words
  const name = page.locator('.sessions a span').first();
  assert.equal(await name.evaluate((el) => getComputedStyle(el).wordBreak), 'keep-all');
  // the list is above on a phone, so the hint says so
  await page.getByText('위 목록에서 대화를 고르거나').waitFor();
  assert.equal(await page.getByText('왼쪽에서 대화를 고르거나').isVisible(), false);
  await j.screenshot(page, 'chat-phone');

  // the messages show the writer's avatar (a letter: the admin has no picture)
  await page.locator('.sessions a').first().click();
  await page.locator('.message .bubble', { hasText: '잠시만 기다려 주세요.' }).waitFor();
  assert.equal(await page.locator('.message .meta .avatar-letter').first().textContent(), '운');

  // on a desktop the list is beside the conversation
  const desk = await j.page(browser, 'desktop', { viewport: { width: 1280, height: 800 } });
  await signInUI(desk, url, member.email, member.password);
  await desk.goto(`${url}/#/chat`);
  await desk.getByText('왼쪽에서 대화를 고르거나').waitFor();
  assert.equal(await desk.getByText('위 목록에서 대화를 고르거나').isVisible(), false);
  await j.screenshot(page, 'last-step');
});

journey('phone 375×812: an unbroken 26-letter chat name and a 64-letter member name never widen the page', async (j) => {
  const { url } = server;
  // names are letters without spaces (up to 64): one unbroken word
  const syllables = '가나다라마바사아자차카타파하거너더러머버서어저처커터퍼허고노도로모보소오조초코토포호구누두루무부수우주추쿠투푸후';
  const member = { name: syllables.repeat(2).slice(0, 64), email: 'longname@madang.test', password: 'longname-pass-1234' };
  assert.equal([...member.name].length, 64);
  const user = await createMember(url, member);
  const client = await signedIn(url, member.email, member.password);
  const chatName = '결제오류환불요청드립니다빠른처리부탁드려요감사합니다';
  const session = await client.collection('chat_sessions').create({ name: chatName, kind: 'support', information: '' });
  const page = await j.page(browser, 'phone', { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  await signInUI(page, url, member.email, member.password);
  const width = () => page.evaluate(() => document.documentElement.scrollWidth);
  // until 2026-12-04: 441 px, 490 px (the send button off the screen), and 840 px on every page for the name
  await page.goto(`${url}/#/chat`);
  await page.locator('.sessions a', { hasText: chatName }).waitFor();
  assert.ok(await width() <= 375, `#/chat is ${await width()} px wide`);
  await page.goto(`${url}/#/chat/${session.id}`);
  await page.getByLabel('메시지', { exact: true }).waitFor();
  assert.ok(await width() <= 375, `a chat is ${await width()} px wide`);
  const send = await page.getByRole('button', { name: '보내기' }).boundingBox();
  assert.ok(send.x + send.width <= 375, `the send button ends at ${send.x + send.width} px`);
  for (const hash of ['#/', `#/users/${user.id}`, '#/profile']) {
    await page.goto(`${url}/${hash}`);
    await page.locator('main h1').first().waitFor();
    assert.ok(await width() <= 375, `${hash} with the 64-letter name signed in is ${await width()} px wide`);
  }
  // the header keeps the name on one line, cut with an ellipsis
  const me = page.locator('.user-nav a.me');
  assert.equal(await me.evaluate((el) => getComputedStyle(el).textOverflow), 'ellipsis');
  await j.screenshot(page, 'last-step');
});

journey('text limits count characters as the server does: emoji fit, a paste past the limit is kept and counted, not cut', async (j) => {
  const { url, su } = server;
  const board = server.board('자유게시판');
  const writer = { name: '글자수', email: 'charcount@madang.test', password: 'charcount-pass-1234' };
  await createMember(url, writer);
  const client = await signedIn(url, writer.email, writer.password);
  const post = await client.collection('posts').create({ board: board.id, title: '글자 수 세기', content: '본문' });
  const page = await j.page(browser, 'writer', { viewport: { width: 1280, height: 800 } });
  await signInUI(page, url, writer.email, writer.password);
  await page.goto(`${url}/#/posts/${post.id}`);
  const box = page.getByLabel('댓글 쓰기');
  const counter = page.locator('form .char-count');
  const comments = async () => (await su.collection('comments').getFullList({ filter: su.filter('post = {:p}', { p: post.id }) }));

  // a paste of 2,100 characters stays whole; the counter says how many to remove
  const long = '가나다라마바사아자차'.repeat(210);
  await box.fill(long);
  assert.equal(await box.inputValue(), long, 'nothing was cut');
  assert.equal(await counter.textContent(), '2,100 / 2,000자 — 100자를 줄여 주세요');
  assert.ok(await counter.evaluate((el) => el.classList.contains('over')));
  await page.getByRole('button', { name: '댓글 등록' }).click();
  await page.locator('.field-error, .form-error:not([hidden])').first().waitFor();
  assert.equal(await box.inputValue(), long, 'the refused text is still there to shorten');
  await j.screenshot(page, 'over-the-limit');
  assert.equal((await comments()).length, 0, 'the server refused it');

  // 1,900 emoji are 3,800 UTF-16 units and 1,900 characters: under the limit, counted so, and saved
  const emoji = '😀'.repeat(1900);
  await box.fill(emoji);
  assert.equal(await counter.textContent(), '1,900 / 2,000자');
  assert.ok(!(await counter.evaluate((el) => el.classList.contains('over'))));
  await page.getByRole('button', { name: '댓글 등록' }).click();
  const [saved] = await eventually(async () => { const list = await comments(); return list.length === 1 && list; });
  assert.equal([...saved.content].length, 1900);
  await eventually(() => counter.isHidden(), { message: 'the counter to go with the sent text' });
  assert.equal(await box.inputValue(), '');

  // a title of 120 emoji (240 UTF-16 units, over the 200 a maxlength counted) is typed whole and saved
  await page.goto(`${url}/#/boards/${board.id}/new`);
  const title = '🎉'.repeat(120);
  await page.getByLabel('제목').fill(title);
  assert.equal(await page.getByLabel('제목').inputValue(), title);
  await page.getByLabel('내용').fill('이모지 제목');
  await page.getByRole('button', { name: '등록' }).click();
  await page.locator('article.post h1').waitFor();
  const savedPost = await su.collection('posts').getFirstListItem(su.filter('content = {:c}', { c: '이모지 제목' }));
  assert.equal(savedPost.title, title);
  await j.screenshot(page, 'last-step');
}, { allowConsole: [/status of 400/] });

// Rich text, safely: Markdown in posts and comments (with bare URLs,
// links opening in a new tab, attached images as thumbnails), avatars next
// to names, and stored-XSS payloads in every user-controlled string the web
// client shows staying inert text under the CSP.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync, crc32 } from 'node:zlib';
import { startServer, launchBrowser, journey, signInUI, createMember, signedIn, eventually, ADMIN, LIVE_MS } from './lib/harness.mjs';

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

/** A real PNG image of one colour (PocketBase only makes thumbnails of real images). */
function png(width, height, [r, g, b]) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => [r, g, b]).flat())]);
  const pixels = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header), chunk('IDAT', deflateSync(pixels)), chunk('IEND', Buffer.alloc(0))]);
}

const pngBlob = (buffer) => new Blob([buffer], { type: 'image/png' });

/** Every element under root that carries an event-handler attribute or a javascript: URL. */
function liveMarkup(page) {
  return page.evaluate(() => [...document.querySelectorAll('body *')].flatMap((el) =>
    [...el.attributes].filter((a) => /^on/i.test(a.name) || /^\s*javascript:/i.test(a.value))
      .map((a) => `${el.tagName.toLowerCase()}[${a.name}=${a.value}]`)));
}

journey('Markdown renders in posts and comments, images as thumbnails, avatars next to names', async (j) => {
  const { url, su } = server;
  const board = server.board('자유게시판');
  const writer = { name: '마크다운작가', email: 'md@madang.test', password: 'markdown-pass-1234' };
  const reader = { name: '댓글손님', email: 'mdreader@madang.test', password: 'mdreader-pass-1234' };
  await createMember(url, writer);
  await createMember(url, reader);
  const writerClient = await signedIn(url, writer.email, writer.password);
  // the writer has an avatar; the reader has none (a letter stands in)
  const avatarForm = new FormData();
  avatarForm.append('avatar', pngBlob(png(200, 200, [31, 111, 92])), 'me.png');
  await writerClient.collection('users').update(writerClient.authStore.record.id, avatarForm);

  const content = [
    '## 이번 주 모임 안내',
    '',
    '**토요일 오후 3시**, 마당 공원 정자에서 모여요.',
    '',
    '- 돗자리',
    '- 간식 *조금*',
    '',
    '1. 인사',
    '2. 공지',
    '',
    '> 비가 오면 다음 주로 미룹니다.',
    '',
    '준비물 목록은 `준비물.txt` 에 있어요. 자세한 건 [지도](https://example.com/map) 또는 https://madang.example/notice 에서 보세요.',
    '',
    '```',
    'const 시간 = "15:00";',
    '```',
  ].join('\n');
  const postForm = new FormData();
  postForm.append('board', board.id);
  postForm.append('title', '마크다운 모임 안내');
  postForm.append('content', content);
  postForm.append('attachments', pngBlob(png(800, 600, [224, 138, 0])), 'photo.png');
  const post = await writerClient.collection('posts').create(postForm);
  // the posts' file field lists the thumbnail size the page asks for (migration 1795900610_thumbs.go)
  const posts = await su.collections.getOne('posts');
  assert.ok(posts.fields.find((f) => f.name === 'attachments').thumbs.includes('320x0'));

  const page = await j.page(browser, 'reader', { viewport: { width: 1280, height: 800 } });
  await signInUI(page, url, reader.email, reader.password);
  await page.goto(`${url}/#/posts/${post.id}`);
  const body = page.locator('article.post .content.rich');
  await body.locator('h4', { hasText: '이번 주 모임 안내' }).waitFor(); // ## under the page's h1 and h2
  assert.equal(await body.locator('strong').first().textContent(), '토요일 오후 3시');
  assert.deepEqual(await body.locator('ul > li').allTextContents(), ['돗자리', '간식 조금']);
  assert.equal(await body.locator('ul em').textContent(), '조금');
  assert.deepEqual(await body.locator('ol > li').allTextContents(), ['인사', '공지']);
  assert.match(await body.locator('blockquote').textContent(), /비가 오면/);
  assert.equal(await body.locator('p code').textContent(), '준비물.txt');
  assert.match(await body.locator('pre code').textContent(), /const 시간 = "15:00";/);
  // links, written and bare, open in a new tab that cannot reach back
  for (const [name, href] of [['지도', 'https://example.com/map'], ['https://madang.example/notice', 'https://madang.example/notice']]) {
    const a = body.getByRole('link', { name, exact: true });
    assert.equal(await a.getAttribute('href'), href);
    assert.equal(await a.getAttribute('target'), '_blank');
    assert.equal(await a.getAttribute('rel'), 'noopener noreferrer');
  }

  // the attached image: a thumbnail (thumb=320x0, with the file token) that opens the full size
  const thumb = page.locator('article.post .thumbs a.thumb img');
  await thumb.waitFor();
  const thumbSrc = new URL(await thumb.getAttribute('src'));
  assert.equal(thumbSrc.searchParams.get('thumb'), '320x0');
  assert.ok(thumbSrc.searchParams.get('token'), 'a protected file needs the file token');
  await page.waitForFunction(() => {
    const img = document.querySelector('article.post .thumbs img');
    return img?.complete && img.naturalWidth > 0;
  });
  assert.equal(await thumb.evaluate((img) => img.naturalWidth), 320, 'the server sent the 320 px wide thumbnail');
  const [full] = await Promise.all([page.context().waitForEvent('page'), thumb.click()]);
  await full.waitForLoadState();
  const fullURL = new URL(full.url());
  assert.equal(fullURL.searchParams.get('thumb'), null);
  assert.match(fullURL.pathname, new RegExp(`/api/files/${posts.id}/${post.id}/photo_\\w+\\.png$`));
  const fullSize = await full.evaluate(() => [document.images[0]?.naturalWidth, document.images[0]?.naturalHeight]);
  assert.deepEqual(fullSize, [800, 600]);
  await full.close();

  // avatars: the writer's thumbnail next to the post, a letter for the reader's comment
  const postAvatar = page.locator('article.post .meta img.avatar');
  assert.equal(new URL(await postAvatar.getAttribute('src')).searchParams.get('thumb'), '64x64');
  await page.getByLabel('댓글 쓰기').fill('좋아요! **꼭** 갈게요\n\n- 김밥 가져감');
  await page.getByRole('button', { name: '댓글 등록' }).click();
  const comment = page.locator('li.comment').first();
  await comment.locator('.content.rich strong', { hasText: '꼭' }).waitFor();
  assert.equal(await comment.locator('.content.rich li').textContent(), '김밥 가져감');
  assert.equal(await comment.locator('.meta .avatar-letter').textContent(), '댓');
  const saved = await su.collection('comments').getFirstListItem(su.filter('post = {:p}', { p: post.id }));
  assert.equal(saved.content, '좋아요! **꼭** 갈게요\n\n- 김밥 가져감', 'the text is stored as written; rendering is the client\'s');

  // the board list shows the writer's avatar too
  await page.goto(`${url}/#/boards/${board.id}`);
  const row = page.locator('.post-row', { hasText: '마크다운 모임 안내' });
  await row.locator('.byline img.avatar').waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll('.byline img.avatar')].every((i) => i.complete && i.naturalWidth === 64));
  await page.goto(`${url}/#/posts/${post.id}`);
  await page.locator('li.comment .content.rich').first().waitFor();

  // on a phone the rendered post fits the screen: the code block scrolls, nothing else overflows
  const phone = await j.page(browser, 'phone', { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  await signInUI(phone, url, reader.email, reader.password);
  await phone.goto(`${url}/#/posts/${post.id}`);
  await phone.locator('article.post .content.rich h4').waitFor();
  await phone.waitForFunction(() => document.querySelector('article.post .thumbs img')?.naturalWidth > 0);
  assert.equal(await phone.evaluate(() => document.documentElement.scrollWidth), 390);
  const thumbBox = await phone.locator('article.post .thumbs img').boundingBox();
  assert.ok(thumbBox.x >= 0 && thumbBox.x + thumbBox.width <= 390, `the thumbnail fits: ${JSON.stringify(thumbBox)}`);
  await j.screenshot(phone, 'post-phone');
  await j.screenshot(page, 'last-step');
}, { allowConsole: [] });

journey('a comment marked cannot render shows as text, and the page with it; links keep http(s), mailto, tel and relative targets', async (j) => {
  const { url } = server;
  const board = server.board('자유게시판');
  const writer = { name: '깊은인용', email: 'deepquote@madang.test', password: 'deepquote-pass-1234' };
  await createMember(url, writer);
  const client = await signedIn(url, writer.email, writer.password);
  const post = await client.collection('posts').create({ board: board.id, title: '인용이 깊은 글',
    content: '[웹](https://madang.example) [메일](mailto:a@madang.example) [전화](tel:0212345678) [상대](#/boards) ' +
      '[ftp](ftp://files.example/x) [문자](sms:0101234) [콜](callto:someone) [xmpp](xmpp:a@b.example)' });
  // 2,000 ">" is a comment's limit: marked recursed once per level and overflowed the stack,
  // and the page showed only its error (until 2026-12-07); on a larger stack it rendered
  // 2,000 nested quotes instead, so the text was shown or not by the browser's state
  const deep = '>'.repeat(2000);
  const deepList = '- '.repeat(999) + '목록';
  await client.collection('comments').create({ post: post.id, content: deep });
  await client.collection('comments').create({ post: post.id, content: deepList });
  await client.collection('comments').create({ post: post.id, content: '>> 두 번 인용' });
  await client.collection('comments').create({ post: post.id, content: '다음 댓글은 **굵게**' });

  const page = await j.page(browser, 'reader', { viewport: { width: 1280, height: 800 } });
  await signInUI(page, url, writer.email, writer.password);
  await page.goto(`${url}/#/posts/${post.id}`);
  await page.locator('li.comment .content.rich strong', { hasText: '굵게' }).waitFor();
  assert.equal(await page.locator('article.post h1').textContent(), '인용이 깊은 글');
  const texts = await page.locator('li.comment .content.rich').allTextContents();
  assert.ok(texts.includes(deep), 'the deep comment shows as its text');
  assert.ok(texts.includes(deepList), 'the deep list shows as its text');
  assert.equal(await page.locator('li.comment .content.rich blockquote blockquote', { hasText: '두 번 인용' }).count(), 1,
    'a quote in a quote still renders');
  assert.equal(await page.locator('li.comment .content.rich blockquote').count(), 2, 'and nothing else renders as quotes');
  const links = await page.locator('article.post .content.rich a').evaluateAll((as) => as.map((a) => [a.textContent, a.getAttribute('href')]));
  assert.deepEqual(links.filter(([, href]) => href !== null), [
    ['웹', 'https://madang.example'], ['메일', 'mailto:a@madang.example'], ['전화', 'tel:0212345678'], ['상대', '#/boards']]);
  await j.screenshot(page, 'last-step');
});

journey('files that are not images: the heading, then the list of files, and no stray text', async (j) => {
  const { url } = server;
  const board = server.board('자유게시판');
  const writer = { name: '문서첨부', email: 'docs@madang.test', password: 'docs-pass-1234' };
  await createMember(url, writer);
  const client = await signedIn(url, writer.email, writer.password);
  const postForm = new FormData();
  postForm.append('board', board.id);
  postForm.append('title', '회의록 첨부');
  postForm.append('content', '회의록을 올립니다.');
  postForm.append('attachments', new Blob(['회의록\n'], { type: 'text/plain' }), 'minutes.txt');
  const post = await client.collection('posts').create(postForm);
  const commentForm = new FormData();
  commentForm.append('post', post.id);
  commentForm.append('content', '발표 자료도 붙입니다.');
  commentForm.append('attachments', new Blob(['%PDF-1.4\n%%EOF\n'], { type: 'application/pdf' }), 'slides.pdf');
  await client.collection('comments').create(commentForm);

  const page = await j.page(browser, 'writer', { viewport: { width: 1280, height: 800 } });
  await signInUI(page, url, writer.email, writer.password);
  await page.goto(`${url}/#/posts/${post.id}`);
  for (const [box, file] of [[page.locator('article.post .attachments'), 'minutes'], [page.locator('li.comment .attachments'), 'slides']]) {
    await box.locator('ul.files a', { hasText: file }).waitFor();
    // the box holds exactly its heading and the list: no text node (such as "null") between them
    const children = await box.evaluate((el) => [...el.childNodes].map((n) => n.nodeType === Node.ELEMENT_NODE ? n.nodeName.toLowerCase() : JSON.stringify(n.textContent)));
    assert.deepEqual(children, ['h2', 'ul'], `${file}: ${children}`);
    assert.doesNotMatch(await box.innerText(), /null/);
  }
  await j.screenshot(page, 'last-step');
});

journey('a wide Markdown table scrolls in its own box on a phone, the page does not', async (j) => {
  const { url } = server;
  const board = server.board('자유게시판');
  const writer = { name: '표작가', email: 'tables@madang.test', password: 'tables-pass-1234' };
  await createMember(url, writer);
  const client = await signedIn(url, writer.email, writer.password);
  const columns = Array.from({ length: 30 }, (_, i) => i);
  const table = [
    `| ${columns.map((i) => `col${i}`).join(' | ')} |`,
    `|${columns.map(() => '---').join('|')}|`,
    `| ${columns.map((i) => `값${i}`).join(' | ')} |`,
  ].join('\n');
  const post = await client.collection('posts').create({ board: board.id, title: '넓은 표', content: `열이 많은 표입니다.\n\n${table}` });
  await client.collection('comments').create({ post: post.id, content: table });

  const phone = await j.page(browser, 'phone', { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  await phone.goto(`${url}/#/posts/${post.id}`);
  for (const rich of [phone.locator('article.post .content.rich'), phone.locator('li.comment .content.rich')]) {
    const wrap = rich.locator('.table-wrap');
    await wrap.locator('table th', { hasText: 'col29' }).waitFor();
    const box = await wrap.evaluate((el) => ({
      scrolls: el.scrollWidth > el.clientWidth && getComputedStyle(el).overflowX === 'auto',
      right: el.getBoundingClientRect().right,
      // a header cell is one line high: "col0" is not broken a letter a line
      headerLines: Math.round(el.querySelector('th').getBoundingClientRect().height / parseFloat(getComputedStyle(el.querySelector('th')).lineHeight)),
    }));
    assert.ok(box.scrolls, 'the table scrolls inside its box');
    assert.ok(box.right <= 390, `the box fits the screen: ${box.right}`);
    assert.ok(box.headerLines <= 2, `a header cell keeps its word: ${box.headerLines} lines`);
  }
  assert.equal(await phone.evaluate(() => document.documentElement.scrollWidth), 390, 'no sideways scroll of the page');
  await j.screenshot(phone, 'last-step');
});

const PAYLOADS = [
  '<img src=x onerror=alert(1)>',
  '<script>alert(2)</script>',
  '"><svg onload=alert(3)>',
  '<a href="javascript:alert(4)">a4</a>',
  '[x5](javascript:alert(5))',
  '<iframe src="javascript:alert(6)"></iframe>',
  '![i7](javascript:alert(7))',
  '<b onmouseover=alert(8)>b8</b>',
];

journey('stored XSS: payloads in every user-controlled string stay inert text', async (j) => {
  const { url, su } = server;
  const dialogs = [];
  const watch = (page) => page.on('dialog', (d) => dialogs.push(`${d.type()}: ${d.message()}`));
  const all = PAYLOADS.join(' ');

  // names may only hold letters, digits and _ . - : the server refuses markup in one
  await assert.rejects(createMember(url, { name: '<img src=x onerror=alert(1)>', email: 'xss-name@madang.test', password: 'xss-pass-12345' }),
    (err) => err.status === 400 && err.response.data.name?.code === 'validation_invalid_format');

  const member = { name: 'xss_member', email: 'xss@madang.test', password: 'xss-pass-12345' };
  await createMember(url, member);
  const client = await signedIn(url, member.email, member.password);
  const admin = await signedIn(url, ADMIN.email, ADMIN.password);

  // a board whose name and information are payloads
  const board = await admin.collection('boards').create({ name: PAYLOADS[0], information: PAYLOADS.slice(1, 4).join(' '), read: 'public', write: 'members', is_visible: true });
  // a post: title, content, and an attachment whose file name is a payload
  const form = new FormData();
  form.append('board', board.id);
  form.append('title', PAYLOADS[1] + PAYLOADS[2]);
  form.append('content', PAYLOADS.join('\n\n'));
  form.append('attachments', pngBlob(png(40, 30, [10, 120, 200])), '"><img src=x onerror=alert(9)>.png');
  const post = await client.collection('posts').create(form);
  await client.collection('comments').create({ post: post.id, content: all });
  // a chat message
  const session = await client.collection('chat_sessions').create({ name: PAYLOADS[2], kind: 'support', information: PAYLOADS[0] });
  await client.collection('chats').create({ session: session.id, content: all });
  // an AI model (admin-written name and description) and a member's job description
  const model = await su.collection('ais').create({
    name: '"><svg onload=alert(10)>', description: PAYLOADS[0], kind: 'linear_regression', is_visible: true, status: 'ready',
    model: { features: ['x0'], coefficients: [2], intercept: 1, target: 'y' }, options: { target: 'y' },
  });
  const job = await client.send(`/api/ais/${model.id}/infer`, { method: 'POST', body: { input: { features: { x0: 1 } }, description: PAYLOADS[0] + PAYLOADS[4] } });
  await eventually(async () => (await su.collection('ai_logs').getOne(job.id)).status === 'succeeded', { message: 'the job to finish' });

  const page = await j.page(browser, 'member', { viewport: { width: 1280, height: 800 } });
  watch(page);
  await signInUI(page, url, member.email, member.password);

  // the board list and the board page: name and information as text
  await page.goto(`${url}/#/`);
  await page.getByText(PAYLOADS[0], { exact: true }).first().waitFor();
  await page.goto(`${url}/#/boards/${board.id}`);
  await page.getByRole('heading', { name: PAYLOADS[0], level: 1 }).waitFor();
  assert.match(await page.locator('.page-head p.muted').textContent(), /<script>alert\(2\)<\/script>/);
  await page.locator('.post-title', { hasText: '<script>alert(2)</script>' }).waitFor();

  // the post: title as text; content's HTML shown as text, javascript: links dead
  await page.goto(`${url}/#/posts/${post.id}`);
  await page.getByRole('heading', { level: 1, name: PAYLOADS[1] + PAYLOADS[2] }).waitFor();
  const content = page.locator('article.post .content.rich');
  for (const p of [PAYLOADS[0], PAYLOADS[1], PAYLOADS[2], PAYLOADS[3], PAYLOADS[5], PAYLOADS[7]]) {
    assert.ok((await content.textContent()).includes(p), `the post shows ${p} as text`);
  }
  for (const name of ['x5', 'i7']) {
    const link = content.getByText(name, { exact: true });
    assert.equal(await link.getAttribute('href'), null, `${name} keeps no javascript: target`);
  }
  // a link whose target was refused is its text alone, not a dead link
  // that looks clickable
  assert.equal(await content.locator('a:not([href])').count(), 0, 'a dead link drawn as a link');
  assert.ok((await content.textContent()).includes('x5'), 'the refused link keeps its text');
  // the attachment (its name a payload) as a thumbnail: the sentinel that
  // images have loaded, so an injected <img src=x> would have failed by now
  await page.waitForFunction(() => {
    const img = document.querySelector('article.post .thumbs img');
    return img?.complete && img.naturalWidth > 0;
  });
  const comment = page.locator('li.comment .content.rich');
  await comment.waitFor();
  assert.ok((await comment.textContent()).includes(PAYLOADS[0]));
  assert.deepEqual(await liveMarkup(page), []);
  assert.equal(await page.locator('main script, main iframe, main svg:not(.icon), main img[src="x"]').count(), 0);

  // chat: session name, information and message as text
  await page.goto(`${url}/#/chat/${session.id}`);
  const message = page.locator('.message .bubble');
  await message.waitFor();
  assert.equal(await message.textContent(), all);
  await page.locator('.chat-pane h2', { hasText: PAYLOADS[2] }).waitFor();
  assert.deepEqual(await liveMarkup(page), []);

  // AI: the model's name and description, and my job's description
  await page.goto(`${url}/#/ai`);
  await page.getByRole('cell', { name: PAYLOADS[0] + PAYLOADS[4] }).waitFor();
  await page.getByRole('link', { name: '"><svg onload=alert(10)>' }).first().waitFor();
  assert.deepEqual(await liveMarkup(page), []);
  await page.goto(`${url}/#/ai/${model.id}`);
  await page.getByText(PAYLOADS[0], { exact: true }).waitFor();

  // the admin pages show them as text as well
  const adminPage = await j.page(browser, 'admin', { viewport: { width: 1280, height: 800 } });
  watch(adminPage);
  await signInUI(adminPage, url, ADMIN.email, ADMIN.password);
  await adminPage.goto(`${url}/#/admin/boards`);
  await adminPage.getByText(PAYLOADS[0]).first().waitFor();
  await adminPage.goto(`${url}/#/admin/ai`);
  await adminPage.getByText('"><svg onload=alert(10)>').first().waitFor();
  assert.deepEqual(await liveMarkup(adminPage), []);

  assert.deepEqual(dialogs, [], 'no payload opened a dialog');
  // the policy is still on the page
  const res = await page.goto(`${url}/`);
  assert.match(res.headers()['content-security-policy'], /script-src 'self'/);
  await j.screenshot(page, 'last-step');
}, { allowConsole: [] });

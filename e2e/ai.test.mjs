// AI: an admin creates a regression model, uploads its dataset and trains
// it from the admin area; a member runs it and the result appears without
// a reload.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startServer, launchBrowser, journey, signInUI, createMember, signedIn, requireCollections, eventually, ADMIN, LIVE_MS } from './lib/harness.mjs';

// A stand-in for an OpenAI-compatible chat server on loopback: it streams
// its reply in pieces, slowly enough for the page to show each one.
const REPLY = ['안녕', '하세요', ', 마당', '입니다.'];
let fakeChat;
let chatBaseURL;

let server;
let browser;
before(async () => {
  fakeChat = http.createServer((req, res) => {
    if (req.method !== 'POST' || !req.url.endsWith('/chat/completions')) {
      res.writeHead(404).end();
      return;
    }
    req.resume();
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    let i = 0;
    const timer = setInterval(() => {
      if (i < REPLY.length) {
        res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: REPLY[i++] } }] })}\n\n`);
      } else {
        clearInterval(timer);
        res.end('data: [DONE]\n\n');
      }
    }, 700);
    res.on('close', () => clearInterval(timer));
  });
  await new Promise((ok) => fakeChat.listen(0, '127.0.0.1', ok));
  chatBaseURL = `http://127.0.0.1:${fakeChat.address().port}/v1`;
  server = await startServer({ env: { MADANG_OPENAI_API_KEY: 'sk-test-e2e' } });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  fakeChat?.close();
});

/** y = 2·x0 + 3·x1 + 1, exactly. */
function dataset() {
  const rows = ['x0,x1,y'];
  for (let i = 0; i < 40; i++) {
    const x0 = i % 7;
    const x1 = (i * 3) % 11;
    rows.push(`${x0},${x1},${2 * x0 + 3 * x1 + 1}`);
  }
  return Buffer.from(rows.join('\n') + '\n');
}

journey('AI: admin trains a model, a member runs it and sees the result live', async (j) => {
  const { url, su } = server;
  await requireCollections(su, ['ais', 'ai_logs'], 'pb_migrations/1795900300_ai.go');
  const member = { name: '분석회원', email: 'ai@madang.test', password: 'ai-pass-1234' };
  const created = await createMember(url, member);
  const modelName = '집값 예측';

  // the admin creates the model, uploads the dataset and trains it
  const adminPage = await j.page(browser, 'admin');
  await signInUI(adminPage, url, ADMIN.email, ADMIN.password);
  await adminPage.goto(`${url}/#/admin/ai`);
  const newModel = adminPage.locator('section', { has: adminPage.getByRole('heading', { name: '새 모델' }) });
  await newModel.getByLabel('모델 이름').fill(modelName);
  await newModel.getByLabel('설명').fill('두 값으로 y를 예측합니다');
  await newModel.getByLabel('종류').selectOption('linear_regression');
  await newModel.getByRole('button', { name: '모델 만들기' }).click();
  const ai = await eventually(() => su.collection('ais').getFirstListItem(su.filter('name = {:n}', { n: modelName })).catch(() => null),
    { message: 'the new model in the database' });
  const card = adminPage.locator(`details[data-model="${ai.id}"]`);
  await card.locator('summary').first().click();
  await card.getByLabel('학습 데이터 (CSV)').setInputFiles({ name: 'houses.csv', mimeType: 'text/csv', buffer: dataset() });
  await card.getByRole('button', { name: '올리기' }).click();
  await adminPage.getByText('데이터를 올렸습니다').waitFor();
  await adminPage.locator(`details[data-model="${ai.id}"]`).getByRole('button', { name: '학습 시작' }).click();
  // training ends by itself; status and metrics arrive without a reload (or the page says why not)
  const ready = adminPage.locator(`details[data-model="${ai.id}"] [data-status="ready"]`).first();
  const refused = adminPage.locator(`details[data-model="${ai.id}"] .notice-error`).first();
  await ready.or(refused).waitFor({ timeout: 60_000 });
  if (await refused.isVisible()) assert.fail(`training was refused or failed: ${await refused.textContent()}`);
  await adminPage.locator(`details[data-model="${ai.id}"] [data-metric="r2"]`).waitFor();
  const trained = await su.collection('ais').getOne(ai.id);
  assert.equal(trained.status, 'ready');
  assert.ok(trained.metrics.r2 > 0.99, `r2 = ${trained.metrics.r2}`);

  // the member runs it
  const page = await j.page(browser, 'member');
  await signInUI(page, url, member.email, member.password);
  await page.getByRole('navigation', { name: '주 메뉴' }).getByRole('link', { name: 'AI' }).click();
  await page.getByRole('link', { name: modelName }).click();
  await page.getByRole('heading', { name: modelName }).waitFor();
  // the model's input features come from the server (input_features): one number field each
  await page.getByLabel('x0', { exact: true }).fill('3');
  await page.getByLabel('x1', { exact: true }).fill('4');
  assert.equal(await page.getByLabel('입력값').count(), 0, 'the free-text input is only for models without known features');
  await page.getByLabel('설명').fill('첫 예측');
  await page.getByRole('button', { name: '실행' }).click();
  const result = page.locator('.job [data-job-result]');
  const formError = page.locator('.form-error:not([hidden])');
  await page.locator('.job [data-status="succeeded"]').or(formError).waitFor({ timeout: LIVE_MS });
  if (await formError.isVisible()) assert.fail(`inference was refused: ${await formError.textContent()}`);
  assert.equal((await result.textContent()).trim(), '19');

  const jobs = await su.collection('ai_logs').getFullList({ filter: su.filter('user = {:u}', { u: created.id }) });
  assert.equal(jobs.length, 1);
  assert.equal(jobs[0].status, 'succeeded');
  assert.equal(jobs[0].is_finished, true);
  assert.equal(jobs[0].description, '첫 예측');
  assert.ok(Math.abs(jobs[0].result.predictions[0] - 19) < 1e-6, JSON.stringify(jobs[0].result));

  // the job is in my history
  await page.getByRole('navigation', { name: '주 메뉴' }).getByRole('link', { name: 'AI' }).click();
  await page.locator(`tr[data-job="${jobs[0].id}"]`, { hasText: '첫 예측' }).waitFor();
  await j.screenshot(adminPage, 'admin');
  await j.screenshot(page, 'last-step');
});

journey('AI: openai_chat text streams into the page', async (j) => {
  const { url, su } = server;
  await requireCollections(su, ['ais', 'ai_logs'], 'pb_migrations/1795900300_ai.go');
  const member = { name: '대화회원', email: 'chatai@madang.test', password: 'chatai-pass-1234' };
  const created = await createMember(url, member);
  const admin = await signedIn(url, ADMIN.email, ADMIN.password);
  const model = await admin.collection('ais').create({
    name: '마당 도우미', description: '무엇이든 물어보세요', kind: 'openai_chat', is_visible: true,
    options: { base_url: chatBaseURL, model: 'test-model', system_prompt: '친절하게 답하세요' },
  });
  await admin.send(`/api/ais/${model.id}/train`, { method: 'POST' }).catch((err) => {
    assert.fail(`backend gap: POST /api/ais/{id}/train answered ${err.status}: ${err.message}`);
  });
  await eventually(async () => (await su.collection('ais').getOne(model.id)).status === 'ready', { timeout: 30_000, message: 'the chat model to be ready' });

  const page = await j.page(browser, 'member');
  await signInUI(page, url, member.email, member.password);
  await page.goto(`${url}/#/ai/${model.id}`);
  // the limit is told before typing, and a prompt over it is refused once,
  // next to the box (the route's sentence was shown twice: on top as well)
  await page.getByText('32,000자까지').waitFor();
  await page.getByLabel('질문').fill('가'.repeat(32_001));
  await page.getByRole('button', { name: '실행' }).click();
  const tooLong = page.locator('.field-error');
  await tooLong.waitFor({ timeout: LIVE_MS });
  assert.match(await tooLong.textContent(), /input\.prompt is longer than 32000 characters/);
  assert.equal(await page.getByText('input.prompt is longer than').count(), 1, 'the sentence once, under the field');
  assert.equal((await page.locator('.form-error').textContent()).trim(), '요청을 처리하지 못했습니다. 표시된 항목을 고친 뒤 다시 시도해 주세요.');
  assert.equal((await su.collection('ai_logs').getFullList({ filter: su.filter('user = {:u}', { u: created.id }) })).length, 0, 'a refused prompt makes no job');
  await page.getByLabel('질문').fill('안녕?');
  await page.getByRole('button', { name: '실행' }).click();
  // a partial reply shows while the job still runs, then the whole one
  await page.waitForFunction((full) => {
    const text = document.querySelector('.job [data-job-result]')?.textContent || '';
    return document.querySelector('.job [data-status="running"]') && text.startsWith('안녕') && text !== full;
  }, REPLY.join(''), { timeout: LIVE_MS });
  await page.locator('.job [data-status="succeeded"]').waitFor({ timeout: LIVE_MS });
  assert.equal((await page.locator('.job [data-job-result]').textContent()).trim(), REPLY.join(''));

  const jobs = await su.collection('ai_logs').getFullList({ filter: su.filter('user = {:u}', { u: created.id }) });
  assert.equal(jobs.length, 1);
  assert.equal(jobs[0].status, 'succeeded');
  assert.deepEqual(jobs[0].result, { text: REPLY.join('') });
  assert.deepEqual(jobs[0].input, { prompt: '안녕?' });
  await j.screenshot(page, 'last-step');
}, { allowConsole: [/status of 400/] }); // the prompt over the limit

// Test harness for the browser journeys: a real Madang server on a free
// loopback port with a fresh data dir, seeded through the operators' CLI,
// a headless Chromium, and a superuser SDK client to check the database.
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, mkdir, rm, writeFile, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import PocketBase from 'pocketbase';
import { chromium } from 'playwright-core';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(here, '../..');
export const ARTIFACTS = join(ROOT, 'e2e', 'artifacts');

export const BIN = process.env.MADANG_BIN || '/tmp/madang-e2e';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export const SUPERUSER = { email: 'root@madang.test', password: 'root-password-1234' };
export const ADMIN = { email: 'admin@madang.test', password: 'admin-password-1234', name: '운영자' };
export const BOARDS = [
  { name: '자유게시판', read: 'public', write: 'members', info: '누구나 읽고 회원이 쓰는 곳' },
  { name: '공지사항', read: 'public', write: 'admins', info: '운영 소식' },
];

/** How long a live change may take to show in another browser. */
export const LIVE_MS = 10_000;

/** The URL is PocketBase's realtime endpoint (its SSE GET and subscription POSTs). */
function isRealtimeURL(url) {
  try { return new URL(url).pathname === '/api/realtime'; } catch { return false; }
}

function freePort() {
  return new Promise((ok, fail) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

async function cli(dataDir, cwd, ...args) {
  try {
    return await run(BIN, [...args, '--dir', dataDir, '--dev=false'], { cwd, timeout: 60_000 });
  } catch (err) {
    throw new Error(`madang ${args.join(' ')} failed: ${err.stderr || err.stdout || err.message}`);
  }
}

/**
 * Starts a Madang server seeded with a superuser, an in-app admin and the
 * BOARDS. Returns {url, su (superuser SDK client), boards, stop()}.
 */
export async function startServer({ env = {} } = {}) {
  try {
    await access(BIN);
  } catch {
    throw new Error(`no server binary at ${BIN}: build it with GOTOOLCHAIN=go1.27.3 go build -o ${BIN} . (test.sh does)`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'madang-e2e-'));
  const dataDir = join(dir, 'pb_data');
  await cli(dataDir, dir, 'superuser', 'upsert', SUPERUSER.email, SUPERUSER.password);
  await cli(dataDir, dir, 'admin', 'create', ADMIN.email, ADMIN.password, '--name', ADMIN.name);
  for (const b of BOARDS) await cli(dataDir, dir, 'boards', 'create', b.name, '--read', b.read, '--write', b.write, '--info', b.info);

  let url = '';
  let args = [];
  const choosePort = async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    args = ['serve', '--http', `127.0.0.1:${port}`, '--dir', dataDir, '--dev=false'];
    // MADANG_E2E_PUBLIC_DIR=pb_public serves the client live instead of the embedded copy
    if (process.env.MADANG_E2E_PUBLIC_DIR) args.push('--publicDir', resolve(ROOT, process.env.MADANG_E2E_PUBLIC_DIR));
  };
  await choosePort();
  let output = '';
  let proc;
  let exited;
  // serve, and wait until it answers (again, after restart)
  const serve = async () => {
    proc = spawn(BIN, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    proc.stdout.on('data', (d) => { output += d; });
    proc.stderr.on('data', (d) => { output += d; });
    const p = proc;
    exited = new Promise((ok) => p.on('exit', ok));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (p.exitCode !== null) throw new Error(`madang serve exited with ${p.exitCode}:\n${output}`);
      try {
        const res = await fetch(`${url}/api/health`);
        if (res.ok) break;
      } catch { /* not listening yet */ }
      if (Date.now() > deadline) throw new Error(`madang serve did not answer /api/health in 30 s:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const halt = async () => {
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  // the free port was closed before the server took it: something else may
  // have taken it meanwhile (the first start only; a restart keeps its port)
  for (let tries = 1; ; tries++) {
    try {
      await serve();
      break;
    } catch (err) {
      if (tries === 3 || !/address already in use/.test(output)) throw err;
      output = '';
      await choosePort();
    }
  }

  const su = new PocketBase(url);
  su.autoCancellation(false);
  await su.collection('_superusers').authWithPassword(SUPERUSER.email, SUPERUSER.password);
  // the journeys sign in many times from one IP: the sign-in rate limits would get in the way
  await su.settings.update({ rateLimits: { enabled: false } });
  const boards = await su.collection('boards').getFullList({ sort: 'name' });

  return {
    url,
    su,
    boards,
    board: (name) => boards.find((b) => b.name === name),
    log: () => output,
    /**
     * Stops the server and serves the same data dir on the same port again
     * (every realtime connection drops). `whileDown` runs between the two.
     */
    async restart(whileDown = async () => {}) {
      await halt();
      await whileDown();
      await serve();
    },
    async stop() {
      await halt();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** An SDK client signed in as a user (email, password), for seeding. */
export async function signedIn(url, email, password) {
  const client = new PocketBase(url);
  client.autoCancellation(false);
  await client.collection('users').authWithPassword(email, password);
  return client;
}

/** Creates a member through the public sign-up, as the web client does. */
export async function createMember(url, { name, email, password }) {
  const client = new PocketBase(url);
  return client.collection('users').create({ name, email, password, passwordConfirm: password });
}

/**
 * Fails with a clear message when a backend piece a journey needs is not
 * on the server yet: such a journey must fail, not skip.
 */
export async function requireCollections(su, names, from) {
  for (const name of names) {
    try {
      await su.collections.getOne(name);
    } catch (err) {
      if (err.status === 404) {
        assert.fail(`backend gap: collection "${name}" does not exist on the server yet (expected from ${from})`);
      }
      throw err;
    }
  }
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
}

/**
 * A journey: a test with browser pages whose console is recorded. On
 * failure each page's screenshot and console log go to e2e/artifacts/; at
 * the end the pages must have logged no errors (besides `allowConsole`).
 */
export function journey(name, fn, { allowConsole = [], timeout = 120_000 } = {}) {
  test(name, { timeout }, async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    const slug = name.replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-|-$/g, '').toLowerCase();
    const pages = [];
    const contexts = [];
    const j = {
      slug,
      async page(browser, label, options = {}) {
        const context = await browser.newContext({ locale: 'ko-KR', timezoneId: 'Asia/Seoul', viewport: { width: 1100, height: 900 }, ...options });
        contexts.push(context);
        const page = await context.newPage();
        /** @type {{label: string, page: any, log: string[], errors: string[], unforgiven?: () => string[]}} */
        const entry = { label, page, log: [], errors: [] };
        // each line of the log written on failure says when, from the page's start
        const started = Date.now();
        const at = () => `+${Date.now() - started}ms`;
        // A subscription POST that was in flight when the page reloaded (a
        // test's page.goto) reaches the server after the reload ended its
        // connection: the server rightly answers 404 (no such client), and
        // Chrome logs that answer, to a document that is already gone, as a
        // console error. Such an answer is counted here and forgiven its one
        // console line; a 404 for a connection the page still has open is not.
        const endedClients = new Set();
        let liveClient = '';
        let staleAnswers = 0;
        let staleLines = 0;
        const realtime404 = /^Failed to load resource: the server responded with a status of 404\b/;
        entry.unforgiven = () => Array(Math.max(0, staleLines - staleAnswers))
          .fill('[error] Failed to load resource: the server responded with a status of 404 (/api/realtime)');
        page.on('console', (m) => {
          const line = `[${m.type()}] ${m.text()}`;
          entry.log.push(`${at()} ${line}`);
          if (m.type() !== 'error') return;
          if (realtime404.test(m.text()) && isRealtimeURL(m.location()?.url)) {
            staleLines++;
            return;
          }
          entry.errors.push(line);
        });
        page.on('pageerror', (e) => {
          entry.log.push(`${at()} [pageerror] ${e.stack || e.message}`);
          entry.errors.push(`[pageerror] ${e.message}`);
        });
        // the realtime connections' lives and subscription requests, to read
        // a failure by: a POST /api/realtime answered 404 names a connection
        // the server no longer has (seen once in CI, 2026-12-02)
        const isRealtime = (req) => isRealtimeURL(req.url());
        const clientOf = (req) => { try { return JSON.parse(req.postData() || '{}').clientId || ''; } catch { return ''; } };
        const connectionEnded = () => { if (liveClient) endedClients.add(liveClient); liveClient = ''; };
        page.on('request', (req) => {
          if (!isRealtime(req)) return;
          entry.log.push(`${at()} [realtime] ${req.method()} ${req.method() === 'POST' ? req.postData() : 'opened'}`);
          if (req.method() === 'GET') connectionEnded();
          else if (!endedClients.has(clientOf(req))) liveClient = clientOf(req);
        });
        page.on('requestfinished', (req) => {
          if (isRealtime(req) && req.method() === 'GET') {
            entry.log.push(`${at()} [realtime] GET ended by the server`);
            connectionEnded();
          }
        });
        page.on('requestfailed', (req) => {
          if (!isRealtime(req)) return;
          entry.log.push(`${at()} [realtime] ${req.method()} failed: ${req.failure()?.errorText}`);
          if (req.method() === 'GET') connectionEnded();
        });
        page.on('response', (r) => {
          if (isRealtime(r.request()) && r.request().method() === 'GET') {
            entry.log.push(`${at()} [realtime] GET ${r.status()}`);
          }
          if (isRealtime(r.request()) && r.request().method() === 'POST' && r.status() === 404 &&
              endedClients.has(clientOf(r.request()))) {
            staleAnswers++;
            entry.log.push(`${at()} [realtime] POST 404 for connection ${clientOf(r.request())}, which had already ended: forgiven`);
          }
          if (r.status() >= 400) entry.log.push(`${at()} [http ${r.status()}] ${r.request().method()} ${r.url()}`);
          // every page of the web client carries its Content-Security-Policy
          if (r.request().isNavigationRequest() && r.request().resourceType() === 'document' &&
              !new URL(r.url()).pathname.startsWith('/_/') && !r.headers()['content-security-policy']) {
            entry.errors.push(`[csp] no Content-Security-Policy on ${r.url()}`);
          }
        });
        // a CSP violation fails the journey, whatever the console says of it
        await page.addInitScript(() => document.addEventListener('securitypolicyviolation', (e) =>
          console.error(`[csp violation] ${e.violatedDirective} blocked ${e.blockedURI || 'inline code'} at ${e.sourceFile}:${e.lineNumber}`)));
        page.on('dialog', (d) => d.accept());
        pages.push(entry);
        return page;
      },
      async screenshot(page, step) {
        const path = join(ARTIFACTS, `${slug}-${step}.png`);
        await page.screenshot({ path, fullPage: true });
        return path;
      },
    };
    try {
      await fn(j);
      for (const { label, errors, unforgiven } of pages) {
        const unexpected = [...errors, ...unforgiven()].filter((line) => !allowConsole.some((re) => re.test(line)));
        assert.deepEqual(unexpected, [], `console errors on the ${label} page`);
      }
    } catch (err) {
      for (const { label, page, log } of pages) {
        await writeFile(join(ARTIFACTS, `${slug}-failure-${label}.console.log`), log.join('\n') + '\n').catch(() => {});
        if (!page.isClosed()) await page.screenshot({ path: join(ARTIFACTS, `${slug}-failure-${label}.png`), fullPage: true }).catch(() => {});
      }
      throw err;
    } finally {
      for (const c of contexts) await c.close().catch(() => {});
    }
  });
}

/** Signs in through the web client's form. */
export async function signInUI(page, url, identity, password) {
  await page.goto(`${url}/#/signin`);
  await page.getByLabel(/이메일 또는 이름|Email or name/).fill(identity);
  await page.getByLabel(/^(비밀번호|Password)$/).fill(password);
  await page.getByRole('button', { name: /^(로그인|Sign in)$/ }).click();
  await page.locator('#signout').waitFor();
}

/** Polls fn until it returns a truthy value (for database checks after async work). */
export async function eventually(fn, { timeout = LIVE_MS, interval = 200, message = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${message}; last: ${last?.message || JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** A phone's browser context options (390×844), for j.page(browser, label, PHONE). */
export const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

/** Fails if the page is wider than its viewport (a phone must not scroll sideways). */
export async function assertNoSideScroll(page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
}

/**
 * Holds the answers to page's requests matching url (and method, if given):
 * each request reaches the server at once, its answer waits until
 * release(). `reached` settles with the first such answer's status, once the
 * server gave it. For forcing an order of answers a test needs (a 401 after
 * the change that caused it); call page.unroute(url) when done.
 * `installed` settles once the route is in place.
 * @returns {{ reached: Promise<number>, installed: Promise<void>, release: () => void }}
 */
export function holdAnswers(page, url, method = '') {
  let release = () => {};
  let installed;
  const gate = new Promise((r) => { release = r; });
  const reached = new Promise((resolve) => {
    installed = page.route(url, async (route) => {
      if (method && route.request().method() !== method) return route.continue();
      const response = await route.fetch();
      resolve(response.status());
      await gate;
      await route.fulfill({ response });
    });
  });
  return { reached, installed, release: () => release() };
}

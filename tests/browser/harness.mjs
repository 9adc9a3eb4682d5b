// Shared setup for the browser tests: the real `portal` binary on a free port with a temporary
// data dir, a small client for its HTTP API, and Debian's Chromium driven by playwright-core
// with every console error, page error, CSP violation and off-host request collected.
//
// Not a test file itself (node --test only picks up *.test.mjs here).

import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(HERE, '..', '..');
export const ARTIFACTS = join(HERE, 'artifacts');
export const ADMIN = 'browser-admin-token-0123456789abcdef';

export const PORTAL_BIN = resolve(REPO, process.env.PORTAL_BIN || 'target/debug/portal');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

// ---------------------------------------------------------------------------------------------
// The portal binary

/** The domain the test portals let friends expose apps under. */
export const TEST_DOMAIN = 'your-domain.net';

/**
 * Starts `portal serve` in embedded mode on 127.0.0.1:0 and waits for its "portal listening"
 * log line. Returns {url, api, stop, log}. domains: what `--domains` allows (the built-in
 * policy allows none, so exposing is not set up when this is empty).
 */
export async function startPortal({ domains = [TEST_DOMAIN] } = {}) {
  assert.ok(existsSync(PORTAL_BIN), `no portal binary at ${PORTAL_BIN} (build it, or set PORTAL_BIN)`);
  const dataDir = mkdtempSync(join(tmpdir(), 'portal-browser-'));
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('PORTAL_')) delete env[k];
  env.RUST_LOG = env.RUST_LOG || 'info';
  const child = spawn(PORTAL_BIN, [
    'serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir,
    '--admin-token', ADMIN, '--log-format', 'json',
    ...(domains.length ? ['--domains', domains.join(',')] : []),
  ], { env, stdio: ['ignore', 'ignore', 'pipe'] });

  const lines = [];
  const killOnExit = () => { try { child.kill('SIGKILL'); } catch { /* gone */ } };
  process.on('exit', killOnExit);

  const addr = await new Promise((resolveAddr, reject) => {
    const timer = setTimeout(() => reject(new Error(`portal did not start within 60 s:\n${lines.join('\n')}`)), 60_000);
    createInterface({ input: child.stderr }).on('line', (line) => {
      lines.push(line);
      if (lines.length > 5000) lines.shift();
      if (line.includes('portal listening')) {
        try {
          const v = JSON.parse(line);
          clearTimeout(timer);
          resolveAddr(v.addr);
        } catch (e) {
          clearTimeout(timer);
          reject(new Error(`unreadable listening line ${line}: ${e.message}`));
        }
      }
    });
    child.once('error', (e) => { clearTimeout(timer); reject(e); });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`portal exited (${code ?? signal}) before listening:\n${lines.join('\n')}`));
    });
  });
  const url = `http://${addr}`;

  async function stop() {
    process.off('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  }

  /**
   * One API call. token defaults to the admin token; body is sent as JSON unless it is a
   * string (then as-is, with the given content type). Returns {status, headers, body, text}.
   */
  async function api(method, path, { token = ADMIN, body, headers = {}, contentType } = {}) {
    const init = { method, headers: { Authorization: `Bearer ${token}`, ...headers } };
    if (body !== undefined) {
      init.headers['Content-Type'] = contentType || 'application/json';
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const res = await fetch(url + path, init);
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
    return { status: res.status, headers: res.headers, body: json, text };
  }

  /** Like api(), but fails unless the status is the expected one. */
  async function must(status, method, path, opts) {
    const r = await api(method, path, opts);
    assert.equal(r.status, status, `${method} ${path}: ${r.status} ${r.text}`);
    return r.body;
  }

  return { url, api, must, stop, log: () => lines.join('\n') };
}

// ---------------------------------------------------------------------------------------------
// Data set-up through the admin API

/** An agent, a friend linked to it, and that friend's session. */
export async function addFriend(portal, { id, displayName, agent }) {
  await portal.must(201, 'POST', '/api/friends', { body: { id, display_name: displayName } });
  if (agent) await portal.must(200, 'PUT', `/api/friends/${id}/agents/${agent}`);
}

/** A fresh portal session: {token, portalUrl}. */
export async function newSession(portal, friendId) {
  const r = await portal.must(201, 'POST', '/api/auth/portal-session', { body: { friend_id: friendId } });
  assert.ok(r.session_token, JSON.stringify(r));
  assert.equal(r.portal_url, `${portal.url}/portal?s=${r.session_token}`);
  return { token: r.session_token, portalUrl: r.portal_url };
}

// ---------------------------------------------------------------------------------------------
// The browser

export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium or set CHROMIUM`);
  }
  // playwright-core gives every launch a fresh, temporary --user-data-dir of its own (it
  // refuses one in args; that is only for launchPersistentContext) and deletes it on close.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

/**
 * A new browser context (its own storage) and page on the portal, watched for problems:
 * console errors and warnings, uncaught page errors, CSP violations (reported by an init
 * script through an exposed function), requests to any other origin and any 5xx answer.
 * allow: regexps of console messages that the test provokes on purpose (for example the
 * "Failed to load resource ... 412" that Chromium logs for an expected conflict).
 * permissions: granted to the context (e.g. clipboard-read to check what Copy copied).
 */
export async function openPage(browser, portal, { viewport = { width: 1280, height: 900 }, colorScheme = 'light', permissions = [] } = {}) {
  const context = await browser.newContext({ viewport, colorScheme, permissions, locale: 'en-GB', timezoneId: 'Europe/Berlin' });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const problems = [];
  const allowed = [];
  const origin = new URL(portal.url).origin;
  const apiRequests = [];

  await page.exposeFunction('__reportCsp', (v) => problems.push(`CSP violation: ${v}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__reportCsp(`${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  page.on('console', (m) => {
    if (m.type() !== 'error' && m.type() !== 'warning') return;
    const text = m.text();
    if (allowed.some((re) => re.test(text))) return;
    problems.push(`console ${m.type()}: ${text}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('request', (r) => {
    const u = r.url();
    if (u.startsWith('data:')) return;
    if (new URL(u).origin !== origin) problems.push(`request to another origin: ${u}`);
    if (u.startsWith(`${origin}/api/portal/`)) apiRequests.push({ method: r.method(), url: u, authorization: r.headers().authorization || '' });
  });
  page.on('response', (r) => {
    if (r.status() < 500) return;
    const text = `HTTP ${r.status()} for ${r.request().method()} ${r.url()}`;
    if (allowed.some((re) => re.test(text))) return;
    problems.push(text);
  });

  return {
    context,
    page,
    apiRequests,
    tid: (id) => page.getByTestId(id),
    /**
     * Let console errors and 5xx answers ("HTTP 503 for GET <url>") matching re through (a
     * failure the test provokes on purpose).
     */
    allow(re) { allowed.push(re); },
    problems,
    async close() {
      await context.close();
      assert.deepEqual(problems, [], `the page reported problems:\n${problems.join('\n')}`);
    },
  };
}

/**
 * A full-page PNG under tests/browser/artifacts/. The toast (a fixed live region) is hidden in
 * the picture: in a full-page capture it would float over the middle of the content.
 */
export async function shot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  // Let the Markdown preview timer (120 ms) settle so the picture shows the steady state.
  await page.waitForTimeout(200);
  // Through the CSSOM: screenshot({style}) would inject a <style> element, which the page's CSP
  // (style-src 'self') rightly blocks and reports.
  const hide = (v) => page.evaluate((vis) => { const t = document.getElementById('toast'); if (t) t.style.visibility = vis; }, v);
  await hide('hidden');
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true, animations: 'disabled' });
  await hide('');
}

/** Waits until the element's text matches re (a Playwright locator). */
export async function waitText(locator, re, timeout = 15_000) {
  const deadline = Date.now() + timeout;
  let last = '';
  while (Date.now() < deadline) {
    last = (await locator.textContent().catch(() => '')) || '';
    if (re.test(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`text ${JSON.stringify(last)} never matched ${re}`);
}

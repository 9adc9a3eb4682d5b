// End-to-end tests of the friend portal page: the real `portal` binary (embedded mode, its own
// temporary data dir, a free port) and Debian's headless Chromium through playwright-core.
// Data is set up through the admin API; everything a friend does goes through the page.
//
//   PORTAL_BIN=target/debug/portal node --test tests/browser/
//
// Every page is watched for console errors, page errors, CSP violations, requests to another
// origin and 5xx answers, and a test fails on any it did not provoke on purpose. Screenshots
// of each view land in tests/browser/artifacts/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startPortal, addFriend, newSession, launchBrowser, openPage, shot, waitText,
} from './harness.mjs';

const T = { timeout: 120_000 };
const ROUTES = ['overview', 'memory', 'notes', 'heartbeat', 'secrets', 'namespace', 'expose', 'crons'];

let portal;
let browser;
let domain;

before(async () => {
  portal = await startPortal();
  try {
    browser = await launchBrowser();
  } catch (e) {
    await portal.stop();
    throw e;
  }
  await portal.must(201, 'POST', '/api/agents', { body: { id: 'main', display_name: 'Main Agent' } });
  await addFriend(portal, { id: 'alice', displayName: 'Alice Example', agent: 'main' });
  await addFriend(portal, { id: 'bob', displayName: 'Bob Builder', agent: 'main' });
  // Carol's sessions get revoked and signed out; the others' stay valid for the whole file.
  await addFriend(portal, { id: 'carol', displayName: 'Carol Revoked', agent: 'main' });
  // Alice's namespace runs a small web app: a Deployment and the Service in front of it.
  await portal.must(200, 'POST', '/api/friends/alice/namespace/apply', {
    body: {
      manifests: [
        {
          apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' },
          spec: {
            replicas: 1, selector: { matchLabels: { app: 'web' } },
            template: {
              metadata: { labels: { app: 'web' } },
              spec: { containers: [{ name: 'web', image: 'registry.example.com/alice/a-rather-long-image-name-for-wrapping:1.2.3' }] },
            },
          },
        },
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } },
      ],
    },
  });
  const { token } = await linkFor('alice');
  const domains = await portal.must(200, 'GET', '/api/portal/domains', { token });
  domain = typeof domains[0] === 'string' ? domains[0] : domains[0].domain;
  assert.ok(domain, JSON.stringify(domains));
});

after(async () => {
  if (browser) await browser.close();
  if (portal) await portal.stop();
});

// The host allows 10 portal links per friend per hour, so the tests share one link per friend
// (opened afresh in each new browser context, as a friend would on another device); the tests
// that end a session (logout, revocation, the phone test's sign-out) get links of their own.
const links = new Map();
async function linkFor(friend) {
  if (!links.has(friend)) links.set(friend, await newSession(portal, friend));
  return links.get(friend);
}

/**
 * A new browser context signed in as `friend` through a magic link, on the overview.
 * fresh: a new session instead of the friend's shared one.
 */
async function signIn(friend, opts, { fresh = false } = {}) {
  const { token, portalUrl } = fresh ? await newSession(portal, friend) : await linkFor(friend);
  const s = await openPage(browser, portal, opts);
  await s.page.goto(portalUrl);
  await s.tid('me-id').waitFor();
  s.token = token;
  return s;
}

async function go(s, route) {
  const moving = new URL(s.page.url()).hash !== `#/${route}`;
  await s.tid(`nav-${route}`).click();
  await s.tid(`view-${route}`).waitFor();
  assert.equal(await s.tid(`nav-${route}`).getAttribute('aria-current'), 'page');
  // Focus moves to the new view's heading (for screen readers and keyboard users).
  if (moving) assert.equal(await s.page.evaluate(() => document.activeElement && document.activeElement.id), 'view-title', `focus after opening ${route}`);
}

/** Waits until a view has drawn its data (no loading placeholder left). */
async function settled(s, route) {
  const ready = {
    overview: '[data-testid="me-id"]',
    memory: '[data-testid="memory-editor"]',
    heartbeat: '[data-testid="heartbeat-editor"]',
    notes: '[data-testid="notes-content"], [data-testid="notes-empty"]',
    secrets: '[data-testid="secrets-list"], [data-testid="secrets-empty"]',
    namespace: '[data-testid="quota-list"], [data-testid="quota-empty"]',
    expose: '[data-testid="expose-form"], [data-testid="expose-no-services"], [data-testid="expose-no-domains"]',
    crons: '[data-testid="cron-create-form"]',
  }[route];
  await s.page.locator(ready).first().waitFor();
  await s.page.waitForFunction(() => !document.querySelector('#view .loading'));
}

const storedToken = (page) => page.evaluate(() => localStorage.getItem('portal.session'));

// ---------------------------------------------------------------------------------------------

test('without a session the page asks for the link; the magic link signs in and leaves the address bar', T, async () => {
  const { token, portalUrl } = await newSession(portal, 'alice');
  const s = await openPage(browser, portal);
  const { page, tid } = s;

  await page.goto(`${portal.url}/portal`);
  await page.locator('#no-session').waitFor();
  assert.match(await page.locator('#no-session').innerText(), /Open the link your agent sent you/);
  assert.equal(await page.locator('#site-nav').isVisible(), false);
  await shot(page, 'no-session');

  await page.goto(portalUrl);
  await tid('me-id').waitFor();
  assert.ok(!page.url().includes('s='), `the token is still in the URL: ${page.url()}`);
  assert.ok(!page.url().includes(token), page.url());
  const url = new URL(page.url());
  assert.equal(url.pathname, '/portal');
  assert.equal(url.search, '');
  assert.equal(url.hash, '#/overview');
  assert.equal(await storedToken(page), token);
  assert.ok(!(await page.evaluate(() => document.referrer)).includes(token));

  assert.equal(await tid('me-display-name').innerText(), 'Alice Example');
  assert.equal(await tid('me-id').innerText(), 'alice');
  assert.equal(await tid('me-namespace').innerText(), 'friend-alice');
  assert.match(await tid('me-stat-secrets').innerText(), /^\d+$/);
  assert.match(await tid('me-stat-logs').innerText(), /^\d+$/);
  assert.match(await tid('agent-row-main').innerText(), /Main Agent/);
  await waitText(tid('whoami'), /Signed in as Alice Example/);
  assert.match(await tid('view-title').innerText(), /Alice Example/);

  assert.ok(s.apiRequests.length >= 2, JSON.stringify(s.apiRequests));
  for (const r of s.apiRequests) assert.equal(r.authorization, `Bearer ${token}`, r.url);
  for (const r of s.apiRequests) assert.ok(!r.url.includes(token), r.url);

  // Every nav link leads to its view, and a reload keeps the session.
  for (const route of ROUTES) {
    await go(s, route);
    await settled(s, route);
  }
  await page.reload();
  await tid('view-crons').waitFor();
  assert.equal(await storedToken(page), token);

  await go(s, 'overview');
  await settled(s, 'overview');
  await shot(page, 'overview');
  await s.close();
});

test('secrets: create one with two keys, see it listed, reveal and hide its values', T, async () => {
  const s = await signIn('alice');
  const { page, tid } = s;
  await go(s, 'secrets');
  await settled(s, 'secrets');

  // The client-side rule first.
  await tid('secret-create-name').fill('Bad Name');
  await tid('secret-create-key-0').fill('USER');
  await tid('secret-create-value-0').fill('alice');
  await tid('secret-create-submit').click();
  await tid('secret-create-name-error').waitFor();

  await tid('secret-create-name').fill('db-pass');
  await tid('secret-create-add-row').click();
  await tid('secret-create-key-1').fill('PASSWORD');
  await tid('secret-create-value-1').fill('s3cr3t-value');
  await tid('secret-create-submit').click();
  await tid('secret-row-db-pass').waitFor();
  const keys = await tid('secret-keys-db-pass').innerText();
  assert.match(keys, /USER/);
  assert.match(keys, /PASSWORD/);
  // Values stay hidden until asked for.
  assert.ok(!(await tid('secret-row-db-pass').innerText()).includes('s3cr3t-value'));

  await tid('secret-reveal-db-pass').click();
  await tid('secret-value-db-pass-PASSWORD').waitFor();
  assert.equal(await tid('secret-value-db-pass-PASSWORD').innerText(), 's3cr3t-value');
  assert.equal(await tid('secret-value-db-pass-USER').innerText(), 'alice');
  assert.equal(await tid('secret-reveal-db-pass').getAttribute('aria-expanded'), 'true');
  await shot(page, 'secrets');
  await tid('secret-reveal-db-pass').click();
  await tid('secret-value-db-pass-PASSWORD').waitFor({ state: 'detached' });

  // The server holds what the page sent.
  const stored = await portal.must(200, 'GET', '/api/portal/secrets/db-pass', { token: s.token });
  assert.deepEqual(stored.data, { USER: 'alice', PASSWORD: 's3cr3t-value' });
  const listed = await portal.must(200, 'GET', '/api/friends/alice/secrets');
  assert.ok(JSON.stringify(listed).includes('db-pass'), JSON.stringify(listed));

  // A duplicate name is refused by the server, and its message is shown.
  s.allow(/status of 409/);
  await tid('secret-create-name').fill('db-pass');
  await tid('secret-create-key-0').fill('A');
  await tid('secret-create-value-0').fill('b');
  await tid('secret-create-submit').click();
  await waitText(tid('secret-create-name-error'), /\S/);
  await s.close();
});

test('namespace and expose: a Service applied by the admin is exposed on its https URL', T, async () => {
  const s = await signIn('alice');
  const { page, tid } = s;

  await go(s, 'expose');
  await settled(s, 'expose');
  await tid('expose-service').selectOption('web');
  await tid('expose-port').selectOption('80');
  await tid('expose-domain').selectOption(domain);
  await tid('expose-name').fill('My-App');
  assert.equal(await tid('expose-name').inputValue(), 'my-app', 'uppercase input is lowercased');
  const expected = `https://my-app-alice.${domain}`;
  await waitText(tid('expose-hostname-preview'), new RegExp(`^${expected.replace(/\./g, '\\.')}$`));
  await tid('expose-submit').click();
  await tid('confirm-dialog').waitFor();
  assert.match(await tid('confirm-dialog').innerText(), new RegExp(`my-app-alice\\.${domain.replace(/\./g, '\\.')}`));
  await tid('confirm-ok').click();
  await tid('expose-result-url').waitFor();
  assert.equal(new URL(await tid('expose-result-url').getAttribute('href')).href, new URL(expected).href);
  assert.match(await tid('expose-result-url').innerText(), new RegExp(`my-app-alice\\.${domain.replace(/\./g, '\\.')}`));
  assert.match(await tid('expose-result-url').getAttribute('rel'), /noopener/);
  await tid('expose-row-my-app').waitFor();
  await shot(page, 'expose');

  const dns = await portal.must(200, 'GET', '/api/admin/dns');
  assert.ok(dns.some((r) => r.hostname === `my-app-alice.${domain}`), JSON.stringify(dns));

  await go(s, 'namespace');
  await settled(s, 'namespace');
  await tid('deployment-row-web').waitFor();
  await tid('service-row-web').waitFor();
  assert.ok(await page.locator('[data-testid^="pod-row-web-"]').count() >= 1);
  assert.equal(await tid('quota-pods').getAttribute('data-percent'), '5', '1 of 20 pods');
  await tid('exposed-row-expose-my-app').waitFor();
  assert.equal(new URL(await tid('exposed-url-expose-my-app').getAttribute('href')).href, new URL(expected).href);
  assert.match(await tid('exposed-url-expose-my-app').getAttribute('rel'), /noopener/);
  await shot(page, 'namespace');
  await s.close();
});

test('crons: the form explains the schedule, and a created job shows its next run', T, async () => {
  const s = await signIn('alice');
  const { page, tid } = s;
  await go(s, 'crons');
  await settled(s, 'crons');

  assert.equal(await tid('cron-create-description').innerText(), 'At 09:00, Monday through Friday');
  assert.equal(await tid('cron-create-session').inputValue(), 'agent:main:direct:channel:alice');
  const defaults = [];
  for (let i = 0; i < 3; i += 1) defaults.push(Date.parse(await tid(`cron-create-next-run-${i}`).getAttribute('datetime')));
  assert.ok(defaults.every((t) => t > Date.now()) && defaults[0] < defaults[1] && defaults[1] < defaults[2], JSON.stringify(defaults));

  // A bad expression and an unknown zone are caught in the page.
  await tid('cron-create-expr').fill('61 * * * *');
  await tid('cron-create-expr-error').waitFor();
  await tid('cron-create-expr').fill('30 8 * * *');
  await tid('cron-create-tz').fill('Mars/Olympus_Mons');
  await tid('cron-create-tz-error').waitFor();
  await tid('cron-create-tz').fill('Europe/Berlin');
  await waitText(tid('cron-create-description'), /^At 08:30$/);
  await tid('cron-create-next-run-0').waitFor();
  const predicted = await tid('cron-create-next-run-0').getAttribute('datetime');

  await tid('cron-create-name').fill('daily-check');
  await tid('cron-create-message').fill('Check my portfolio');
  await tid('cron-create-submit').click();
  await tid('cron-row-daily-check').waitFor();
  assert.equal(await tid('cron-description-daily-check').innerText(), 'At 08:30');
  const next = tid('cron-next-run-daily-check').locator('time');
  await next.first().waitFor();
  const shown = await next.first().getAttribute('datetime');

  // The page's prediction, the row and the server agree on the next run (08:30 in Berlin).
  const jobs = await portal.must(200, 'GET', '/api/portal/workspace/crons', { token: s.token });
  const job = jobs.find((j) => j.name === 'daily-check');
  assert.ok(job, JSON.stringify(jobs));
  assert.equal(job.cron, '30 8 * * *');
  assert.equal(job.tz, 'Europe/Berlin');
  assert.equal(job.session, 'agent:main:direct:channel:alice');
  assert.equal(Date.parse(shown), Date.parse(job.next_run));
  assert.equal(Date.parse(predicted), Date.parse(job.next_run));
  const berlin = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', minute: '2-digit' }).format(new Date(job.next_run));
  assert.equal(berlin, '08:30');

  // Run now: the run is recorded and the row shows it.
  assert.match(await tid('cron-last-run-daily-check').innerText(), /never/);
  await tid('cron-run-daily-check').click();
  await waitText(tid('cron-last-run-daily-check'), /manual|ok|fail|error|pending/i, 20_000);

  // Disable and enable again.
  await tid('cron-toggle-daily-check').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="cron-toggle-daily-check"]')?.getAttribute('aria-pressed') === 'false');
  assert.equal((await portal.must(200, 'GET', '/api/portal/workspace/crons', { token: s.token })).find((j) => j.name === 'daily-check').enabled, false);
  await tid('cron-toggle-daily-check').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="cron-toggle-daily-check"]')?.getAttribute('aria-pressed') === 'true');
  await tid('cron-next-run-daily-check').locator('time').first().waitFor();
  await shot(page, 'crons');
  await s.close();
});

test('memory: edit, save, reload the page and find it persisted', T, async () => {
  const s = await signIn('alice');
  const { page, tid } = s;
  await go(s, 'memory');
  await settled(s, 'memory');
  const text = '# About me\n\n- I drink **green tea**\n- My timezone is Europe/Berlin';
  await tid('memory-editor').fill(text);
  await waitText(tid('memory-status'), /unsaved/);
  await tid('memory-save').click();
  await waitText(tid('memory-status'), /All changes saved/);
  await tid('memory-preview').locator('strong', { hasText: 'green tea' }).waitFor();

  const stored = await portal.must(200, 'GET', '/api/friends/alice/workspace/memory');
  assert.equal(stored.content, text);

  await page.reload();
  await tid('memory-editor').waitFor();
  await settled(s, 'memory');
  assert.equal(await tid('memory-editor').inputValue(), text);
  await waitText(tid('memory-status'), /All changes saved/);
  await tid('memory-preview').locator('h1, h2').first().waitFor();

  // Saving again with Ctrl+S works with the ETag from the reload.
  await tid('memory-editor').fill(`${text}\n- Second save`);
  await tid('memory-editor').press('Control+s');
  await waitText(tid('memory-status'), /All changes saved/);
  assert.equal((await portal.must(200, 'GET', '/api/friends/alice/workspace/memory')).content, `${text}\n- Second save`);
  await shot(page, 'memory');
  await s.close();
});

test('memory: a change made meanwhile gives a 412 that the page explains, keeping the text', T, async () => {
  const s = await signIn('alice');
  const { page, tid } = s;
  await go(s, 'memory');
  await settled(s, 'memory');
  const mine = 'My own text, typed in the page.';
  await tid('memory-editor').fill(mine);

  // The agent (same session token here) changes the file meanwhile, with a proper If-Match.
  const current = await portal.api('GET', '/api/portal/workspace/memory', { token: s.token });
  assert.equal(current.status, 200);
  const etag = current.headers.get('etag');
  assert.ok(etag);
  const theirs = 'Written elsewhere while the page was open.';
  const put = await portal.api('PUT', '/api/portal/workspace/memory', { token: s.token, headers: { 'If-Match': etag }, body: { content: theirs } });
  assert.equal(put.status, 200, put.text);

  s.allow(/status of 412/);
  await tid('memory-save').click();
  await tid('memory-conflict').waitFor();
  assert.match(await tid('memory-conflict').innerText(), /MEMORY\.md was changed by someone else/);
  assert.match(await tid('memory-conflict').innerText(), /still in the editor/);
  assert.equal(await tid('memory-editor').inputValue(), mine, "the user's text is kept");
  await tid('memory-conflict-theirs').waitFor({ state: 'attached' });
  assert.equal(await tid('memory-conflict-theirs').textContent(), theirs);
  await waitText(tid('memory-status'), /Not saved/);
  assert.equal((await portal.must(200, 'GET', '/api/friends/alice/workspace/memory')).content, theirs, 'nothing overwritten');
  await page.locator('[data-testid="memory-conflict"] summary').click();
  await shot(page, 'memory-conflict');

  await tid('memory-conflict-overwrite').click();
  await waitText(tid('memory-status'), /All changes saved/);
  assert.equal(await tid('memory-conflict').isVisible(), false);
  assert.equal((await portal.must(200, 'GET', '/api/friends/alice/workspace/memory')).content, mine);
  await s.close();
});

test("agent's notes: rendered read-only and sanitised", T, async () => {
  await portal.must(200, 'PUT', '/api/friends/alice/workspace/friend-notes', {
    body: {
      content: '# About Alice\n\nLikes **green tea** and long walks.\n\n<script>window.__pwned = 1</script>\n\n'
        + '- [bad link](javascript:window.__pwned=2)\n- [docs](https://example.com/docs)\n',
    },
  });
  const s = await signIn('alice');
  const { page, tid } = s;
  await go(s, 'notes');
  await settled(s, 'notes');
  const notes = tid('notes-content');
  await notes.locator('h1, h2').filter({ hasText: 'About Alice' }).waitFor();
  await notes.locator('strong', { hasText: 'green tea' }).waitFor();
  assert.equal(await notes.locator('script').count(), 0);
  assert.equal(await notes.locator('a[href^="javascript"]').count(), 0);
  const link = notes.locator('a', { hasText: 'docs' });
  assert.equal(await link.getAttribute('href'), 'https://example.com/docs');
  assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  // Read-only: nothing to type into, nothing to save, and the API refuses writes.
  const view = tid('view-notes');
  assert.equal(await view.locator('textarea, input, [contenteditable="true"], button[type="submit"]').count(), 0);
  const put = await portal.api('PUT', '/api/portal/workspace/friend-notes', { token: s.token, body: { content: 'hacked' } });
  assert.equal(put.status, 405, put.text);
  await shot(page, 'notes');
  await s.close();
});

test('heartbeat: edit and save, then the agent sees it', T, async () => {
  const s = await signIn('alice');
  const { page, tid } = s;
  await go(s, 'heartbeat');
  await settled(s, 'heartbeat');
  const text = '# Heartbeat\n\n- [ ] Check the weather every morning\n- [ ] Remind me to water the plants on Sundays';
  await tid('heartbeat-editor').fill(text);
  await tid('heartbeat-save').click();
  await waitText(tid('heartbeat-status'), /All changes saved/);
  assert.equal((await portal.must(200, 'GET', '/api/friends/alice/workspace/heartbeat')).content, text);
  await page.reload();
  await tid('heartbeat-editor').waitFor();
  assert.equal(await tid('heartbeat-editor').inputValue(), text);
  await shot(page, 'heartbeat');
  await s.close();
});

test('a revoked session leads to the expired page, keeping unsaved text', T, async () => {
  const a = await signIn('carol', undefined, { fresh: true });
  const b = await signIn('carol');
  await go(a, 'memory');
  await settled(a, 'memory');
  const draft = 'Typed just before the session was revoked.';
  await a.tid('memory-editor').fill(draft);

  const revoked = await portal.api('DELETE', '/api/friends/carol/sessions');
  assert.ok(revoked.status === 200 || revoked.status === 204, revoked.text);
  const old = await portal.api('GET', '/api/portal/me', { token: a.token });
  assert.equal(old.status, 401);
  assert.equal((await portal.api('GET', '/api/portal/me', { token: b.token })).status, 401);
  links.delete('carol');

  // Saving: the expired page, with the draft to copy.
  a.allow(/status of 401/);
  await a.tid('memory-save').click();
  await a.page.locator('#expired').waitFor();
  assert.match(await a.page.locator('#expired').innerText(), /expired or was revoked/);
  assert.match(await a.tid('expired-reason').innerText(), /\S/);
  assert.equal(await a.tid('expired-draft').inputValue(), draft);
  assert.equal(await storedToken(a.page), null);
  assert.equal(await a.page.locator('#site-nav').isVisible(), false);
  await shot(a.page, 'expired');
  await a.close();

  // Navigating: the same.
  b.allow(/status of 401/);
  await b.tid('nav-secrets').click();
  await b.page.locator('#expired').waitFor();
  assert.equal(await storedToken(b.page), null);
  await b.page.reload();
  await b.page.locator('#no-session').waitFor();
  await b.close();
});

test('logout ends the session on the server and in the browser', T, async () => {
  const s = await signIn('carol', undefined, { fresh: true });
  const { page, tid } = s;
  await tid('logout').click();
  await page.locator('#signed-out').waitFor();
  assert.match(await page.locator('#signed-out').innerText(), /signed out/i);
  assert.equal(await storedToken(page), null);
  assert.ok(s.apiRequests.some((r) => r.method === 'DELETE' && r.url.endsWith('/api/portal/session')), JSON.stringify(s.apiRequests));
  assert.equal(await page.locator('#site-nav').isVisible(), false);
  assert.equal((await portal.api('GET', '/api/portal/me', { token: s.token })).status, 401);
  await shot(page, 'signed-out');
  await page.reload();
  await page.locator('#no-session').waitFor();
  await s.close();
});

test("a second friend's session shows none of the first friend's data", T, async () => {
  // Alice's data, made sure of here so this test stands on its own.
  const { token: alice } = await linkFor('alice');
  await portal.must(201, 'POST', '/api/portal/secrets', { token: alice, body: { name: 'alice-private-key', data: { TOKEN: 'alice-secret-value' } } });
  await portal.must(200, 'PUT', '/api/portal/workspace/memory', { token: alice, body: { content: 'ALICE-ONLY-MEMORY-MARKER' } });
  await portal.must(201, 'POST', '/api/portal/workspace/crons', {
    token: alice,
    body: { name: 'alice-only-cron', message: 'alice only message', cron: '0 7 * * *', session: 'agent:main:direct:channel:alice', tz: 'UTC' },
  });
  await portal.must(200, 'PUT', '/api/friends/alice/workspace/friend-notes', { body: { content: 'ALICE-ONLY-NOTES-MARKER' } });

  // Alice's page shows them (so their absence below means something)...
  const a = await signIn('alice');
  await go(a, 'secrets');
  await a.tid('secret-row-alice-private-key').waitFor();
  await go(a, 'memory');
  await settled(a, 'memory');
  assert.equal(await a.tid('memory-editor').inputValue(), 'ALICE-ONLY-MEMORY-MARKER');

  // ...Bob's, in another browser context open at the same time, does not.
  const b = await signIn('bob');
  const forbidden = [
    'alice-private-key', 'alice-secret-value', 'ALICE-ONLY-MEMORY-MARKER', 'ALICE-ONLY-NOTES-MARKER',
    'alice-only-cron', 'alice only message', 'Alice Example', 'friend-alice', 'my-app-alice',
    // What the other tests made through Alice's page (the hint texts mention "daily-check").
    'db-pass', 's3cr3t-value', 'cron-row-daily-check', 'green tea', 'Written elsewhere',
  ];
  assert.equal(await b.tid('me-display-name').innerText(), 'Bob Builder');
  assert.equal(await b.tid('me-namespace').innerText(), 'friend-bob');
  for (const route of ROUTES) {
    await go(b, route);
    await settled(b, route);
    const seen = await b.page.evaluate(() => [
      document.body.innerText,
      ...[...document.querySelectorAll('textarea, input')].map((e) => e.value),
      ...[...document.querySelectorAll('[data-testid]')].map((e) => e.getAttribute('data-testid')),
    ].join('\n'));
    for (const word of forbidden) assert.ok(!seen.includes(word), `bob's ${route} view shows "${word}"`);
  }
  await go(b, 'secrets');
  await b.tid('secrets-empty').waitFor();
  await go(b, 'crons');
  await b.tid('crons-empty').waitFor();
  await go(b, 'notes');
  await b.tid('notes-empty').waitFor();
  await go(b, 'expose');
  await b.tid('expose-no-services').waitFor();
  await shot(b.page, 'second-friend-expose');
  await go(b, 'memory');
  await settled(b, 'memory');
  assert.equal(await b.tid('memory-editor').inputValue(), '');
  await shot(b.page, 'second-friend-memory');
  // And Bob's token cannot reach Alice's secret by name.
  assert.equal((await portal.api('GET', '/api/portal/secrets/alice-private-key', { token: b.token })).status, 404);
  await a.close();
  await b.close();
});

test('phone width (360x740): no view scrolls sideways', T, async () => {
  // Long words that cannot wrap at spaces: a token, a URL, a long name.
  const { token } = await linkFor('alice');
  const long = 'eyJhbGciOiJIUzI1NiJ9.'.padEnd(160, 'QWxpY2VMb25nVG9rZW4');
  await portal.must(201, 'POST', '/api/portal/secrets', { token, body: { name: 'a-secret-with-a-rather-long-name-for-a-phone-screen', data: { API_TOKEN_WITH_A_LONG_KEY_NAME: long } } });
  await portal.must(201, 'POST', '/api/portal/workspace/crons', {
    token,
    body: { name: 'weekly-report-with-a-long-name', message: `Fetch https://example.com/reports/${long} and summarise it`, cron: '0 18 * * 5', session: 'agent:main:direct:channel:alice', tz: 'America/Argentina/ComodRivadavia' },
  });
  await portal.must(200, 'PUT', '/api/friends/alice/workspace/friend-notes', { body: { content: `# Notes\n\nSee https://example.com/${long}\n\n\`${long}\`\n\n    ${long}\n` } });
  await portal.must(200, 'PUT', '/api/portal/workspace/heartbeat', { token, body: { content: `- [ ] ${long}\n\n| a | b |\n|---|---|\n| ${long} | x |\n` } });

  const s = await signIn('alice', { viewport: { width: 360, height: 740 } }, { fresh: true });
  const { page } = s;
  const wide = () => page.evaluate(() => {
    const w = document.documentElement.clientWidth;
    const offenders = [...document.querySelectorAll('body *')]
      .filter((e) => e.getClientRects().length && e.getBoundingClientRect().right > w + 1)
      .filter((e) => !e.closest('.visually-hidden'))
      .slice(0, 5)
      .map((e) => `${e.tagName.toLowerCase()}${e.dataset.testid ? `[${e.dataset.testid}]` : ''}.${e.className} right=${Math.round(e.getBoundingClientRect().right)}`);
    return { scrollWidth: document.documentElement.scrollWidth, bodyWidth: document.body.scrollWidth, clientWidth: w, offenders };
  });
  const check = async (name) => {
    const m = await wide();
    assert.ok(m.scrollWidth <= 360 && m.bodyWidth <= 360, `${name} scrolls sideways at 360px: ${JSON.stringify(m)}`);
  };
  for (const route of ROUTES) {
    await go(s, route);
    await settled(s, route);
    if (route === 'secrets') {
      await s.tid('secret-reveal-a-secret-with-a-rather-long-name-for-a-phone-screen').click();
      await s.tid('secret-value-a-secret-with-a-rather-long-name-for-a-phone-screen-API_TOKEN_WITH_A_LONG_KEY_NAME').waitFor();
    }
    await check(route);
    await shot(page, `phone-${route}`);
  }
  // The confirmation dialog, too.
  await go(s, 'crons');
  await settled(s, 'crons');
  await page.locator('[data-testid^="cron-delete-"]').first().click();
  await s.tid('confirm-dialog').waitFor();
  await check('confirm dialog');
  await shot(page, 'phone-dialog');
  await s.tid('confirm-cancel').click();
  await s.tid('logout').click();
  await page.locator('#signed-out').waitFor();
  await check('signed-out');
  await s.close();
});

test('dark colour scheme renders (screenshots for review)', T, async () => {
  const s = await signIn('alice', { colorScheme: 'dark' });
  for (const route of ['overview', 'memory', 'crons']) {
    await go(s, route);
    await settled(s, route);
    await shot(s.page, `dark-${route}`);
  }
  await s.close();
});

test('edit and delete: secret edit and delete, unexpose, cron delete, the unsaved-changes guard', T, async () => {
  const { token } = await linkFor('alice');
  await portal.must(201, 'POST', '/api/portal/secrets', { token, body: { name: 'to-edit', data: { A: 'one', B: 'two' } } });
  await portal.must(201, 'POST', '/api/portal/workspace/crons', {
    token, body: { name: 'to-delete', message: 'bye', cron: '0 12 * * *', session: 'agent:main:direct:channel:alice', tz: 'UTC' },
  });
  await portal.must(201, 'POST', '/api/portal/namespace/expose', { token, body: { name: 'gone-soon', service: 'web', port: 80, domain } });
  const s = await signIn('alice');
  const { page, tid } = s;

  // Secret edit: change a value, remove a key.
  await go(s, 'secrets');
  await tid('secret-edit-to-edit').click();
  await tid('secret-edit-form-to-edit').waitFor();
  await tid('secret-edit-value-0').fill('uno');
  await tid('secret-edit-remove-1').click();
  await tid('secret-edit-submit').click();
  await tid('secret-edit-form-to-edit').waitFor({ state: 'detached' });
  assert.deepEqual((await portal.must(200, 'GET', '/api/portal/secrets/to-edit', { token })).data, { A: 'uno' });
  // Secret delete: Cancel keeps it, Confirm deletes it.
  await tid('secret-delete-to-edit').click();
  await tid('confirm-cancel').click();
  assert.equal(await tid('secret-row-to-edit').count(), 1);
  await tid('secret-delete-to-edit').click();
  await tid('confirm-ok').click();
  await tid('secret-row-to-edit').waitFor({ state: 'detached' });
  assert.equal((await portal.api('GET', '/api/portal/secrets/to-edit', { token })).status, 404);

  // Unexpose.
  await go(s, 'expose');
  await settled(s, 'expose');
  await tid('expose-remove-gone-soon').click();
  await tid('confirm-ok').click();
  await tid('expose-row-gone-soon').waitFor({ state: 'detached' });
  const routes = (await portal.must(200, 'GET', '/api/portal/namespace', { token })).ingressRoutes;
  assert.ok(!routes.some((r) => r.name === 'expose-gone-soon'), JSON.stringify(routes));

  // Cron delete.
  await go(s, 'crons');
  await settled(s, 'crons');
  await tid('cron-delete-to-delete').click();
  await tid('confirm-ok').click();
  await tid('cron-row-to-delete').waitFor({ state: 'detached' });
  const jobs = await portal.must(200, 'GET', '/api/portal/workspace/crons', { token });
  assert.ok(!jobs.some((j) => j.name === 'to-delete'));

  // Leaving the memory editor with unsaved text asks first.
  await go(s, 'memory');
  await settled(s, 'memory');
  await tid('memory-editor').fill('not saved yet');
  await tid('nav-secrets').click();
  await tid('confirm-dialog').waitFor();
  await tid('confirm-cancel').click();
  assert.equal(new URL(page.url()).hash, '#/memory');
  assert.equal(await tid('memory-editor').inputValue(), 'not saved yet');
  await tid('nav-notes').click();
  await tid('confirm-ok').click();
  await tid('view-notes').waitFor();
  await s.close();
});

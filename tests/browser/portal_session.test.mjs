// End-to-end tests of the friend portal page, signing in and out: the magic link, a revoked
// session, logout. The real `portal` binary and Debian's headless Chromium through
// playwright-core (see portal_page.mjs); data is set up through the admin API, and everything
// a friend does goes through the page.
//
//   PORTAL_BIN=target/debug/portal node --test tests/browser/
//
// Every page is watched for console errors, page errors, CSP violations, requests to another
// origin and 5xx answers, and a test fails on any it did not provoke on purpose. Screenshots
// of each view land in tests/browser/artifacts/.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addFriend, newSession, openPage, shot, waitText } from './harness.mjs';
import {
  T, ROUTES, portal, browser, links, usePortal, signIn, go, settled, storedToken,
} from './portal_page.mjs';

usePortal();

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
  await tid('me-display-name').waitFor();
  assert.ok(!page.url().includes('s='), `the token is still in the URL: ${page.url()}`);
  assert.ok(!page.url().includes(token), page.url());
  const url = new URL(page.url());
  assert.equal(url.pathname, '/portal');
  assert.equal(url.search, '');
  assert.equal(url.hash, '#/overview');
  // Opening the link spent it: the browser holds a session of its own, and the link's token
  // (left in the chat history) no longer works.
  const own = await storedToken(page);
  assert.ok(own && own !== token, 'the browser keeps a fresh session, not the link');
  assert.equal((await portal.api('GET', '/api/portal/me', { token })).status, 401);
  assert.ok(!(await page.evaluate(() => document.referrer)).includes(token));

  assert.equal(await tid('me-display-name').innerText(), 'Alice Example');
  // Ids and the namespace are not on the first level: they wait under "Details".
  assert.equal(await tid('me-id').isVisible(), false);
  const firstLevel = await tid('view-overview').innerText();
  for (const word of ['alice', 'friend-alice', 'namespace', 'Friend id']) assert.ok(!firstLevel.includes(word), `"${word}" on the first level: ${firstLevel}`);
  await tid('me-details').locator('summary').click();
  assert.equal(await tid('me-id').innerText(), 'alice');
  assert.equal(await tid('me-namespace').innerText(), 'friend-alice');
  assert.match(await tid('me-stat-secrets').innerText(), /^\d+$/);
  assert.match(await tid('me-stat-logs').innerText(), /^\d+$/);
  assert.match(await tid('agent-row-main').innerText(), /Main Agent/);
  await waitText(tid('whoami'), /Signed in as Alice Example/);
  assert.match(await tid('view-title').innerText(), /Alice Example/);

  assert.ok(s.apiRequests.length >= 2, JSON.stringify(s.apiRequests));
  for (const r of s.apiRequests) assert.equal(r.authorization, `Bearer ${own}`, r.url);
  for (const r of s.apiRequests) assert.ok(!r.url.includes(token) && !r.url.includes(own), r.url);

  // Every nav link leads to its view, and a reload keeps the session.
  for (const route of ROUTES) {
    await go(s, route);
    await settled(s, route);
  }
  await page.reload();
  await tid('view-crons').waitFor();
  assert.equal(await storedToken(page), own);

  await go(s, 'overview');
  await settled(s, 'overview');
  await shot(page, 'overview');
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
  assert.match(await a.page.locator('#expired').innerText(), /expired or was ended[\s\S]*Ask your agent for a new link/);
  assert.match(await a.tid('expired-reason').textContent(), /\S/);
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
  // Sign out asks first: Cancel keeps the session, Sign out ends it.
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await tid('confirm-dialog').waitFor();
  assert.match(await tid('confirm-dialog').innerText(), /Sign out of this browser\?/);
  await tid('confirm-cancel').click();
  assert.ok(await storedToken(page));
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await tid('confirm-ok').click();
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

test('a link works once: used, expired and garbled links each say so, plainly', T, async () => {
  const { portalUrl } = await newSession(portal, 'bob');
  const first = await openPage(browser, portal);
  first.allow(/status of 401/);
  await first.page.goto(portalUrl);
  await first.tid('me-display-name').waitFor();
  // The same link again in this browser: it still holds its session and simply continues.
  await first.page.goto(portalUrl);
  await first.tid('me-display-name').waitFor();

  // The same link in another browser (someone who found it in the chat history).
  const other = await openPage(browser, portal);
  other.allow(/status of 401/);
  await other.page.goto(portalUrl);
  await other.tid('link-used').waitFor();
  const used = await other.tid('link-used').innerText();
  assert.match(used, /already used/);
  assert.match(used, /Ask your agent for a new link/);
  assert.equal(await storedToken(other.page), null);
  assert.equal(await other.page.locator('#site-nav').isVisible(), false);
  await shot(other.page, 'link-used');

  // A garbled link.
  await other.page.goto(`${portal.url}/portal?s=not-a-real-link-token`);
  await other.tid('link-unknown').waitFor();
  assert.match(await other.tid('link-unknown').innerText(), /does not work[\s\S]*Ask your agent for a new link/);
  await shot(other.page, 'link-unknown');

  // An expired link (the server's answer, as its API tests check it after 7 days).
  await other.page.route('**/api/auth/exchange', (route) => route.fulfill({
    status: 401, headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ error: { code: 'link_expired', message: 'this link has expired', request_id: 'req-1' } }),
  }));
  await other.page.goto(`${portal.url}/portal?s=some-old-link`);
  await other.tid('link-expired').waitFor();
  const expired = await other.tid('link-expired').innerText();
  assert.match(expired, /has expired[\s\S]*Ask your agent for a new link/);
  for (const page of [used, expired]) assert.ok(!/req-|request id|401|code/i.test(page), page);
  await shot(other.page, 'link-expired');
  await other.close();
  await first.close();
});

test('the friend sees where they are signed in and can sign another browser out', T, async () => {
  // Dave has no other session, so the one that is not this browser is the phone's.
  await addFriend(portal, { id: 'dave', displayName: 'Dave Devices', agent: 'main' });
  const phone = await signIn('dave', { viewport: { width: 390, height: 844 } }, { fresh: true });
  const laptop = await signIn('dave', undefined, { fresh: true });
  await settled(laptop, 'overview');
  const rows = laptop.page.locator('[data-testid="sessions-list"] > li');
  assert.ok(await rows.count() >= 2, await laptop.tid('sessions-list').innerText());
  await laptop.tid('session-current').waitFor();
  // End the phone's session from the laptop.
  const sessions = await portal.must(200, 'GET', '/api/portal/sessions', { token: laptop.token });
  assert.equal(sessions.length, 2, JSON.stringify(sessions));
  const phoneSession = sessions.find((x) => !x.current);
  assert.equal(phoneSession.kind, 'session');
  assert.match(phoneSession.browser || '', /Chrom/);
  assert.ok(phoneSession, JSON.stringify(sessions));
  await laptop.tid(`session-end-${phoneSession.id}`).click();
  await laptop.tid('confirm-ok').click();
  await laptop.tid(`session-row-${phoneSession.id}`).waitFor({ state: 'detached' });
  await shot(laptop.page, 'sessions');
  assert.equal((await portal.api('GET', '/api/portal/me', { token: phone.token })).status, 401);
  // The phone finds out at its next step.
  phone.allow(/status of 401/);
  await phone.tid('menu-button').click();
  await phone.tid('nav-memory').click();
  await phone.page.locator('#expired').waitFor();
  await phone.close();
  await laptop.close();
});

test('the friend chooses the chat app their agent writes to first', T, async () => {
  await portal.must(201, 'POST', '/api/friends', {
    body: { id: 'erin', display_name: 'Erin Example', signal: '+1-555-0199', discord_id: '123456789012345678', agent_id: 'main' },
  });
  const s = await signIn('erin', { viewport: { width: 390, height: 844 } }, { fresh: true });
  const { tid } = s;
  await settled(s, 'overview');
  const options = await tid('me-channel').locator('option').allInnerTexts();
  assert.deepEqual(options, ['Signal', 'Discord']);
  assert.equal(await tid('me-channel').inputValue(), 'signal', 'the first one on file');
  await tid('me-channel').selectOption('discord');
  await tid('me-channel-save').click();
  await waitText(tid('toast'), /Discord first/);
  assert.equal((await portal.must(200, 'GET', '/api/portal/me', { token: s.token })).preferred_channel, 'discord');
  await shot(s.page, 'overview-channel');

  // The phone shell: the status line is pinned in the window (seen wherever the person is)
  // and does not cover what they just used, every control is at least 44 px tall, and moving
  // to another view clears the status line.
  const layout = await s.page.evaluate(() => {
    const t = document.getElementById('toast').getBoundingClientRect();
    const controls = [...document.querySelectorAll('button, select, input:not([type=checkbox]), textarea, summary')]
      .filter((el) => el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden');
    const used = [document.querySelector('[data-testid="me-channel-save"]'), document.querySelector('[data-testid="me-channel"]')];
    const overlaps = used.filter((el) => {
      const r = el.getBoundingClientRect();
      return r.left < t.right && r.right > t.left && r.top < t.bottom && r.bottom > t.top;
    }).map((el) => el.outerHTML.slice(0, 80));
    if (t.top < 0 || t.bottom > window.innerHeight) overlaps.push(`the status line is outside the window: ${t.top}..${t.bottom}`);
    const small = controls.filter((el) => el.getBoundingClientRect().height < 44).map((el) => el.outerHTML.slice(0, 80));
    return { toastHeight: t.height, overlaps, small };
  });
  assert.ok(layout.toastHeight > 0, 'the status line shows');
  assert.deepEqual(layout.overlaps, []);
  assert.deepEqual(layout.small, []);
  await go(s, 'memory');
  assert.equal(await tid('toast').textContent(), '');
  await s.close();
});

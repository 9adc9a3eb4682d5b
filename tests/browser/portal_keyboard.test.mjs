// End-to-end tests of the portal page with the keyboard alone, and of its error view: the
// order Tab visits the page in, the skip link, and a view whose data fails to load, retried
// by keyboard. See portal_page.mjs for the setup and harness.mjs for what fails a test.
//
//   PORTAL_BIN=target/debug/portal node --test tests/browser/

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shot, waitText } from './harness.mjs';
import { T, ROUTES, usePortal, signIn, go, settled } from './portal_page.mjs';

usePortal();

/** The test id (or id) of what has keyboard focus. */
const focused = (page) => page.evaluate(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return 'body';
  return el.getAttribute('data-testid') || el.id || el.tagName.toLowerCase();
});

/** Presses Tab until `want` has focus, at most `max` times; returns the stops on the way. */
async function tabTo(page, want, max = 12) {
  const stops = [];
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press('Tab');
    const at = await focused(page);
    stops.push(at);
    if (at === want) return stops;
  }
  assert.fail(`Tab never reached ${want}; it went ${stops.join(' -> ')}`);
}

test('Tab visits the skip link, sign-out and the sections in reading order; the skip link jumps to the view', T, async () => {
  const s = await signIn('alice');
  const { page } = s;
  await settled(s, 'overview');
  await page.evaluate(() => document.activeElement && document.activeElement.blur());

  const stops = await tabTo(page, 'nav-crons');
  assert.deepEqual(stops, ['skip-link', 'logout', ...ROUTES.map((r) => `nav-${r}`)]);

  // Enter on a section link opens it and puts focus on its heading.
  await page.keyboard.press('Enter');
  await s.tid('view-crons').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'view-title');

  // From the top of a fresh load: the skip link's Enter lands on the view's heading, past
  // the nav. (A reload, since Chromium resumes Tab from where focus was blurred.)
  await page.reload();
  await settled(s, 'crons');
  await page.keyboard.press('Tab');
  assert.equal(await focused(page), 'skip-link');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'view-title');
  assert.match(new URL(page.url()).hash, /^#\/crons$/, 'the skip link leaves the route alone');
  await s.close();
});

test('a view that fails to load shows why, the request id under Details, and Try again by keyboard loads it', T, async () => {
  const s = await signIn('alice');
  const { page, tid } = s;
  // The overview's sentence has asked for the apps already; then the first load of the
  // namespace gets the answer of a plugin at its concurrency limit.
  await waitText(tid('overview-status'), /\S/);
  let refused = 0;
  await page.route('**/api/portal/namespace', async (route) => {
    if (refused > 0) return route.continue();
    refused += 1;
    await route.fulfill({
      status: 503,
      headers: { 'content-type': 'application/json', 'retry-after': '1', 'x-request-id': 'req-busy-1' },
      body: JSON.stringify({ error: { code: 'plugin_busy', message: "plugin 'namespace' is busy; retry after 1 s", request_id: 'req-busy-1' } }),
    });
  });
  s.allow(/status of 503/);
  s.allow(/^HTTP 503 for GET .*\/api\/portal\/namespace$/);

  await go(s, 'namespace');
  await tid('error').waitFor();
  assert.match(await tid('error').innerText(), /Could not load your apps/);
  // In words a friend can act on; the server's text, code and request id are for a report,
  // folded under "Details".
  assert.equal(await tid('error-message').innerText(), 'This part of the portal is busy right now. Try again in a moment.');
  assert.equal(await tid('error-request-id').isVisible(), false);
  await tid('error').locator('summary').click();
  assert.match(await tid('error-server-message').innerText(), /is busy; retry after 1 s/);
  assert.equal(await tid('error-code').innerText(), 'Code: plugin_busy');
  assert.equal(await tid('error-request-id').innerText(), 'Request id: req-busy-1');
  assert.equal(await tid('error').getAttribute('role'), 'alert', 'announced to screen readers');
  await shot(page, 'error-view');

  // Focus is on the heading (go() checked it); the retry is reachable by Tab, and Enter
  // retries. Focus then returns to the heading instead of falling to <body>.
  await tabTo(page, 'error-retry', 4);
  await page.keyboard.press('Enter');
  await settled(s, 'namespace');
  await tid('apps-list').waitFor();
  assert.equal(await tid('error').count(), 0);
  assert.equal(refused, 1);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'view-title');
  await s.close();
});

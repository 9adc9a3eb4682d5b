// axe-core on every view of the portal page, at 1280x900 and 390x844: WCAG 2.0 and 2.1 A and
// AA plus axe's best practices, zero violations allowed (axe.mjs injects and runs it). Each
// view is checked with data in it (Alice: a secret, an app with a public address, a scheduled
// message, notes) and with nothing (Bob), and the page without a session too. A screenshot of each view at each width: a11y-<route>-<width>.png.

import { test } from 'node:test';
import { shot, openPage } from './harness.mjs';
import { assertNoViolations } from './axe.mjs';
import {
  T, ROUTES, portal, browser, domain, usePortal, linkFor, signIn, go, settled,
} from './portal_page.mjs';

usePortal();

const WIDTHS = [
  { width: 1280, height: 900 },
  { width: 390, height: 844 },
];

/** What Alice's views show: a secret, a public address, a scheduled message, the agent's notes. */
async function fillAlice() {
  const { token } = await linkFor('alice');
  await portal.must(201, 'POST', '/api/portal/secrets', { token, body: { name: 'api-keys', data: { API_KEY: 'k-123', PASSWORD: 'p-456' } } });
  await portal.must(201, 'POST', '/api/portal/namespace/expose', { token, body: { name: 'blog', service: 'web', port: 80, domain } });
  await portal.must(201, 'POST', '/api/portal/workspace/crons', {
    token, body: { name: 'morning', message: 'Good morning', cron: '0 8 * * 1-5', session: 'agent:main:direct:channel:alice', tz: 'Europe/Berlin' },
  });
  await portal.must(200, 'PUT', '/api/friends/alice/workspace/friend-notes', { body: { content: '# Notes\n\nSome **notes** and [a link](https://example.com).' } });
  await portal.must(200, 'PUT', '/api/portal/workspace/memory', { token, body: { content: '# Memory\n\n- likes tea' } });
}

for (const viewport of WIDTHS) {
  test(`axe: every view with data at ${viewport.width}x${viewport.height}`, T, async () => {
    if (viewport.width === WIDTHS[0].width) await fillAlice();
    const s = await signIn('alice', { viewport });
    for (const route of ROUTES) {
      await go(s, route);
      await settled(s, route);
      await assertNoViolations(s.page, `${route} at ${viewport.width}px`);
      await shot(s.page, `a11y-${route}-${viewport.width}`);
    }
    // A secret's value shown, and the confirmation dialog open.
    await go(s, 'secrets');
    await settled(s, 'secrets');
    await s.tid('secret-reveal-api-keys-API_KEY').click();
    await s.tid('secret-value-api-keys-API_KEY').waitFor();
    await s.tid('secret-edit-api-keys').click();
    await s.tid('secret-edit-form-api-keys').waitFor();
    await assertNoViolations(s.page, `a revealed value and the edit form at ${viewport.width}px`);
    await s.tid('secret-delete-api-keys').click();
    await s.tid('confirm-dialog').waitFor();
    await assertNoViolations(s.page, `the delete confirmation at ${viewport.width}px`);
    await s.tid('confirm-cancel').click();
    await s.close();
  });
}

test('axe: every view empty (a friend with nothing yet) at 390x844', T, async () => {
  const s = await signIn('bob', { viewport: WIDTHS[1] });
  for (const route of ROUTES) {
    await go(s, route);
    await settled(s, route);
    await assertNoViolations(s.page, `bob's empty ${route}`);
  }
  await s.close();
});

test('axe: the pages without a session, at both widths', T, async () => {
  for (const viewport of WIDTHS) {
    const s = await openPage(browser, portal, { viewport });
    await s.page.goto(`${portal.url}/portal`);
    await s.page.locator('#no-session').waitFor();
    await assertNoViolations(s.page, `the no-session page at ${viewport.width}px`);
    await shot(s.page, `a11y-no-session-${viewport.width}`);
    await s.close();
  }
});

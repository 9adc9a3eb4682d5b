// End-to-end tests of the friend portal page, what a friend makes: secrets, exposing a
// Service of the namespace, then editing and deleting them (scheduled messages have their own
// file, portal_crons.test.mjs). The tests that look at
// every view run here too, over what the tests before them made through the page: a second
// friend sees none of it, nothing scrolls sideways at phone width, the dark colour scheme.
// The real `portal` binary and Debian's headless Chromium through playwright-core (see
// portal_page.mjs); data is set up through the admin API, and everything a friend does goes
// through the page.
//
//   PORTAL_BIN=target/debug/portal node --test tests/browser/
//
// Every page is watched for console errors, page errors, CSP violations, requests to another
// origin and 5xx answers, and a test fails on any it did not provoke on purpose. Screenshots
// of each view land in tests/browser/artifacts/.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shot, waitText } from './harness.mjs';
import {
  T, ROUTES, portal, domain, usePortal, linkFor, signIn, go, settled,
} from './portal_page.mjs';

usePortal();

test('secrets: create one with two keys, see it listed, reveal and hide a value', T, async () => {
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

  // Each key is shown on its own (portal_secrets_expose.test.mjs has copy and the edit form).
  for (const key of ['PASSWORD', 'USER']) await tid(`secret-reveal-db-pass-${key}`).click();
  await tid('secret-value-db-pass-PASSWORD').waitFor();
  assert.equal(await tid('secret-value-db-pass-PASSWORD').innerText(), 's3cr3t-value');
  await tid('secret-value-db-pass-USER').waitFor();
  assert.equal(await tid('secret-value-db-pass-USER').innerText(), 'alice');
  assert.equal(await tid('secret-reveal-db-pass-PASSWORD').getAttribute('aria-pressed'), 'true');
  await shot(page, 'secrets');
  await tid('secret-reveal-db-pass-PASSWORD').click();
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
  assert.equal(await tid('expose-port').isVisible(), false, 'the port waits under Advanced');
  await tid('expose-advanced').locator('summary').click();
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
  // The app's card has the new address; the Kubernetes view waits under "Technical details".
  await waitText(tid('app-address-web'), new RegExp(`my-app-alice\\.${domain.replace(/\./g, '\\.')}`));
  assert.equal(await tid('deployment-row-web').isVisible(), false);
  await tid('namespace-details').locator('summary').click();
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
  assert.equal(await b.tid('me-namespace').textContent(), 'friend-bob');
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
      await s.tid('secret-reveal-a-secret-with-a-rather-long-name-for-a-phone-screen-API_TOKEN_WITH_A_LONG_KEY_NAME').click();
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
  await s.tid('menu-button').click();
  await s.tid('nav-logout').click();
  await s.tid('confirm-ok').click();
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

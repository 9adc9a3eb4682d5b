// Secrets and exposing apps, as a friend sees them at 1280x900 and 390x844: values masked
// until revealed one by one, copied one by one (also in the edit form, where they stay masked
// while edited); the delete confirmation names the apps that use the secret; an exposed app's
// address comes with Copy and Open and wraps only between its parts; with no domain
// configured, the page says exposing is not set up and offers no form.
//
//   PORTAL_BIN=target/debug/portal node --test tests/browser/portal_secrets_expose.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shot, startPortal, addFriend, newSession, openPage } from './harness.mjs';
import { assertNoViolations } from './axe.mjs';
import {
  T, portal, browser, domain, usePortal, linkFor, signIn, go, settled,
} from './portal_page.mjs';

usePortal();

const WIDTHS = [
  { width: 1280, height: 900 },
  { width: 390, height: 844 },
];
const CLIPBOARD = ['clipboard-read', 'clipboard-write'];
const KEY_FILE = '-----BEGIN KEY-----\nline-one\nline-two\n-----END KEY-----';

const clipboard = (page) => page.evaluate(() => navigator.clipboard.readText());
const textSecurity = (locator) => locator.evaluate((el) => getComputedStyle(el).webkitTextSecurity);

/** A Deployment `worker` whose pods read the secret `mail-login` (one env var from it). */
async function workerUsing(secret) {
  await portal.must(200, 'POST', '/api/friends/alice/namespace/apply', {
    body: {
      manifests: [{
        apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'worker' },
        spec: {
          replicas: 1, selector: { matchLabels: { app: 'worker' } },
          template: {
            metadata: { labels: { app: 'worker' } },
            spec: {
              containers: [{
                name: 'worker', image: 'registry.example.com/alice/worker:1',
                env: [{ name: 'SMTP_PASSWORD', valueFrom: { secretKeyRef: { name: secret, key: 'PASSWORD' } } }],
              }],
            },
          },
        },
      }],
    },
  });
}

for (const viewport of WIDTHS) {
  const w = viewport.width;
  test(`secrets at ${w}px: masked values, reveal and copy per key, delete names the apps`, T, async () => {
    const { token } = await linkFor('alice');
    const used = `mail-login-${w}`;
    const unused = `spare-${w}`;
    await portal.must(201, 'POST', '/api/portal/secrets', { token, body: { name: used, data: { USER: 'alice@example.com', PASSWORD: 'pa55-word', KEY: KEY_FILE } } });
    await portal.must(201, 'POST', '/api/portal/secrets', { token, body: { name: unused, data: { TOKEN: 't0ken' } } });
    await workerUsing(used);

    const s = await signIn('alice', { viewport, permissions: CLIPBOARD });
    const { page, tid } = s;
    await go(s, 'secrets');
    await settled(s, 'secrets');
    await tid(`secret-row-${used}`).waitFor();

    // Listed with their keys, every value hidden.
    const row = await tid(`secret-row-${used}`).innerText();
    for (const key of ['USER', 'PASSWORD', 'KEY']) assert.match(row, new RegExp(key));
    for (const value of ['alice@example.com', 'pa55-word', 'line-one']) assert.ok(!row.includes(value), `${value} shows before Show`);
    assert.equal(await tid(`secret-value-${used}-PASSWORD`).count(), 0);

    // Show one key: only that value appears; Hide takes it away again.
    const show = tid(`secret-reveal-${used}-PASSWORD`);
    assert.equal(await show.getAttribute('aria-pressed'), 'false');
    await show.click();
    await tid(`secret-value-${used}-PASSWORD`).waitFor();
    assert.equal(await tid(`secret-value-${used}-PASSWORD`).innerText(), 'pa55-word');
    assert.equal(await show.getAttribute('aria-pressed'), 'true');
    assert.equal(await tid(`secret-value-${used}-USER`).count(), 0, 'the other keys stay hidden');
    await shot(page, `secrets-reveal-${w}`);
    await show.click();
    await tid(`secret-value-${used}-PASSWORD`).waitFor({ state: 'detached' });

    // Copy one key without showing it.
    await tid(`secret-copy-${used}-USER`).click();
    await page.waitForFunction((id) => document.querySelector(`[data-testid="${id}"]`).textContent === 'Copied', `secret-copy-${used}-USER`);
    assert.equal(await clipboard(page), 'alice@example.com');
    assert.equal(await tid(`secret-value-${used}-USER`).count(), 0, 'copying does not show the value');

    // The edit form: every value masked (a multi-line key file keeps its lines), each shown
    // and copied on its own.
    await tid(`secret-edit-${used}`).click();
    await tid(`secret-edit-form-${used}`).waitFor();
    const keys = [];
    for (let i = 0; i < 3; i += 1) keys.push(await tid(`secret-edit-key-${i}`).inputValue());
    const keyFile = keys.indexOf('KEY');
    assert.ok(keyFile >= 0, JSON.stringify(keys));
    for (let i = 0; i < 3; i += 1) assert.equal(await textSecurity(tid(`secret-edit-value-${i}`)), 'disc', `value ${i} is masked`);
    assert.equal(await tid(`secret-edit-value-${keyFile}`).inputValue(), KEY_FILE);
    await shot(page, `secrets-edit-masked-${w}`);
    await tid(`secret-edit-reveal-${keyFile}`).click();
    assert.equal(await textSecurity(tid(`secret-edit-value-${keyFile}`)), 'none');
    assert.equal(await tid(`secret-edit-reveal-${keyFile}`).getAttribute('aria-pressed'), 'true');
    assert.equal(await textSecurity(tid(`secret-edit-value-${(keyFile + 1) % 3}`)), 'disc', 'the others stay masked');
    await tid(`secret-edit-copy-${keyFile}`).click();
    await page.waitForFunction(async (want) => (await navigator.clipboard.readText()) === want, KEY_FILE);
    await shot(page, `secrets-edit-revealed-${w}`);
    await tid(`secret-edit-reveal-${keyFile}`).click();
    assert.equal(await textSecurity(tid(`secret-edit-value-${keyFile}`)), 'disc');
    await tid('secret-edit-cancel').click();

    // Delete names the app that uses the secret; Cancel keeps it.
    await tid(`secret-delete-${used}`).click();
    await tid('confirm-dialog').waitFor();
    assert.equal(await tid('secret-delete-usage').innerText(), 'Used by: worker. They may stop working.');
    await shot(page, `secrets-delete-${w}`);
    await tid('confirm-cancel').click();
    await tid(`secret-delete-${unused}`).click();
    await tid('confirm-dialog').waitFor();
    assert.equal(await tid('secret-delete-usage').innerText(), 'No app uses it.');
    await tid('confirm-ok').click();
    await tid(`secret-row-${unused}`).waitFor({ state: 'detached' });
    assert.equal((await portal.api('GET', `/api/portal/secrets/${unused}`, { token })).status, 404);
    assert.equal((await portal.api('GET', `/api/portal/secrets/${used}`, { token })).status, 200);
    await s.close();
  });
}

/**
 * Where the element's text wraps: for each line after the first, the character before the
 * break. (Each character's box through a Range; a new line starts where the top moves down.)
 */
function breaksOf(locator) {
  return locator.evaluate((el) => {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    const chars = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (let i = 0; i < node.length; i += 1) {
        const range = document.createRange();
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        const box = range.getBoundingClientRect();
        chars.push({ ch: node.data[i], top: Math.round(box.top) });
      }
    }
    const before = [];
    for (let i = 1; i < chars.length; i += 1) if (chars[i].top > chars[i - 1].top + 2) before.push(chars[i - 1].ch);
    return before;
  });
}

for (const viewport of WIDTHS) {
  const w = viewport.width;
  test(`expose at ${w}px: the address with Copy and Open, wrapping only between its parts`, T, async () => {
    const s = await signIn('alice', { viewport, permissions: CLIPBOARD });
    const { page, tid } = s;
    await go(s, 'expose');
    await settled(s, 'expose');
    const name = `a-longer-shop-${w}`;
    const expected = `https://${name}-alice.${domain}/`;
    await tid('expose-service').selectOption('web');
    await tid('expose-name').fill(name);
    // The live preview wraps the same way.
    assert.ok((await breaksOf(tid('expose-hostname-preview'))).every((c) => c === '.' || c === '/'));
    await tid('expose-submit').click();
    await tid('confirm-ok').click();
    await tid('expose-result-url').waitFor();

    const link = tid('expose-result-url');
    assert.equal(await link.getAttribute('href'), expected);
    assert.equal(await link.textContent(), expected, 'the text is the whole address');
    assert.match(await link.getAttribute('rel'), /noopener/);
    const breaks = await breaksOf(link);
    if (w === 390) assert.ok(breaks.length >= 1, 'the address is longer than a phone line');
    assert.ok(breaks.every((c) => c === '.' || c === '/'), `breaks after ${JSON.stringify(breaks)}`);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= w, `the page scrolls sideways: ${width}`);

    const open = tid('expose-result-open');
    assert.equal(await open.getAttribute('href'), expected);
    assert.equal(await open.getAttribute('target'), '_blank');
    assert.match(await open.getAttribute('rel'), /noopener/);
    await tid('expose-result-copy').click();
    await page.waitForFunction(async (want) => (await navigator.clipboard.readText()) === want, expected);
    await tid(`expose-row-${name}`).waitFor();
    await shot(page, `expose-result-${w}`);
    await s.close();
  });
}

test('expose with no domain configured: the page says it is not set up, with no form', T, async () => {
  // A portal of its own, with the built-in exposure policy: no domain.
  const bare = await startPortal({ domains: [] });
  try {
    await bare.must(201, 'POST', '/api/agents', { body: { id: 'main', display_name: 'Main Agent' } });
    await addFriend(bare, { id: 'alice', displayName: 'Alice Example', agent: 'main' });
    await bare.must(200, 'POST', '/api/friends/alice/namespace/apply', {
      body: { manifests: [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } }] },
    });
    const { token } = await newSession(bare, 'alice');
    assert.deepEqual(await bare.must(200, 'GET', '/api/portal/domains', { token }), []);
    for (const viewport of WIDTHS) {
      // A link signs in once: a new one for each browser.
      const { portalUrl } = await newSession(bare, 'alice');
      const s = await openPage(browser, bare, { viewport });
      await s.page.goto(portalUrl);
      await s.tid('view-overview').waitFor();
      await go(s, 'expose');
      await settled(s, 'expose');
      assert.match(await s.tid('expose-no-domains').innerText(), /not set up/);
      const text = await s.tid('view-expose').innerText();
      assert.doesNotMatch(text, /your-domain/);
      assert.doesNotMatch(text, /\bnull\b|undefined/, 'nothing stray is printed');
      assert.equal(await s.tid('expose-form').count(), 0, 'no form to fill in');
      assert.equal(await s.page.locator('#view select, #view input').count(), 0);
      await assertNoViolations(s.page, `expose, not set up, at ${viewport.width}px`);
      await shot(s.page, `expose-not-set-up-${viewport.width}`);
      await s.close();
    }
  } finally {
    await bare.stop();
  }
});

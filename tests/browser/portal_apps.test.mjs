// "Your apps" (#/namespace) as a friend sees it, at 1280x900 and 390x844: each app's state in
// words, its public address with a copy button, the secrets it uses, its recent logs and a
// restart; the allowance in words below; Kubernetes words only under "Technical details".
// The app is set up by the admin (as an agent would), everything else goes through the page.
//
//   PORTAL_BIN=target/debug/portal node --test tests/browser/portal_apps.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shot, waitText } from './harness.mjs';
import { T, portal, domain, usePortal, linkFor, signIn, go, settled } from './portal_page.mjs';

usePortal();

/** Words a friend should not meet on the first level of the view. */
const JARGON = ['namespace', 'friend-alice', 'Deployment', 'IngressRoute', 'limits.cpu', 'requests.memory', 'pods', 'ClusterIP', 'replicas'];

// Alice's app "web" (from usePortal) uses a secret and is online; a second app is stopped.
// Set up once, by whichever test comes first (after usePortal's own set-up has run).
let ready = null;
const setUp = () => { ready = ready || makeApps(); return ready; };
async function makeApps() {
  const { token } = await linkFor('alice');
  await portal.must(201, 'POST', '/api/portal/secrets', { token, body: { name: 'web-db', data: { PASSWORD: 'hunter2' } } });
  await portal.must(200, 'POST', '/api/friends/alice/namespace/apply', {
    body: {
      manifests: [
        {
          apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' },
          spec: {
            replicas: 1, selector: { matchLabels: { app: 'web' } },
            template: {
              metadata: { labels: { app: 'web' } },
              spec: { containers: [{ name: 'web', image: 'nginx:1.27', envFrom: [{ secretRef: { name: 'web-db' } }] }] },
            },
          },
        },
        {
          apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'worker' },
          spec: {
            replicas: 0, selector: { matchLabels: { app: 'worker' } },
            template: { metadata: { labels: { app: 'worker' } }, spec: { containers: [{ name: 'worker', image: 'busybox:1.36' }] } },
          },
        },
      ],
    },
  });
  await portal.must(201, 'POST', '/api/portal/namespace/expose', { token, body: { name: 'blog', service: 'web', port: 80, domain } });
}

async function yourApps(viewport, tag) {
  await setUp();
  const s = await signIn('alice', { viewport });
  const { page, tid } = s;
  await go(s, 'namespace');
  await settled(s, 'namespace');
  assert.equal(await tid('view-title').innerText(), 'Your apps');

  // Each app: its state in words, where it is online, the secrets it uses.
  await waitText(tid('app-state-web'), /^Running$/);
  assert.equal(await tid('app-state-worker').innerText(), 'Stopped');
  const url = `https://blog-alice.${domain}/`;
  assert.equal(await tid('app-address-web').locator('a').getAttribute('href'), url);
  assert.match(await tid('app-address-worker').innerText(), /Not online/);
  assert.match(await tid('app-secrets-web').innerText(), /web-db/);

  // Copy puts the address on the clipboard.
  await s.context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await tid('app-copy-web').click();
  await waitText(tid('app-copy-web'), /Copied/);
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), url);

  // The allowance, in words, with no zero-limit rows and no Kubernetes keys: far from its
  // limits, it waits under Technical details.
  assert.equal(await tid('quota-pods').isVisible(), false, 'the allowance is folded away while far from its limits');
  await tid('namespace-details').locator('summary').click();
  assert.match(await tid('quota-pods').innerText(), /Copies of your apps running\s*1 of 20/);
  await tid('namespace-details').locator('summary').click();
  const firstLevel = await tid(`view-namespace`).innerText();
  for (const word of JARGON) assert.ok(!firstLevel.includes(word), `"${word}" on the first level at ${tag}`);

  // Recent logs, on request.
  await tid('app-logs-show-web').click();
  assert.equal(await tid('app-logs-show-web').getAttribute('aria-expanded'), 'true');
  await page.locator('[data-testid="app-logs-web"] pre, [data-testid="app-logs-empty-web"]').first().waitFor();
  await shot(page, `apps-${tag}`);

  // The address never breaks mid-word and nothing scrolls sideways.
  const widths = await page.evaluate(() => ({ doc: document.documentElement.scrollWidth, win: window.innerWidth }));
  assert.ok(widths.doc <= widths.win, JSON.stringify(widths));
  return s;
}

test('your apps at 1280x900: state, address and copy, secrets, logs, allowance in words', T, async () => {
  const s = await yourApps({ width: 1280, height: 900 }, 'desktop');
  await s.close();
});

test('your apps at 390x844, and a restart asks first and restarts the app', T, async () => {
  const s = await yourApps({ width: 390, height: 844 }, 'phone');
  const { tid } = s;
  await tid('app-restart-web').click();
  await tid('confirm-dialog').waitFor();
  assert.match(await tid('confirm-dialog').innerText(), /Restart web\?/);
  await tid('confirm-cancel').click();
  await tid('app-restart-web').click();
  await tid('confirm-ok').click();
  await waitText(tid('toast'), /web is restarting/);
  // The card follows the restart: restarting, then back up, and when it was last restarted.
  await waitText(tid('app-restart-status-web'), /Restarting…|Back up/);
  await waitText(tid('app-restart-status-web'), /Back up/, 20_000);
  assert.match(await tid('app-restart-status-web').innerText(), /Last restarted/);
  await s.close();
});

test("another friend's apps are not reachable: logs and restart of alice's app are 404 for bob", T, async () => {
  await setUp();
  const { token: bob } = await linkFor('bob');
  assert.equal((await portal.api('GET', '/api/portal/namespace/deployments/web/logs', { token: bob })).status, 404);
  assert.equal((await portal.api('POST', '/api/portal/namespace/deployments/web/restart', { token: bob, body: {} })).status, 404);
  const b = await signIn('bob');
  await go(b, 'namespace');
  await settled(b, 'namespace');
  await b.tid('apps-empty').waitFor();
  assert.match(await b.tid('apps-empty').innerText(), /No apps yet/);
  await b.close();
});

// Shared by the browser tests of the portal page (portal_*.test.mjs): each test file calls
// usePortal() for its own real `portal` binary (embedded mode, its own temporary data dir, a
// free port), one headless Chromium and the same data, set up through the admin API; its tests
// then sign friends in and move between views with the steps below. harness.mjs holds the
// lower-level parts (the binary, the API client, the browser launch and the page watcher).
//
// Not a test file itself (node --test only picks up *.test.mjs here).

import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startPortal, addFriend, newSession, launchBrowser, openPage,
} from './harness.mjs';

export const T = { timeout: 120_000 };
export const ROUTES = ['overview', 'memory', 'notes', 'heartbeat', 'secrets', 'namespace', 'expose', 'crons'];

// The file's portal and browser, and the domain friends expose apps on: set by usePortal().
export let portal;
export let browser;
export let domain;

/**
 * Starts the portal and the browser before the file's first test and stops them after its
 * last, with an agent `main`, friends alice, bob and carol linked to it, and a Deployment and
 * a Service `web` in alice's namespace.
 */
export function usePortal() {
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
}

// The host allows 10 portal links per friend per hour, and a link signs in once: the tests
// share one session per friend (a link exchanged through the API, as the page would), put
// into each new browser context's storage, as a friend already signed in on another device.
// The tests of the link itself and those that end a session use links of their own (fresh).
export const links = new Map();
export async function linkFor(friend) {
  if (!links.has(friend)) {
    const { token: linkToken, portalUrl } = await newSession(portal, friend);
    const r = await portal.must(201, 'POST', '/api/auth/exchange', { body: { link_token: linkToken } });
    links.set(friend, { token: r.session_token, portalUrl });
  }
  return links.get(friend);
}

/**
 * A new browser context signed in as `friend`, on the overview: with the friend's shared
 * session, or (fresh) by opening a new magic link as a friend does. `s.token` is the session.
 */
export async function signIn(friend, opts, { fresh = false } = {}) {
  const s = await openPage(browser, portal, opts);
  if (fresh) {
    const { portalUrl } = await newSession(portal, friend);
    await s.page.goto(portalUrl);
  } else {
    const { token } = await linkFor(friend);
    // Once per tab: a reload after signing out must find the storage empty.
    await s.page.addInitScript((t) => {
      if (!sessionStorage.getItem('test-seeded')) {
        sessionStorage.setItem('test-seeded', '1');
        localStorage.setItem('portal.session', t);
      }
    }, token);
    await s.page.goto(`${portal.url}/portal#/overview`);
  }
  await s.tid('me-display-name').waitFor();
  s.token = await storedToken(s.page);
  return s;
}

export async function go(s, route) {
  const moving = new URL(s.page.url()).hash !== `#/${route}`;
  // On a phone the sections open from the Menu button; the menu closes once a view opens.
  if (await s.tid('menu-button').isVisible()) {
    await s.tid('menu-button').click();
    assert.equal(await s.tid('menu-button').getAttribute('aria-expanded'), 'true');
  }
  await s.tid(`nav-${route}`).click();
  await s.tid(`view-${route}`).waitFor();
  assert.equal(await s.tid(`nav-${route}`).getAttribute('aria-current'), 'page');
  // Focus moves to the new view's heading (for screen readers and keyboard users).
  if (moving) assert.equal(await s.page.evaluate(() => document.activeElement && document.activeElement.id), 'view-title', `focus after opening ${route}`);
}

/** Waits until a view has drawn its data (no loading placeholder left). */
export async function settled(s, route) {
  const ready = {
    overview: '[data-testid="me-details"]',
    memory: '[data-testid="memory-editor"]',
    heartbeat: '[data-testid="heartbeat-form"]',
    notes: '[data-testid="notes-content"], [data-testid="notes-empty"]',
    secrets: '[data-testid="secrets-list"], [data-testid="secrets-empty"]',
    namespace: '[data-testid="namespace-details"]',
    expose: '[data-testid="expose-form"], [data-testid="expose-no-services"], [data-testid="expose-no-domains"]',
    crons: '[data-testid="cron-create-form"]',
  }[route];
  await s.page.locator(ready).first().waitFor();
  await s.page.waitForFunction(() => !document.querySelector('#view .loading'));
}

export const storedToken = (page) => page.evaluate(() => localStorage.getItem('portal.session'));

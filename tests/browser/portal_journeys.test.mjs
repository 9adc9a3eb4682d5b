// The second walkthrough's journeys (issue 22), each walked as a person would, at 1280x900 and
// 390x844: buttons and fields found by their words and roles, axe on every new state. First
// opening, a weekday reminder's defaults, adding an API key, putting an app online from its
// card and taking it down, restarting, notes, feedback and errors, the apps' allowance, and a
// check that no view's first level shows a Kubernetes word, a file name or a request id.
// (The rest of the reminder journey is in portal_crons, the checklist in portal_workspace.)
//
//   PORTAL_BIN=target/debug/portal node --test tests/browser/portal_journeys.test.mjs
//
// Screenshots: journey-* in tests/browser/artifacts/.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shot, waitText, openPage } from './harness.mjs';
import { assertNoViolations } from './axe.mjs';
import {
  T, ROUTES, portal, browser, domain, usePortal, linkFor, signIn, go, settled,
} from './portal_page.mjs';

usePortal();

const SIZES = [['desktop', { width: 1280, height: 900 }], ['phone', { width: 390, height: 844 }]];

const deployment = (name, env = []) => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name },
  spec: {
    replicas: 1, selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image: `example/${name}:1`, env }] } },
  },
});
const service = (name) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app: name }, ports: [{ port: 8080, name: 'http' }] } });

/** The file's own data, once, before its first test walks (the portal starts in usePortal). */
let ready = null;
const setUp = () => { ready = ready || addData(); return ready; };

async function addData() {
  // Alice also runs "alice-writes" (a blog, with a Service) and "writer", which reads her
  // secret "writer-key".
  const alice = (await linkFor('alice')).token;
  await portal.must(201, 'POST', '/api/portal/secrets', { token: alice, body: { name: 'writer-key', data: { WRITER_KEY: 'w-123' } } });
  await portal.must(200, 'POST', '/api/friends/alice/namespace/apply', {
    body: {
      manifests: [
        deployment('alice-writes'), service('alice-writes'),
        deployment('writer', [{ name: 'WRITER_KEY', valueFrom: { secretKeyRef: { name: 'writer-key', key: 'WRITER_KEY' } } }]),
      ],
    },
  });
  // Frank prefers Signal.
  await portal.must(201, 'POST', '/api/friends', { body: { id: 'frank', display_name: 'Frank Example', signal: '+1-555-0142', agent_id: 'main' } });
  const { token } = await linkFor('frank');
  await portal.must(200, 'PUT', '/api/portal/me', { token, body: { preferred_channel: 'signal' } });
}

/** The view's first level: its visible text (what is folded in a closed <details> is not). */
const firstLevel = (s) => s.page.locator('#view').innerText();

/** Words a friend should not meet at first level. */
const JARGON = [
  /\b(namespace|deployments?|pods?|ingress(route)?s?|kubernetes|k8s|replicas?|containers?|configmap|clusterip)\b/i,
  /\b[\w-]+\.(md|toml|yaml|yml|json)\b/i,
  /request id/i,
  /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/i,
  /\bexpose\b/i,
  /\b(tcp|udp)\b/i,
  // What a page shows when it drew nothing where it meant to.
  /\b(null|undefined|NaN)\b|\[object /,
];

function assertPlain(text, where) {
  for (const re of JARGON) assert.ok(!re.test(text), `${where}: ${re} in ${JSON.stringify(text.match(re) && text.match(re)[0])}\n${text}`);
}

for (const [tag, viewport] of SIZES) {
  test(`first opening at ${tag}: one sentence of how things stand, friends since a date, sign out asks, no focus box`, T, async () => {
  await setUp();
    const s = await signIn('alice', { viewport });
    const { page, tid } = s;
    await settled(s, 'overview');
    // What the page is, and how things stand, in one sentence each.
    await waitText(tid('overview-status'), /needs you\.$/);
    const status = await tid('overview-status').innerText();
    assert.match(status, /apps? .*(running|starting)/);
    assert.match(status, /message/);
    assert.equal(status.split(/[.!?](\s|$)/).filter((x) => x && x.trim()).length, 1, `one sentence: ${status}`);
    assert.match(await tid('overview-summary').innerText(), /^This is your portal/);
    // "friends since" reads as a date, not "14 seconds ago".
    const since = await tid('agent-row-main').innerText();
    assert.match(since, /friends since \d{1,2} \w+ \d{4}/);
    assert.doesNotMatch(since, /ago|second|minute/);

    if (tag === 'phone') {
      // Sign out is not beside Menu: it is at the end of the menu.
      assert.equal(await page.getByRole('button', { name: 'Sign out', exact: true }).count(), 0, 'no Sign out in the header: it waits in the menu');
      assert.equal(await tid('logout').isVisible(), false);
      await page.getByRole('button', { name: 'Menu' }).click();
      const signOut = page.getByRole('button', { name: 'Sign out', exact: true });
      await signOut.waitFor();
      const [menuBox, outBox] = [await tid('menu-button').boundingBox(), await signOut.boundingBox()];
      assert.ok(outBox.y > menuBox.y + menuBox.height + 200, `Sign out far below Menu: ${JSON.stringify({ menuBox, outBox })}`);
      await signOut.click();
    } else {
      await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    }
    await tid('confirm-dialog').waitFor();
    await assertNoViolations(page, `sign-out question at ${tag}`);
    await tid('confirm-cancel').click();
    assert.ok(await page.evaluate(() => localStorage.getItem('portal.session')), 'Cancel keeps the session');

    // Opening a view puts focus on its heading, with no box drawn, by mouse or by keyboard.
    await go(s, 'secrets');
    const outline = () => page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'view-title');
    assert.equal(await outline(), 'none');
    if (tag === 'desktop') {
      await tid('nav-crons').focus();
      await page.keyboard.press('Enter');
      await tid('view-crons').waitFor();
      assert.equal(await page.evaluate(() => document.activeElement.id), 'view-title');
      assert.equal(await outline(), 'none');
    }
    await go(s, 'overview');
    await settled(s, 'overview');
    await assertNoViolations(page, `overview at ${tag}`);
    await shot(page, `journey-overview-${tag}`);
    await s.close();
  });
}

test('a weekday reminder goes to the preferred chat app by default, and no option is cut at 390 px', T, async () => {
  await setUp();
  for (const [tag, viewport] of SIZES) {
    const s = await signIn('frank', { viewport });
    const { page, tid } = s;
    await go(s, 'crons');
    await settled(s, 'crons');
    assert.match(await tid('cron-create-session').inputValue(), /:signal:/);
    assert.match(await tid('cron-create-session').locator('option:checked').innerText(), /^Signal/);
    assert.match(await tid('cron-create-where').innerText(), /appears in your Signal chat with your agent/);
    // Every option of every choice fits its box: nothing is cut.
    const cut = await page.evaluate(() => {
      const ctx = document.createElement('canvas').getContext('2d');
      const out = [];
      for (const sel of document.querySelectorAll('#view select')) {
        if (!sel.getClientRects().length) continue;
        const cs = getComputedStyle(sel);
        ctx.font = `${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
        // The arrow of the box takes about 24 px of it.
        const room = sel.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - 24;
        for (const o of sel.options) {
          if (sel.dataset.testid && sel.dataset.testid.endsWith('-tz') && !o.selected) continue;
          const w = ctx.measureText(o.text).width;
          if (w > room) out.push(`${sel.dataset.testid}: "${o.text}" ${Math.round(w)} > ${Math.round(room)}`);
        }
      }
      return out;
    });
    assert.deepEqual(cut, [], `options cut at ${tag}`);
    await assertNoViolations(page, `crons form at ${tag}`);
    await shot(page, `journey-crons-${tag}`);
    await s.close();
  }
});

for (const [tag, viewport] of SIZES) {
  test(`adding an API key at ${tag}: one value field, names filled, mistakes caught, linked with the apps`, T, async () => {
  await setUp();
    const s = await signIn('alice', { viewport });
    const { page, tid } = s;
    await go(s, 'secrets');
    await settled(s, 'secrets');
    const name = page.getByLabel('Name', { exact: true });
    const value = page.getByLabel('Value: the key or password itself');
    const save = page.getByRole('button', { name: 'Save secret' });
    const secret = tag === 'desktop' ? 'openai' : 'mail-password';
    const key = tag === 'desktop' ? 'sk-proj-AbCdEfGh1234567890IjKlMn' : 'correct horse battery staple';

    // The key pasted into the name field is caught.
    await name.fill('sk-proj-abcdefgh1234567890ijklmn');
    await save.click();
    await waitText(tid('secret-create-name-error'), /looks like the key itself/);
    await assertNoViolations(page, `secret name caught at ${tag}`);
    // An empty value is refused.
    await name.fill(secret);
    await save.click();
    await waitText(page.locator('#view .field-error:not([hidden])').first(), /Paste the value here: it is empty/);
    // A key pasted into the variable name is caught too.
    await value.fill(key);
    await page.getByLabel('Variable name (optional)').fill('ghp_abcdefghijklmnopqrstuvwxyz0123456789');
    await save.click();
    await waitText(page.locator('#view .field-error:not([hidden])').first(), /looks like the key itself, not a name/);
    await page.getByLabel('Variable name (optional)').fill('');
    await save.click();
    await tid(`secret-row-${secret}`).waitFor();
    const stored = await portal.must(200, 'GET', `/api/portal/secrets/${secret}`, { token: s.token });
    const variable = secret.toUpperCase().replace(/-/g, '_');
    assert.deepEqual(stored.data, { [variable]: key }, 'stored under a variable name made from the name');

    // Each secret says which apps use it (linked both ways), or how an app gets to use it.
    await waitText(tid('secret-apps-writer-key'), /Used by writer/);
    await waitText(tid(`secret-apps-${secret}`), new RegExp(`No app uses it yet\\. To use it, ask your agent .*as ${variable}`));
    await assertNoViolations(page, `secrets with usage at ${tag}`);
    await shot(page, `journey-secrets-${tag}`);
    await tid('secret-apps-writer-key').getByRole('link', { name: 'writer' }).click();
    await tid('view-namespace').waitFor();
    await tid('app-writer').waitFor();
    await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'app-title-writer');
    await tid('app-secrets-writer').getByRole('link', { name: 'writer-key' }).click();
    await tid('secret-row-writer-key').waitFor();
    await page.waitForFunction(() => document.activeElement && document.activeElement.closest('[data-testid="secret-row-writer-key"]'));
    assertPlain(await firstLevel(s), `secrets at ${tag}`);
    await s.close();
  });
}

for (const [tag, viewport] of SIZES) {
  test(`putting an app online from its card at ${tag}, taking it down, and restarting it`, T, async () => {
  await setUp();
    const s = await signIn('alice', { viewport });
    const { page, tid } = s;
    await go(s, 'namespace');
    await settled(s, 'namespace');
    await tid('app-alice-writes').getByRole('link', { name: 'Put it online' }).click();
    await tid('expose-form').waitFor();
    // The form is for that app, with a name that makes a sensible address.
    assert.equal(await tid('expose-service').inputValue(), 'alice-writes');
    assert.equal(await tid('expose-name').inputValue(), 'writes');
    await waitText(tid('expose-hostname-preview'), new RegExp(`^https://writes-alice\\.${domain.replace(/\./g, '\\.')}$`));
    assertPlain(await firstLevel(s), `put online at ${tag}`);
    assert.doesNotMatch(await firstLevel(s), /\b8080\b|\bport\s+\d/i, 'no port number at first level');
    await assertNoViolations(page, `put online form at ${tag}`);
    await page.getByRole('button', { name: 'Put it online' }).click();
    await tid('confirm-dialog').waitFor();
    assertPlain(await tid('confirm-dialog').innerText(), `put online question at ${tag}`);
    await tid('confirm-ok').click();
    await tid('expose-result-url').waitFor();
    await shot(page, `journey-online-${tag}`);

    // Back on the card: the address, and a way to take it down.
    await go(s, 'namespace');
    await settled(s, 'namespace');
    await waitText(tid('app-address-alice-writes'), /writes-alice\./);
    await tid('app-alice-writes').getByRole('button', { name: 'Take the address down' }).click();
    await tid('confirm-dialog').waitFor();
    await tid('confirm-ok').click();
    await waitText(tid('app-address-alice-writes'), /Not online yet/);
    assert.deepEqual((await portal.must(200, 'GET', '/api/portal/namespace', { token: s.token })).ingressRoutes.filter((r) => r.service === 'alice-writes'), []);

    // Restarting: the card shows the progress, then when it was last restarted.
    await tid('app-web').getByRole('button', { name: 'Restart' }).click();
    await tid('confirm-ok').click();
    await waitText(tid('app-restart-status-web'), /Restarting…|Back up/);
    await assertNoViolations(page, `restarting at ${tag}`);
    await waitText(tid('app-restart-status-web'), /Back up/, 20_000);
    await waitText(tid('app-restart-status-web'), /Last restarted/);
    await page.reload();
    await settled(s, 'namespace');
    await waitText(tid('app-restart-status-web'), /Last restarted/);
    assertPlain(await firstLevel(s), `your apps at ${tag}`);
    await shot(page, `journey-restart-${tag}`);
    await s.close();
  });
}

for (const [tag, viewport] of SIZES) {
  test(`notes at ${tag}: words of notes, lines kept, no shortcut hint on a phone, plain placeholder`, T, async () => {
  await setUp();
    const s = await signIn('bob', { viewport });
    const { page, tid } = s;
    await go(s, 'memory');
    await settled(s, 'memory');
    const box = page.getByLabel('Your notes for your agent');
    assert.match(await box.getAttribute('placeholder'), /^For example: /);
    const text = await firstLevel(s);
    assertPlain(text, `memory at ${tag}`);
    assert.doesNotMatch(text, /markdown/i);
    if (tag === 'phone') assert.doesNotMatch(text, /Ctrl/);
    else assert.match(text, /Ctrl\+S saves/);
    await box.fill('I like tea\nI live in Berlin');
    await waitText(tid('memory-preview'), /I like tea/);
    assert.equal(await tid('memory-preview').locator('br').count(), 1, 'the two lines stay two lines');
    await page.getByRole('button', { name: 'Save' }).click();
    await waitText(tid('memory-status'), /All changes saved/);
    await assertNoViolations(page, `memory saved at ${tag}`);
    // The agent's notes say when they were last updated.
    await portal.must(200, 'PUT', '/api/friends/bob/workspace/friend-notes', { body: { content: 'Bob likes tea.\nBob lives in Hamburg.' } });
    await go(s, 'notes');
    await settled(s, 'notes');
    await waitText(tid('notes-updated'), /^Last updated (now|\d+ seconds? ago|this minute)\.$/);
    assert.equal(await tid('notes-content').locator('br').count(), 1, 'the agent\'s lines stay apart too');
    assertPlain(await firstLevel(s), `notes at ${tag}`);
    await assertNoViolations(page, `notes at ${tag}`);
    await go(s, 'heartbeat');
    await settled(s, 'heartbeat');
    const hb = await firstLevel(s);
    assertPlain(hb, `heartbeat at ${tag}`);
    assert.match(hb, /checklist/i);
    await assertNoViolations(page, `heartbeat at ${tag}`);
    await shot(page, `journey-heartbeat-${tag}`);
    await s.close();
  });
}

for (const [tag, viewport] of SIZES) {
  test(`feedback and errors at ${tag}: pinned, replaced, cleared; plain words with details folded`, T, async () => {
  await setUp();
    const s = await signIn('carol', { viewport });
    const { page, tid } = s;
    await go(s, 'memory');
    await settled(s, 'memory');
    await page.getByLabel('Your notes for your agent').fill('First');
    await page.getByRole('button', { name: 'Save' }).click();
    await waitText(tid('toast'), /Your notes are saved/);
    // Pinned in the window, wherever the page is scrolled.
    const inWindow = () => page.evaluate(() => {
      const r = document.getElementById('toast').getBoundingClientRect();
      return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;
    });
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    assert.ok(await inWindow(), 'the confirmation is in the window');
    // A new one replaces it (one message, not two), and it clears on its own.
    await page.getByLabel('Your notes for your agent').fill('Second');
    await page.getByRole('button', { name: 'Save' }).click();
    await waitText(tid('toast'), /^Your notes are saved\.$/);
    await waitText(tid('toast'), /^$/, 15_000);

    // A server refusal in plain words: no request id, no machine name; those under Details.
    s.allow(/status of 409/);
    await page.route('**/api/portal/workspace/crons', (route) => (route.request().method() === 'GET'
      ? route.fulfill({
        status: 409, contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'conflict', message: "cron job 'x-1' conflicts in store", request_id: '3f2a9c1e-aaaa-bbbb-cccc-0123456789ab' } }),
      })
      : route.continue()));
    await go(s, 'crons');
    await tid('error').waitFor();
    const shown = await firstLevel(s);
    assertPlain(shown, `error at ${tag}`);
    assert.doesNotMatch(shown, /x-1|conflicts in store/);
    await tid('error').locator('summary').click();
    assert.match(await tid('error').innerText(), /3f2a9c1e/);
    await assertNoViolations(page, `error at ${tag}`);
    await page.unroute('**/api/portal/workspace/crons');
    await s.close();
  });
}

test('a dead link offers asking the agent in the chat app, never a new link from the old one', T, async () => {
  await setUp();
  for (const [tag, viewport] of SIZES) {
    const s = await openPage(browser, portal, { viewport });
    const { page, tid } = s;
    s.allow(/status of 40[01]/);
    await page.goto(`${portal.url}/portal?s=not-a-real-link`);
    await tid('link-unknown').waitFor();
    // Not known who this is: each chat app is offered.
    for (const app of ['Signal', 'WhatsApp', 'Discord']) await page.getByRole('link', { name: `Open ${app}` }).waitFor();
    assert.match(await tid('ask-agent').innerText(), /Ask your agent for a new link: write to it in the chat app/);
    await assertNoViolations(page, `dead link at ${tag}`);
    await shot(page, `journey-dead-link-${tag}`);
    // A browser that was signed in before remembers the preferred app, and offers just that.
    await page.evaluate(() => localStorage.setItem('portal.chat', 'signal'));
    await page.goto(`${portal.url}/portal?s=another-bad-link`);
    await tid('link-unknown').waitFor();
    assert.equal(await page.getByRole('link', { name: /^Open / }).count(), 1);
    assert.equal(await page.getByRole('link', { name: 'Open Signal' }).getAttribute('href'), 'sgnl://');
    await s.close();
  }
});

test('the allowance: folded away far from its limits, and no bars at all without apps', T, async () => {
  await setUp();
  for (const [tag, viewport] of SIZES) {
    const s = await signIn('bob', { viewport });
    await go(s, 'namespace');
    await settled(s, 'namespace');
    await s.tid('apps-empty').waitFor();
    await s.tid('namespace-details').locator('summary').click();
    assert.equal(await s.page.locator('[role="meter"]').count(), 0, `no quota bars without apps at ${tag}`);
    await s.close();
    const a = await signIn('alice', { viewport });
    await go(a, 'namespace');
    await settled(a, 'namespace');
    assert.equal(await a.page.locator('[role="meter"]:visible').count(), 0, `allowance folded at ${tag}`);
    assert.ok(await a.page.locator('[role="meter"]').count() > 0);
    await a.close();
  }
});

test('no view shows a Kubernetes word, a file name or a request id at first level', T, async () => {
  await setUp();
  const s = await signIn('alice');
  for (const route of ROUTES) {
    await go(s, route);
    await settled(s, route);
    assertPlain(await firstLevel(s), route);
  }
  await s.close();
});

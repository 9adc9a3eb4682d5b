// End-to-end tests of the friend portal page, the workspace files: memory (saving, reloading,
// a conflicting change), the agent's notes, the heartbeat. The real `portal` binary and
// Debian's headless Chromium through playwright-core (see portal_page.mjs); data is set up
// through the admin API, and everything a friend does goes through the page.
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
  T, portal, usePortal, signIn, go, settled,
} from './portal_page.mjs';

usePortal();

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
  assert.match(await tid('memory-conflict').innerText(), /Your agent changed your notes meanwhile/);
  assert.match(await tid('memory-conflict').innerText(), /still here: nothing is lost/);
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

test('heartbeat: the checklist edited as checkboxes and saved, then the agent sees it', T, async () => {
  const s = await signIn('alice');
  const { page, tid } = s;
  await go(s, 'heartbeat');
  await settled(s, 'heartbeat');
  // The text form (with Markdown) waits under Advanced; the checklist is rows of checkboxes.
  assert.equal(await tid('heartbeat-editor').isVisible(), false);
  await page.getByRole('button', { name: '+ Add an item' }).click();
  await page.keyboard.type('Check the weather every morning');
  await page.keyboard.press('Enter'); // the next item, as on paper
  await page.keyboard.type('Remind me to water the plants on Sundays');
  await page.getByRole('checkbox', { name: 'Item 2 done' }).check();
  await page.getByRole('button', { name: 'Save' }).click();
  await waitText(tid('heartbeat-status'), /All changes saved/);
  const text = '- [ ] Check the weather every morning\n- [x] Remind me to water the plants on Sundays\n';
  assert.equal((await portal.must(200, 'GET', '/api/friends/alice/workspace/heartbeat')).content, text);
  await page.reload();
  await tid('heartbeat-item-1').waitFor();
  assert.equal(await tid('heartbeat-item-0').inputValue(), 'Check the weather every morning');
  assert.equal(await tid('heartbeat-done-1').isChecked(), true);
  assert.equal(await tid('heartbeat-done-0').isChecked(), false);
  await shot(page, 'heartbeat');

  // A heading the agent wrote stays where it was; removing an item keeps the other lines.
  await portal.must(200, 'PUT', '/api/friends/alice/workspace/heartbeat', { body: { content: '# Heartbeat\n\n- [ ] One\n- [ ] Two\n' } });
  await page.reload();
  await tid('heartbeat-item-1').waitFor();
  await page.getByRole('button', { name: 'Remove item 1' }).click();
  await page.getByRole('button', { name: 'Save' }).click();
  await waitText(tid('heartbeat-status'), /All changes saved/);
  assert.equal((await portal.must(200, 'GET', '/api/friends/alice/workspace/heartbeat')).content, '# Heartbeat\n\n- [ ] Two\n');
  await s.close();
});

// Unit tests (no browser) for the pure parts the second walkthrough added to the page: a
// schedule's name made from its message, where a message appears, zones chosen by city, a key
// pasted where a name belongs, the name an app reads a secret by, an address's suggested name,
// the overview's one sentence, and the heartbeat checklist's text round trip.
//   node --test tests/browser/portal_walkthrough_logic.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nameFromMessage, whereItAppears } from '../../portal-static/js/cron-form.js';
import { zoneChoiceLabel, zoneForCity } from '../../portal-static/js/cron-times.js';
import { looksLikeSecret, variableName } from '../../portal-static/js/secret-kv-editor.js';
import { suggestedName } from '../../portal-static/js/view-expose.js';
import { statusSentence } from '../../portal-static/js/view-overview.js';
import { parseChecklist, checklistText } from '../../portal-static/js/checklist.js';
import { nearLimit } from '../../portal-static/js/view-namespace.js';

test("a schedule's machine name is made from its message, unique among the friend's", () => {
  assert.equal(nameFromMessage('Water the plants!'), 'water-the-plants');
  assert.equal(nameFromMessage('Café au lait à 9h'), 'cafe-au-lait-a-9h');
  assert.equal(nameFromMessage('🌱🌱'), 'message');
  assert.equal(nameFromMessage('Water the plants', ['water-the-plants', 'water-the-plants-2']), 'water-the-plants-3');
  const long = nameFromMessage('a'.repeat(30) + ' ' + 'b'.repeat(30));
  assert.ok(long.length <= 40 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(long), long);
});

test('where a scheduled message appears, by its conversation', () => {
  assert.match(whereItAppears('agent:main:signal:direct:+15550142', 'Signal (+1-555-0142)'), /your Signal chat/);
  assert.match(whereItAppears('agent:main:discord:direct:1234', 'Discord'), /your Discord chat/);
  assert.match(whereItAppears('agent:main:direct:channel:alice', 'Direct chat with Main'), /direct chat with Main, not to any of your chat apps/);
});

test('zones are offered by city, and a typed city finds its zone', () => {
  assert.equal(zoneChoiceLabel('Europe/Berlin'), 'Berlin (Europe)');
  assert.equal(zoneChoiceLabel('America/Argentina/Buenos_Aires'), 'Buenos Aires (America, Argentina)');
  assert.equal(zoneChoiceLabel('Etc/UTC'), 'UTC');
  assert.equal(zoneForCity('Berlin'), 'Europe/Berlin');
  assert.equal(zoneForCity('new york'), 'America/New_York');
  assert.equal(zoneForCity('Atlantis'), null);
});

test('a key or password is told apart from a name', () => {
  for (const key of ['sk-proj-AbCdEf123456', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'xoxb-1234-5678', 'AKIAIOSFODNN7EXAMPLE',
    'AIzaSyA-1234567890abcdef', 'eyJhbGciOiJIUzI1NiJ9.e30.x', 'aB3dE5gH7jK9mN1pQ3sT5', '3f2a9c1e0b7d4e6fa8c2d1e0f9a8b7c6']) {
    assert.equal(looksLikeSecret(key), true, key);
  }
  for (const name of ['openai', 'mail-password', 'OPENAI_API_KEY', 'DATABASE_URL_2024_PRIMARY_REPLICA', 'db-pass', 'API_KEY', 'correct horse battery staple']) {
    assert.equal(looksLikeSecret(name), false, name);
  }
  assert.equal(variableName('openai'), 'OPENAI');
  assert.equal(variableName('mail-password'), 'MAIL_PASSWORD');
  assert.equal(variableName('2fa-codes'), '_2FA_CODES');
});

test("an address's suggested name leaves the friend's id out", () => {
  assert.equal(suggestedName('alice-writes', 'alice'), 'writes');
  assert.equal(suggestedName('web', 'alice'), 'web');
  assert.equal(suggestedName('alice', 'alice'), 'site');
  assert.equal(suggestedName('my-very-long-application-name', 'bob'), 'my-very-long-applica');
});

test("the overview's sentence: apps, the next message, and what needs the friend", () => {
  const up = { name: 'web', replicas: '1/1' };
  const pods = [{ app: 'web', status: 'Running', restarts: 0 }];
  const next = { name: 'tea', message: 'Time for tea', enabled: true, next_run: '2026-03-30T07:00:00Z' };
  const s = statusSentence({ deployments: [up], pods, crons: [next] });
  assert.match(s, /^Your app web is running, and your next scheduled message, "Time for tea", goes out .+; nothing needs you\.$/);
  const failing = statusSentence({ deployments: [{ name: 'web', replicas: '0/1' }], pods: [{ app: 'web', status: 'Failed', restarts: 5 }], crons: [] });
  assert.match(failing, /; needs you: web is not working/);
  assert.equal(statusSentence({ deployments: [], pods: [], crons: [] }), 'You have no apps yet, and no message is scheduled; nothing needs you.');
  assert.equal(statusSentence({ deployments: null, pods: [], crons: null }), '');
});

test('the checklist round trip keeps every other line in its place', () => {
  const text = '# Heartbeat\n\n- [ ] One\n- [x] Two\n* three\n';
  const lines = parseChecklist(text);
  assert.deepEqual(lines.filter((l) => l.item).map((l) => [l.done, l.text]), [[false, 'One'], [true, 'Two'], [false, 'three']]);
  assert.equal(checklistText(lines), '# Heartbeat\n\n- [ ] One\n- [x] Two\n- [ ] three\n');
  lines.splice(2, 1);
  lines.push({ item: true, done: false, text: '' });
  assert.equal(checklistText(lines), '# Heartbeat\n\n- [x] Two\n- [ ] three\n');
  assert.equal(checklistText([]), '');
});

test('the allowance comes to the first level only near a limit', () => {
  assert.equal(nearLimit({ hard: { pods: '20', 'limits.cpu': '4' }, used: { pods: '1', 'limits.cpu': '500m' } }), false);
  assert.equal(nearLimit({ hard: { pods: '20' }, used: { pods: '16' } }), true, '80 %');
  assert.equal(nearLimit({ hard: { 'limits.memory': '4Gi' }, used: { 'limits.memory': '3900Mi' } }), true);
  assert.equal(nearLimit({ hard: { 'services.nodeports': '0' }, used: { 'services.nodeports': '0' } }), false, 'a zero limit is not a limit reached');
  assert.equal(nearLimit(undefined), false);
});

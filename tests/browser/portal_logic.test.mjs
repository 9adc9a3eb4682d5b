// Unit tests for the portal page's pure modules (no browser needed):
//   node --test tests/browser/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCron, describeCron, nextRuns, explain, wallToInstant, gapEnd } from '../../portal-static/js/cron.js';
import { cronFromChoice, choiceFromCron } from '../../portal-static/js/cron-picker.js';
import { zoneLabel } from '../../portal-static/js/cron-times.js';
import { parseQuantity, usage, quotaWords } from '../../portal-static/js/quantity.js';
import { appState, podsOf, addressesOf } from '../../portal-static/js/apps.js';

const FROM = Date.UTC(2026, 2, 27, 12, 0); // Friday 2026-03-27 12:00 UTC
const iso = (dates) => dates.map((d) => d.toISOString());
const describe = (e) => describeCron(parseCron(e));

test('describes common schedules in plain language', () => {
  assert.equal(describe('0 9 * * 1-5'), 'At 09:00, Monday through Friday');
  assert.equal(describe('*/15 * * * *'), 'Every 15 minutes');
  assert.equal(describe('* * * * *'), 'Every minute');
  assert.equal(describe('0 0 1 * *'), 'At 00:00, on day 1 of the month');
  assert.equal(describe('0 9,17 * * *'), 'At 09:00 and 17:00');
  assert.equal(describe('5 4 * * sun'), 'At 04:05, only on Sunday');
  assert.equal(describe('0 0 * * 5-7'), 'At 00:00, Friday through Sunday');
  assert.equal(describe('0 12 * 6-8 6,0'), 'At 12:00, on Saturday and Sunday, June through August');
  assert.equal(describe('*/20 9-17 * * MON-FRI'), 'Every 20 minutes, between 09:00 and 17:59, Monday through Friday');
  assert.equal(describe('0 9 1 * 1'), 'At 09:00, on day 1 of the month or on Monday');
});

test('rejects malformed expressions with a readable message', () => {
  for (const [expr, re] of [
    ['0 9 * *', /5 fields/], ['0 0 9 * * * *', /6 with seconds/], ['0 ? * * *', /Hour: "\?"/], ['61 * * * *', /Minute: 61/], ['0 0 * foo *', /Month: "foo"/],
    ['5-1 * * * *', /backwards/], ['*/0 * * * *', /step/], ['1,,2 * * * *', /empty/], ['0 24 * * *', /Hour: 24/],
  ]) {
    const r = explain(expr, 'UTC');
    assert.equal(r.ok, false, expr);
    assert.match(r.error, re, expr);
  }
  assert.match(explain('0 9 * * *', 'Mars/Base').error, /time zone/);
});

test('next runs honour the time zone', () => {
  assert.deepEqual(iso(nextRuns(parseCron('0 9 * * 1-5'), 'Europe/Berlin', 3, FROM)),
    ['2026-03-30T07:00:00.000Z', '2026-03-31T07:00:00.000Z', '2026-04-01T07:00:00.000Z']);
  assert.deepEqual(iso(nextRuns(parseCron('0 9 * * *'), 'America/New_York', 2, FROM)),
    ['2026-03-27T13:00:00.000Z', '2026-03-28T13:00:00.000Z']);
  assert.deepEqual(iso(nextRuns(parseCron('*/15 * * * *'), 'UTC', 3, FROM)),
    ['2026-03-27T12:15:00.000Z', '2026-03-27T12:30:00.000Z', '2026-03-27T12:45:00.000Z']);
});

test('day-of-week 7 is Sunday, and dom/dow restricted together means either', () => {
  const sun7 = iso(nextRuns(parseCron('0 0 * * 7'), 'UTC', 2, FROM));
  const sun0 = iso(nextRuns(parseCron('0 0 * * 0'), 'UTC', 2, FROM));
  assert.deepEqual(sun7, sun0);
  assert.deepEqual(sun0, ['2026-03-29T00:00:00.000Z', '2026-04-05T00:00:00.000Z']);
  // 1st of the month OR Monday.
  assert.deepEqual(iso(nextRuns(parseCron('0 9 1 * 1'), 'UTC', 3, FROM)),
    ['2026-03-30T09:00:00.000Z', '2026-04-01T09:00:00.000Z', '2026-04-06T09:00:00.000Z']);
  // A '*'-led dom (here */2) keeps AND: odd days that are also Mondays.
  for (const d of nextRuns(parseCron('0 9 */2 * 1'), 'UTC', 3, FROM)) {
    assert.equal(d.getUTCDay(), 1);
    assert.equal(d.getUTCDate() % 2, 1);
  }
});

test('daylight saving as the server fires: a skipped time at the gap\'s end, a repeated one once', () => {
  // Europe/Berlin jumps 02:00 -> 03:00 on 2026-03-29: 02:30 fires at 03:00 CEST (01:00 UTC),
  // as host/src/scheduler/schedule.rs does (Vixie cron and systemd do the same).
  assert.deepEqual(iso(nextRuns(parseCron('30 2 * * *'), 'Europe/Berlin', 3, FROM)),
    ['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z']);
  assert.equal(wallToInstant(2026, 3, 29, 2, 30, 'Europe/Berlin'), null);
  assert.equal(new Date(gapEnd(2026, 3, 29, 2, 30, 'Europe/Berlin')).toISOString(), '2026-03-29T01:00:00.000Z');
  // Several skipped times and 03:00 itself collapse into that one firing.
  assert.deepEqual(iso(nextRuns(parseCron('*/30 2-3 * * *'), 'Europe/Berlin', 3, Date.UTC(2026, 2, 28, 12))),
    ['2026-03-29T01:00:00.000Z', '2026-03-29T01:30:00.000Z', '2026-03-30T00:00:00.000Z']);
  // ... and goes back 03:00 -> 02:00 on 2026-10-25: 02:30 happens twice, the first one counts.
  assert.deepEqual(iso(nextRuns(parseCron('30 2 * * *'), 'Europe/Berlin', 3, Date.UTC(2026, 9, 24, 0, 0))),
    ['2026-10-24T00:30:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
});

test('what the server accepts beyond Vixie cron: six fields, "?", ranges ending in SUN', () => {
  assert.deepEqual(iso(nextRuns(parseCron('*/20 * * * * *'), 'UTC', 3, FROM)),
    ['2026-03-27T12:00:20.000Z', '2026-03-27T12:00:40.000Z', '2026-03-27T12:01:00.000Z']);
  assert.equal(describe('*/20 * * * * *'), 'Every 20 seconds');
  assert.equal(describe('0 0 9 * * *'), 'At 09:00');
  assert.equal(describe('0 0 * * FRI-SUN'), 'At 00:00, Friday through Sunday');
  assert.deepEqual(iso(nextRuns(parseCron('0 0 ? * 1'), 'UTC', 1, FROM)), ['2026-03-30T00:00:00.000Z']);
  // '?' counts as unrestricted for the day rule, like '*': Mondays only, not "1st or Monday".
  assert.deepEqual(iso(nextRuns(parseCron('0 0 ? * 1'), 'UTC', 2, FROM)), iso(nextRuns(parseCron('0 0 * * 1'), 'UTC', 2, FROM)));
});

test('the schedule picker writes the simple forms and reads them back', () => {
  const at = { hour: 7, minute: 15 };
  assert.equal(cronFromChoice({ ...at, frequency: 'daily' }), '15 7 * * *');
  assert.equal(cronFromChoice({ ...at, frequency: 'weekdays' }), '15 7 * * 1-5');
  assert.equal(cronFromChoice({ ...at, frequency: 'weekly', days: [3, 1, 0] }), '15 7 * * 0,1,3');
  assert.equal(cronFromChoice({ ...at, frequency: 'weekly', days: [] }), null);
  assert.equal(cronFromChoice({ ...at, frequency: 'monthly', monthDay: 31 }), '15 7 31 * *');
  for (const expr of ['15 7 * * *', '15 7 * * 1-5', '15 7 * * 0,1,3', '15 7 31 * *']) {
    assert.equal(cronFromChoice(choiceFromCron(expr)), expr, expr);
  }
  assert.deepEqual(choiceFromCron('0 9 * * 7').days, [0]);
  for (const expr of ['*/5 * * * *', '0 9 * 6 *', '0 9 1 * 1', '0 0 9 * * *', '0 9 * * MON', '0 9-17 * * *', 'nonsense']) {
    assert.equal(choiceFromCron(expr), null, expr);
  }
});

test('time zones are labelled the way people say them', () => {
  assert.equal(zoneLabel('America/New_York'), 'New York time');
  assert.equal(zoneLabel('America/Argentina/Buenos_Aires'), 'Buenos Aires time');
  assert.equal(zoneLabel('UTC'), 'UTC');
  assert.equal(zoneLabel('Etc/UTC'), 'UTC');
});

test('rare and impossible dates', () => {
  assert.deepEqual(iso(nextRuns(parseCron('0 0 29 2 *'), 'UTC', 3, FROM)),
    ['2028-02-29T00:00:00.000Z', '2032-02-29T00:00:00.000Z', '2036-02-29T00:00:00.000Z']);
  assert.deepEqual(nextRuns(parseCron('0 0 31 2 *'), 'UTC', 3, FROM), []);
});

test('Kubernetes quantities', () => {
  assert.equal(parseQuantity('500m'), 0.5);
  assert.equal(parseQuantity('1Gi'), 2 ** 30);
  assert.equal(parseQuantity('100M'), 1e8);
  assert.equal(parseQuantity('4'), 4);
  assert.equal(parseQuantity('2e3'), 2000);
  assert.ok(Number.isNaN(parseQuantity('lots')));
  assert.deepEqual(usage('250m', '1'), { ratio: 0.25, percent: 25 });
  assert.equal(usage('900Mi', '1Gi').percent, 88);
  assert.equal(usage(undefined, '4').percent, 0);
});

test('quota lines in words', () => {
  assert.deepEqual(quotaWords('requests.memory', '268435456', '2Gi'), { label: 'Memory reserved', text: '256 MiB of 2 GiB' });
  assert.deepEqual(quotaWords('limits.cpu', '500m', '4'), { label: 'Processor at most', text: '0.5 of 4 cores' });
  assert.deepEqual(quotaWords('pods', undefined, '20'), { label: 'Copies of your apps running', text: '0 of 20' });
});

test("an app's state in words, its pods and its addresses", () => {
  const pods = [
    { name: 'web-5d8f7c9b4-abcde', app: 'web', status: 'Running', restarts: 0 },
    { name: 'web-api-6c7d8e9f0-fghij', app: 'web-api', status: 'Failed', restarts: 0 },
    { name: 'web-api-6c7d8e9f0-klmno', app: 'web-api', status: 'Running', restarts: 5 },
    { name: 'loose', app: null, status: 'Running', restarts: 0 },
  ];
  assert.deepEqual(podsOf('web', pods).map((p) => p.name), ['web-5d8f7c9b4-abcde']);
  assert.equal(podsOf('web-api', pods).length, 2);
  assert.equal(appState({ replicas: '1/1' }, podsOf('web', pods)), 'running');
  assert.equal(appState({ replicas: '0/2' }, podsOf('web-api', pods)), 'failing');
  assert.equal(appState({ replicas: '0/1' }, []), 'starting');
  assert.equal(appState({ replicas: '0/0' }, []), 'stopped');
  // An address belongs to the apps behind its Service, whatever the Service is called.
  const services = [{ name: 'frontend', apps: ['web'] }, { name: 'other', apps: [] }];
  const routes = [{ name: 'expose-blog', hostname: 'blog-alice.example.net', service: 'frontend' }, { hostname: 'x.example.net', service: 'other' }];
  assert.deepEqual(addressesOf('web', routes, services), ['https://blog-alice.example.net/']);
  assert.deepEqual(addressesOf('web-api', routes, services), []);
});

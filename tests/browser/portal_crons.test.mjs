// Scheduled messages through the page, as a friend does them, at 1280x900 and 390x844: the
// message is the title (its machine name is made from it and shown only under Advanced), the
// schedule picker (no cron syntax typed), a time zone chosen by city other than the browser's
// (the browser runs in Europe/Berlin), both times labelled, "Send to" chosen from the agent's
// conversations and saying where the message appears, editing a job, pausing it with the
// Active/Paused switch, running it, and its history saying plainly that the agent gets it once
// connected (no agent gateway is configured in these tests), not as the friend's failure.
// The server is asked after each step, so the page and the API are held to the same answer.
//
//   PORTAL_BIN=target/debug/portal node --test tests/browser/portal_crons.test.mjs
//
// Screenshots: crons-desktop-*, crons-phone-* in tests/browser/artifacts/.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shot, waitText } from './harness.mjs';
import { T, portal, usePortal, signIn, go, settled } from './portal_page.mjs';

usePortal();

const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

/** Hour:minute of an ISO instant on the wall clock of tz. */
const wall = (iso, tz) => new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));
const weekday = (iso, tz) => new Intl.DateTimeFormat('en-GB', { timeZone: tz, weekday: 'short' }).format(new Date(iso));

async function jobOf(s, name) {
  const jobs = await portal.must(200, 'GET', '/api/portal/workspace/crons', { token: s.token });
  const job = jobs.find((j) => j.name === name);
  assert.ok(job, `${name} in ${JSON.stringify(jobs)}`);
  return job;
}

/**
 * The whole journey for one friend at one size: create a weekday 07:15 job in New York with
 * the picker, see New York and Berlin times, change it to Monday/Wednesday 18:40 in Tokyo,
 * run it, and find the run in its history as waiting (queued).
 */
async function journey(friend, viewport, tag) {
  const s = await signIn(friend, { viewport });
  const { page, tid } = s;
  await go(s, 'crons');
  await settled(s, 'crons');
  await tid('crons-empty').waitFor();

  // The defaults: weekdays at 09:00 in the browser's zone (a choice, by city), sent to the
  // direct chat (this friend has no chat app on file), saying where it goes.
  assert.equal(await tid('cron-create-frequency').inputValue(), 'weekdays');
  assert.equal(await tid('cron-create-time').inputValue(), '09:00');
  assert.equal(await tid('cron-create-tz').inputValue(), 'Europe/Berlin');
  assert.equal(await tid('cron-create-tz').evaluate((el) => el.tagName), 'SELECT');
  assert.equal(await tid('cron-create-tz').locator('option:checked').innerText(), 'Berlin (Europe)');
  assert.equal(await tid('cron-create-session').inputValue(), `agent:main:direct:channel:${friend}`);
  assert.equal(await tid('cron-create-session').locator('option:checked').innerText(), 'Direct chat with Main Agent');
  assert.match(await tid('cron-create-where').innerText(), /not to any of your chat apps/);
  assert.equal(await tid('cron-create-expr').isVisible(), false, 'cron syntax stays under Advanced');
  assert.equal(await tid('cron-create-name').isVisible(), false, 'the machine name stays under Advanced');

  // A weekday job at 07:15 New York time, chosen with the picker. The message is all it takes.
  await page.getByLabel('Message', { exact: true }).fill('Send me the morning news');
  await page.getByLabel('How often').selectOption('daily');
  await page.getByLabel('How often').selectOption('weekdays');
  await page.getByLabel('At what time').fill('07:15');
  await page.getByLabel('Time zone').selectOption({ label: 'New York (America)' });
  await waitText(tid('cron-create-description'), /^At 07:15, Monday through Friday, New York time$/);
  const first = tid('cron-create-next-run-0');
  assert.match(await first.innerText(), /07:15/);
  // 07:15 in New York is 13:15 in Berlin (12:15 for the weeks their clocks change apart).
  assert.match(await tid('cron-create-next-run-0-yours').innerText(), /\((1[23]:15) your time\)/);
  await shot(page, `crons-${tag}-form`);
  await page.getByRole('button', { name: 'Create schedule' }).click();

  // Its machine name was made from the message; the row is titled by the message.
  await tid('cron-row-send-me-the-morning-news').waitFor();
  const NAME = 'send-me-the-morning-news';
  assert.equal(await tid(`cron-title-${NAME}`).innerText(), 'Send me the morning news');
  assert.doesNotMatch(await tid(`cron-row-${NAME}`).innerText(), /send-me-the-morning-news/);
  let job = await jobOf(s, NAME);
  assert.equal(job.cron, '15 7 * * 1-5');
  assert.equal(job.tz, 'America/New_York');
  assert.equal(job.session, `agent:main:direct:channel:${friend}`);
  assert.equal(wall(job.next_run, 'America/New_York'), '07:15');
  assert.ok(!['Sat', 'Sun'].includes(weekday(job.next_run, 'America/New_York')), job.next_run);
  // The row: the schedule in words with its zone, the next time in both zones, labelled.
  assert.equal(await tid(`cron-description-${NAME}`).innerText(), 'At 07:15, Monday through Friday, New York time');
  const next = tid(`cron-next-run-${NAME}`);
  assert.equal(Date.parse(await next.locator('time').getAttribute('datetime')), Date.parse(job.next_run));
  assert.match(await next.innerText(), /07:15 New York time \((1[23]:15|.+, 1[23]:15) your time\)/);
  assert.equal(await tid(`cron-session-${NAME}`).innerText(), 'Direct chat with Main Agent');

  // Change it: Mondays and Wednesdays at 18:40, Tokyo time. The form opens on the job's values.
  await tid(`cron-change-${NAME}`).click();
  await tid('cron-edit-form').waitFor();
  assert.equal(await tid('cron-edit-frequency').inputValue(), 'weekdays');
  assert.equal(await tid('cron-edit-time').inputValue(), '07:15');
  assert.equal(await tid('cron-edit-tz').inputValue(), 'America/New_York');
  await tid('cron-edit-frequency').selectOption('weekly');
  for (const d of [2, 4, 5]) await tid(`cron-edit-day-${d}`).uncheck();
  await tid('cron-edit-time').fill('18:40');
  await tid('cron-edit-tz').selectOption({ label: 'Tokyo (Asia)' });
  await tid('cron-edit-message').fill('Evening summary, please');
  await waitText(tid('cron-edit-description'), /^At 18:40, on Monday and Wednesday, Tokyo time$/);
  await shot(page, `crons-${tag}-edit`);
  await tid('cron-edit-submit').click();
  await waitText(tid(`cron-description-${NAME}`), /^At 18:40, on Monday and Wednesday, Tokyo time$/);
  job = await jobOf(s, NAME);
  assert.equal(job.cron, '40 18 * * 1,3');
  assert.equal(job.tz, 'Asia/Tokyo');
  assert.equal(job.message, 'Evening summary, please');
  assert.equal(wall(job.next_run, 'Asia/Tokyo'), '18:40', 'the next run was worked out again');
  assert.ok(['Mon', 'Wed'].includes(weekday(job.next_run, 'Asia/Tokyo')), job.next_run);
  assert.equal(Date.parse(await tid(`cron-next-run-${NAME}`).locator('time').getAttribute('datetime')), Date.parse(job.next_run));
  assert.equal(await tid('cron-edit-form').count(), 0, 'the form closes after saving');

  // Pausing is called pausing: a switch reading Active, then Paused; the API agrees, and the
  // history says so. Switching it back makes it Active again.
  const toggle = page.getByRole('switch', { name: 'Active' });
  assert.equal(await toggle.getAttribute('aria-checked'), 'true');
  assert.equal(await toggle.innerText(), 'Active');
  await toggle.click();
  await waitText(tid(`cron-toggle-${NAME}`), /^Paused$/);
  assert.equal(await tid(`cron-toggle-${NAME}`).getAttribute('aria-checked'), 'false');
  assert.equal((await jobOf(s, NAME)).enabled, false);
  assert.match(await tid(`cron-next-run-${NAME}`).innerText(), /paused/);
  await tid(`cron-history-${NAME}`).locator('summary').click();
  await waitText(tid(`cron-runs-paused-${NAME}`), /Paused: nothing is sent until you switch it back to Active/);
  await tid(`cron-history-${NAME}`).locator('summary').click();
  await tid(`cron-toggle-${NAME}`).click();
  await waitText(tid(`cron-toggle-${NAME}`), /^Active$/);
  assert.equal((await jobOf(s, NAME)).enabled, true);

  // Run it now; without a gateway the run waits in the portal. That is not the friend's
  // failure: the history says plainly that the agent gets it once connected, with no alarm.
  await page.getByRole('button', { name: 'Run now' }).click();
  await waitText(tid(`cron-last-run-${NAME}`), /your agent gets it once it is connected/, 20_000);
  assert.equal(await tid(`cron-last-run-${NAME}`).locator('.chip-bad, .chip-warn, .field-error').count(), 0);
  const runs = tid(`cron-runs-${NAME}`);
  await runs.locator('[data-testid="cron-run-item-0"]').waitFor();
  assert.equal(await tid(`cron-history-${NAME}`).getAttribute('open'), '');
  const item = await runs.locator('[data-testid="cron-run-item-0"]').innerText();
  assert.match(item, /your agent gets it once it is connected/);
  assert.doesNotMatch(item, /fail|error|not delivered/i);
  assert.match(item, /Tokyo time/);
  assert.match(item, /sent by hand/);
  // One time on the line, not the same time twice.
  assert.equal(await runs.locator('[data-testid="cron-run-item-0"] time').count(), 1, item);
  const [run] = await portal.must(200, 'GET', `/api/portal/workspace/crons/${NAME}/runs`, { token: s.token });
  assert.equal(run.status, 'queued');
  assert.equal(run.trigger, 'manual');
  await shot(page, `crons-${tag}-history`);

  // Nothing scrolls sideways, whatever the width.
  const widths = await page.evaluate(() => ({ doc: document.documentElement.scrollWidth, win: window.innerWidth }));
  assert.ok(widths.doc <= widths.win, `the page scrolls sideways: ${JSON.stringify(widths)}`);
  await s.close();
}

test('crons at 1280x900: create with the picker in another zone, edit, run, history', T, () => journey('alice', DESKTOP, 'desktop'));

test('crons at 390x844: the same journey on a phone', T, () => journey('bob', PHONE, 'phone'));

test('crons: advanced cron text, plain errors next to their fields, delete asks first', T, async () => {
  const s = await signIn('carol');
  const { page, tid } = s;
  await go(s, 'crons');
  await settled(s, 'crons');

  // Advanced: the cron text drives the picker, and what it cannot show is "Custom".
  await tid('cron-create-advanced').locator('summary').click();
  await tid('cron-create-expr').fill('61 * * * *');
  await waitText(tid('cron-create-expr-error'), /Minute: 61 is outside 0–59/);
  // The preview keeps being useful: it says why the schedule is not valid.
  await waitText(tid('cron-create-description'), /Not a valid schedule yet: Minute: 61 is outside 0–59/);
  await tid('cron-create-expr').fill('0 8 1 * *');
  assert.equal(await tid('cron-create-frequency').inputValue(), 'monthly');
  assert.equal(await tid('cron-create-monthday').inputValue(), '1');
  await tid('cron-create-expr').fill('*/30 9-17 * * FRI-SUN');
  assert.equal(await tid('cron-create-frequency').inputValue(), 'custom');
  await waitText(tid('cron-create-description'), /^Every 30 minutes, between 09:00 and 17:59, Friday through Sunday, Berlin time$/);
  // A city typed as the hint suggests finds its zone: from New York, typing "Berlin".
  await tid('cron-create-tz').selectOption('America/New_York');
  await tid('cron-create-tz').focus();
  await page.keyboard.type('Berlin');
  assert.equal(await tid('cron-create-tz').inputValue(), 'Europe/Berlin');

  // A weekly choice with no day is caught by the page, next to the days.
  await tid('cron-create-frequency').selectOption('weekly');
  for (const d of [1, 2, 3, 4, 5]) await tid(`cron-create-day-${d}`).uncheck();
  await tid('cron-create-name-advanced').locator('summary').click();
  await tid('cron-create-name').fill('tea-time');
  await tid('cron-create-message').fill('Time for green tea');
  await tid('cron-create-submit').click();
  await waitText(tid('cron-create-days-error'), /Choose at least one day/);
  await tid('cron-create-day-0').check();
  await tid('cron-create-submit').click();
  await tid('cron-row-tea-time').waitFor();
  assert.equal((await jobOf(s, 'tea-time')).cron, '0 8 * * 0');

  // The server's refusal of a taken name lands next to the name, in words; the code and the
  // request id of other failures stay folded under "Details".
  s.allow(/Failed to load resource.*409/);
  if (!(await tid('cron-create-name').isVisible())) await tid('cron-create-name-advanced').locator('summary').click();
  await tid('cron-create-name').fill('tea-time');
  await tid('cron-create-message').fill('Again');
  await tid('cron-create-submit').click();
  await waitText(tid('cron-create-name-error'), /You already have a schedule with this short name/);

  // Delete asks first; cancelling keeps the job, confirming removes it.
  await tid('cron-delete-tea-time').click();
  await tid('confirm-dialog').waitFor();
  assert.match(await tid('confirm-dialog').innerText(), /Time for green tea/);
  await tid('confirm-cancel').click();
  await jobOf(s, 'tea-time');
  await tid('cron-delete-tea-time').click();
  await tid('confirm-ok').click();
  await tid('crons-empty').waitFor();
  const left = await portal.must(200, 'GET', '/api/portal/workspace/crons', { token: s.token });
  assert.deepEqual(left, []);
  await shot(page, 'crons-advanced');
  await s.close();
});

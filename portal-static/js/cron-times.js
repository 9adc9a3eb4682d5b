// Times of scheduled messages as a person reads them: in the job's time zone, labelled with it
// ("Mon 30 Nov, 09:00 New York time"), and in the browser's own zone as "your time" whenever
// that reads differently. A bare time without its zone is what made rows look contradictory.

import { h } from './dom.js';

/** The browser's IANA zone (the default for new jobs). */
export function localZone() {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'; } catch { return 'UTC'; }
}

/** Every IANA zone name the browser knows, for the searchable zone field. */
export function zoneList() {
  try { return Intl.supportedValuesOf('timeZone'); } catch { return ['UTC', 'Europe/Berlin', 'Europe/London', 'America/New_York', 'Asia/Tokyo']; }
}

/** "America/New_York" -> "New York time"; "UTC" -> "UTC". */
export function zoneLabel(tz) {
  const name = String(tz || 'UTC');
  if (/^(Etc\/)?(UTC|GMT|UCT|Zulu|Universal)$/i.test(name)) return 'UTC';
  const city = name.split('/').pop().replace(/_/g, ' ');
  return `${city} time`;
}

const formats = new Map();
function formatter(tz, part) {
  const key = `${tz}|${part}`;
  let f = formats.get(key);
  if (!f) {
    const opts = { timeZone: tz };
    if (part !== 'day') Object.assign(opts, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    if (part !== 'time') Object.assign(opts, { weekday: 'short', day: 'numeric', month: 'short' });
    f = new Intl.DateTimeFormat(undefined, opts);
    formats.set(key, f);
  }
  return f;
}

/** `date` on the wall clock of tz: part 'both' ("Mon 30 Nov, 09:00"), 'day' or 'time'. */
export function wallText(date, tz, part = 'both') {
  return formatter(tz, part).format(date);
}

/**
 * A <time> in the job's zone, labelled, and "your time" beside it when the browser's clock
 * shows it differently (just the time when the day is the same). `testid` goes on the
 * <time>, `<testid>-yours` on the "your time" part.
 */
export function timeInZone(date, tz, { testid } = {}) {
  const d = date instanceof Date ? date : new Date(date);
  if (Number.isNaN(d.getTime())) return h('span', { class: 'muted' }, '—');
  const mine = localZone();
  const theirs = wallText(d, tz);
  const yours = wallText(d, mine);
  const sameDay = wallText(d, tz, 'day') === wallText(d, mine, 'day');
  return h('span', { class: 'zoned-time' },
    h('time', { datetime: d.toISOString(), testid }, theirs),
    ' ', h('span', { class: 'zone-label' }, zoneLabel(tz)),
    yours !== theirs
      ? h('span', { class: 'muted your-time', testid: testid ? `${testid}-yours` : null },
        ` (${sameDay ? wallText(d, mine, 'time') : yours} your time)`)
      : null);
}

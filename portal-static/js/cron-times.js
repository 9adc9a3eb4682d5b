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

/** "America/Argentina/Buenos_Aires" -> "Buenos Aires (America, Argentina)": city first. */
export function zoneChoiceLabel(tz) {
  const name = String(tz || 'UTC');
  if (/^(Etc\/)?(UTC|GMT|UCT|Zulu|Universal)$/i.test(name)) return 'UTC';
  const parts = name.split('/');
  const city = parts.pop().replace(/_/g, ' ');
  return parts.length ? `${city} (${parts.join(', ').replace(/_/g, ' ')})` : city;
}

/**
 * The zones as choices, by city: [{value, label}], with `current` among them even when the
 * browser does not list it (an alias such as Asia/Calcutta).
 */
export function zoneChoices(current) {
  const zones = new Set(zoneList());
  if (current) zones.add(current);
  return [...zones]
    .map((value) => ({ value, label: zoneChoiceLabel(value) }))
    .sort((a, b) => a.label.localeCompare(b.label));
}

/** A zone from a city as a person types it ("berlin", "New York"), or null. */
export function zoneForCity(text) {
  const want = String(text || '').trim().toLowerCase().replace(/\s+/g, '_');
  if (!want) return null;
  const zones = zoneList();
  return zones.find((z) => z.toLowerCase() === want)
    || zones.find((z) => z.split('/').pop().toLowerCase() === want)
    || null;
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

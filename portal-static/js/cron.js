// Cron expressions as the server accepts them (host/src/scheduler/schedule.rs): five fields
// (minute hour day-of-month month day-of-week) or six (second first); lists (1,15), ranges
// (1-5), steps (*/10, 8-18/2, 5/15 meaning 5-max/15), names (JAN-DEC, SUN-SAT, any case),
// day-of-week 0 and 7 both Sunday, SUN ending a range meaning 7 (FRI-SUN), '?' in the two day
// fields meaning '*'; when both day fields are restricted (neither starts with '*' or '?') a
// day matches if EITHER matches (Vixie cron). Pure functions, no DOM: usable from node for tests.

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
export const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July',
  'August', 'September', 'October', 'November', 'December'];
export const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const SECOND = { key: 'second', label: 'Second', min: 0, max: 59 };
const FIELDS = [
  { key: 'minute', label: 'Minute', min: 0, max: 59 },
  { key: 'hour', label: 'Hour', min: 0, max: 23 },
  { key: 'dom', label: 'Day of month', min: 1, max: 31, day: true },
  { key: 'month', label: 'Month', min: 1, max: 12, names: MONTHS, nameBase: 1 },
  { key: 'dow', label: 'Day of week', min: 0, max: 7, names: DAYS, nameBase: 0, day: true },
];

export class CronError extends Error {
  constructor(message) {
    super(message);
    this.name = 'CronError';
  }
}

/** One value: a number in range or a name; `rangeEnd` makes SUN mean 7 (so FRI-SUN works). */
function value(tok, f, rangeEnd = false) {
  if (/^\d+$/.test(tok)) {
    const n = Number(tok);
    if (n < f.min || n > f.max) throw new CronError(`${f.label}: ${n} is outside ${f.min}–${f.max}.`);
    return n;
  }
  if (f.names) {
    const idx = f.names.indexOf(tok.toLowerCase());
    if (idx >= 0) return rangeEnd && f.key === 'dow' && idx === 0 ? 7 : idx + f.nameBase;
    throw new CronError(`${f.label}: "${tok}" is not a number or a known name (${f.names.join(', ').toUpperCase()}).`);
  }
  throw new CronError(`${f.label}: "${tok}" is not a number.`);
}

function parseField(src, f) {
  const set = new Set();
  const isStar = (r) => r === '*' || (f.day && r === '?');
  if (!f.day && src.includes('?')) throw new CronError(`${f.label}: "?" is only allowed in the two day fields.`);
  for (const item of src.split(',')) {
    if (item === '') throw new CronError(`${f.label}: empty entry in "${src}".`);
    const parts = item.split('/');
    if (parts.length > 2) throw new CronError(`${f.label}: "${item}" has more than one "/".`);
    const [range, stepSrc] = parts;
    let lo;
    let hi;
    if (isStar(range)) {
      lo = f.min;
      hi = f.max;
    } else if (range.includes('-')) {
      const bounds = range.split('-');
      if (bounds.length !== 2 || !bounds[0] || !bounds[1]) throw new CronError(`${f.label}: "${range}" is not a valid range.`);
      lo = value(bounds[0], f);
      hi = value(bounds[1], f, true);
      if (lo > hi) throw new CronError(`${f.label}: range "${range}" runs backwards; write it as a list instead.`);
    } else {
      lo = value(range, f);
      hi = stepSrc !== undefined ? f.max : lo;
    }
    let step = 1;
    if (stepSrc !== undefined) {
      if (!/^\d+$/.test(stepSrc) || Number(stepSrc) === 0) throw new CronError(`${f.label}: step "${stepSrc}" must be a whole number of at least 1.`);
      step = Number(stepSrc);
    }
    for (let v = lo; v <= hi; v += step) set.add(v);
  }
  return set;
}

/** Parses an expression; throws CronError with a message fit to show the user. */
export function parseCron(expr) {
  const parts = String(expr || '').trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) throw new CronError('Enter a schedule: minute hour day-of-month month day-of-week, e.g. "0 9 * * 1-5".');
  if (parts.length !== 5 && parts.length !== 6) {
    throw new CronError(`A schedule has 5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first; this one has ${parts.length}.`);
  }
  const fields = parts.length === 6 ? parts.slice(1) : parts;
  const c = { source: fields, second: parseField(parts.length === 6 ? parts[0] : '0', SECOND) };
  FIELDS.forEach((f, idx) => { c[f.key] = parseField(fields[idx], f); });
  if (c.dow.has(7)) { c.dow.delete(7); c.dow.add(0); }
  c.secondSource = parts.length === 6 ? parts[0] : '0';
  c.domStar = /^[*?]/.test(fields[2]);
  c.dowStar = /^[*?]/.test(fields[4]);
  return c;
}

export function dayMatches(c, y, m, d) {
  const dow = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  const domOk = c.dom.has(d);
  const dowOk = c.dow.has(dow);
  return c.domStar || c.dowStar ? domOk && dowOk : domOk || dowOk;
}

// --- time zones -----------------------------------------------------------------------------

const formatters = new Map();
function partsFormatter(tz) {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
      hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** True when the runtime knows the IANA zone name. */
export function isValidTimeZone(tz) {
  if (!tz || typeof tz !== 'string') return false;
  try {
    partsFormatter(tz);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock fields of instant t (ms) in zone tz. */
export function wallAt(t, tz) {
  const p = {};
  for (const { type, value: v } of partsFormatter(tz).formatToParts(new Date(t))) p[type] = v;
  return { y: Number(p.year), mo: Number(p.month), d: Number(p.day), h: Number(p.hour) % 24, mi: Number(p.minute), s: Number(p.second) };
}

function offsetAt(t, tz) {
  const w = wallAt(t, tz);
  return Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s) - Math.floor(t / 1000) * 1000;
}

/**
 * The instant (ms) at which the wall clock in tz shows y-mo-d h:mi:s, the earlier one when the
 * time occurs twice (DST ends), or null when it never occurs (DST starts: the skipped hour).
 */
export function wallToInstant(y, mo, d, h, mi, tz, s = 0) {
  const target = Date.UTC(y, mo - 1, d, h, mi, s);
  const offsets = new Set([offsetAt(target, tz), offsetAt(target - 43200000, tz), offsetAt(target + 43200000, tz)]);
  let best = null;
  for (const o of offsets) {
    const t = target - o;
    if (offsetAt(t, tz) === o && (best === null || t < best)) best = t;
  }
  return best;
}

/**
 * The first instant after the spring-forward gap that swallowed the wall time y-mo-d h:mi:s
 * in tz: when the server fires such a time (03:00 CEST for 02:30 in Berlin on the night the
 * clocks go forward). Found by halving the second-granular span between the two offsets.
 */
export function gapEnd(y, mo, d, h, mi, tz, s = 0) {
  const target = Date.UTC(y, mo - 1, d, h, mi, s);
  const before = offsetAt(target - 43200000, tz);
  const after = offsetAt(target + 43200000, tz);
  let lo = (target - Math.max(before, after)) / 1000;
  let hi = (target - Math.min(before, after)) / 1000;
  const reached = (sec) => sec * 1000 + offsetAt(sec * 1000, tz) >= target;
  if (reached(lo) || !reached(hi)) return null;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (reached(mid)) hi = mid; else lo = mid;
  }
  return hi * 1000;
}

/**
 * The next `count` fire times (Date objects) strictly after `from` (ms), in zone tz, as the
 * server computes them: a time in a spring-forward gap fires at the gap's end (several such
 * times collapse into that one firing), a time repeated by a fall-back fires at its first
 * occurrence. Looks 12 years ahead at most (three Feb 29ths); an expression that never fires
 * (e.g. "0 0 31 2 *") gives [].
 */
export function nextRuns(c, tz, count = 3, from = Date.now()) {
  const start = Math.floor(from / 1000) * 1000 + 1000;
  const w = wallAt(start, tz);
  const hours = sorted(c.hour);
  const minutes = sorted(c.minute);
  const seconds = sorted(c.second || new Set([0]));
  const out = [];
  let day = Date.UTC(w.y, w.mo - 1, w.d);
  for (let n = 0; n < 366 * 12 && out.length < count; n += 1, day += 86400000) {
    const dt = new Date(day);
    const y = dt.getUTCFullYear();
    const mo = dt.getUTCMonth() + 1;
    const d = dt.getUTCDate();
    if (!c.month.has(mo) || !dayMatches(c, y, mo, d)) continue;
    for (const h of hours) {
      if (n === 0 && h < w.h) continue;
      for (const mi of minutes) {
        if (n === 0 && h === w.h && mi < w.mi) continue;
        for (const s of seconds) {
          if (n === 0 && h === w.h && mi === w.mi && s < w.s) continue;
          const t = wallToInstant(y, mo, d, h, mi, tz, s) ?? gapEnd(y, mo, d, h, mi, tz, s);
          if (t === null || t < start) continue;
          if (out.length && out[out.length - 1].getTime() >= t) continue; // collapsed into one
          out.push(new Date(t));
          if (out.length >= count) return out;
        }
      }
    }
  }
  return out;
}

// --- plain-language description -------------------------------------------------------------

const pad = (n) => String(n).padStart(2, '0');
const hhmm = (h, m) => `${pad(h)}:${pad(m)}`;
const sorted = (set) => [...set].sort((a, b) => a - b);

export function joinList(items, word = 'and') {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${word} ${items[items.length - 1]}`;
}

function ordinal(n) {
  const s = n % 100;
  if (s >= 11 && s <= 13) return `${n}th`;
  return `${n}${({ 1: 'st', 2: 'nd', 3: 'rd' })[n % 10] || 'th'}`;
}

const stepOf = (src) => {
  const m = src.match(/^\*\/(\d+)$/);
  return m ? Number(m[1]) : 0;
};

/** [a..b] runs of consecutive numbers. */
function runs(values) {
  const out = [];
  for (const v of values) {
    const last = out[out.length - 1];
    if (last && v === last[1] + 1) last[1] = v;
    else out.push([v, v]);
  }
  return out;
}

/** Names of a set, collapsing runs of 3+ into "A through B". */
function namedRuns(values, names) {
  return runs(values).flatMap(([a, b]) => {
    if (b - a >= 2) return [`${names(a)} through ${names(b)}`];
    return a === b ? [names(a)] : [names(a), names(b)];
  });
}

function timePhrase(c) {
  const [mSrc, hSrc] = c.source;
  const mins = sorted(c.minute);
  const hrs = sorted(c.hour);
  const mStep = stepOf(mSrc);
  const hStep = stepOf(hSrc);
  if (mins.length === 60 && hrs.length === 24) return 'Every minute';
  if (mSrc !== '*' && hSrc !== '*' && mins.length * hrs.length <= 6) {
    return `At ${joinList(hrs.flatMap((h) => mins.map((m) => hhmm(h, m))))}`;
  }
  let mp;
  if (mins.length === 60) mp = 'Every minute';
  else if (mStep) mp = `Every ${mStep} minutes`;
  else if (mins.length === 1) mp = `At minute ${mins[0]}`;
  else {
    const r = runs(mins);
    mp = r.length === 1 ? `Every minute from minute ${r[0][0]} through ${r[0][1]}` : `At minutes ${joinList(mins.map(String))}`;
  }
  const pointLike = mp.startsWith('At ');
  if (hrs.length === 24) return pointLike ? `${mp} past every hour` : mp;
  if (hStep) return `${mp} ${pointLike ? 'past' : 'of'} every ${ordinal(hStep)} hour`;
  const r = runs(hrs);
  if (r.length === 1) return `${mp}, between ${hhmm(r[0][0], 0)} and ${hhmm(r[0][1], 59)}`;
  return `${mp}, during the hours starting at ${joinList(hrs.map((h) => hhmm(h, 0)))}`;
}

function domPhrase(c) {
  const src = c.source[2];
  const step = stepOf(src);
  if (step) return `every ${ordinal(step)} day of the month`;
  const days = sorted(c.dom);
  if (days.length === 1) return `on day ${days[0]} of the month`;
  const r = runs(days);
  if (r.length === 1) return `on days ${r[0][0]} through ${r[0][1]} of the month`;
  return `on days ${joinList(days.map(String))} of the month`;
}

function dowPhrase(c, alone) {
  // Monday first, Sunday last, so that "Friday through Sunday" reads as one run.
  const order = sorted(c.dow).map((d) => (d === 0 ? 7 : d)).sort((a, b) => a - b);
  const names = namedRuns(order, (d) => DAY_NAMES[d % 7]);
  if (names.length === 1 && !names[0].includes(' through ')) return `${alone ? 'only ' : ''}on ${names[0]}`;
  if (names.length === 1) return names[0];
  return `on ${joinList(names)}`;
}

function monthPhrase(c) {
  const names = namedRuns(sorted(c.month), (m) => MONTH_NAMES[m - 1]);
  if (names.length === 1 && !names[0].includes(' through ')) return `only in ${names[0]}`;
  if (names.length === 1) return names[0];
  return `in ${joinList(names)}`;
}

/** The seconds of a six-field schedule, when they are not just second 0. */
function secondPhrase(c) {
  const secs = sorted(c.second || new Set([0]));
  if (secs.length === 1 && secs[0] === 0) return '';
  if (secs.length === 60) return 'every second';
  const step = stepOf(c.secondSource || '');
  if (step) return `every ${step} seconds`;
  return `at second${secs.length > 1 ? 's' : ''} ${joinList(secs.map(String))}`;
}

/** "0 9 * * 1-5" -> "At 09:00, Monday through Friday". Takes a parsed expression. */
export function describeCron(c) {
  const time = timePhrase(c);
  const secs = secondPhrase(c);
  let first = time;
  if (secs && time === 'Every minute') first = `${secs[0].toUpperCase()}${secs.slice(1)}${secs.startsWith('at') ? ' of every minute' : ''}`;
  else if (secs) first = `${time}, ${secs}`;
  const out = [first];
  const domAll = c.dom.size === 31;
  const dowAll = c.dow.size === 7;
  if (!c.domStar && !c.dowStar) {
    out.push(`${domPhrase(c)} or ${dowPhrase(c, false)}`);
  } else {
    if (!domAll) out.push(domPhrase(c));
    if (!dowAll) out.push(dowPhrase(c, true));
  }
  if (c.month.size !== 12) out.push(monthPhrase(c));
  return out.join(', ');
}

/** Convenience for the UI: {ok, description, next, error}. */
export function explain(expr, tz, count = 3, from = Date.now()) {
  try {
    const c = parseCron(expr);
    if (!isValidTimeZone(tz)) {
      return { ok: false, description: describeCron(c), next: [], error: `"${tz}" is not a time zone this browser knows (use an IANA name such as Europe/Berlin).` };
    }
    return { ok: true, description: describeCron(c), next: nextRuns(c, tz, count, from), error: null };
  } catch (e) {
    if (e instanceof CronError) return { ok: false, description: '', next: [], error: e.message };
    throw e;
  }
}

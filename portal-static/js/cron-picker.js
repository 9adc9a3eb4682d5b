// The schedule picker: a few plain choices (every day, weekdays, weekly on chosen days, monthly
// on one day) at a time of day, and the raw cron expression under "Advanced". The expression is
// the one source of truth: the choices write it, and it is read back into them whenever it is
// one of the simple forms; anything else shows as "Custom" and is edited under Advanced.

import { h, field, uid } from './dom.js';
import { DAY_NAMES } from './cron.js';

export const FREQUENCIES = [
  ['daily', 'Every day'],
  ['weekdays', 'Weekdays (Monday to Friday)'],
  ['weekly', 'Every week, on chosen days'],
  ['monthly', 'Every month, on one day'],
  ['custom', 'Custom (see Advanced)'],
];

/** Monday first, as most calendars a friend reads; values are cron's (0 = Sunday). */
const WEEK = [1, 2, 3, 4, 5, 6, 0];

const int = (s, lo, hi) => (/^\d{1,2}$/.test(s) && Number(s) >= lo && Number(s) <= hi ? Number(s) : null);

/**
 * A choice {frequency, hour, minute, days, monthDay} as a five-field expression, or null when
 * the choice is incomplete (no day ticked for a weekly schedule).
 */
export function cronFromChoice({ frequency, hour, minute, days = [], monthDay = 1 }) {
  const at = `${minute} ${hour}`;
  switch (frequency) {
    case 'daily': return `${at} * * *`;
    case 'weekdays': return `${at} * * 1-5`;
    case 'weekly': {
      const picked = [...new Set(days)].sort((a, b) => a - b);
      return picked.length ? `${at} * * ${picked.join(',')}` : null;
    }
    case 'monthly': return `${at} ${monthDay} * *`;
    default: return null;
  }
}

/** The choice an expression stands for, or null when it is not one of the simple forms. */
export function choiceFromCron(expr) {
  const parts = String(expr || '').trim().split(/\s+/);
  if (parts.length !== 5) return null;
  const [m, hr, dom, month, dow] = parts;
  const minute = int(m, 0, 59);
  const hour = int(hr, 0, 23);
  if (minute === null || hour === null || month !== '*') return null;
  const base = { hour, minute, days: [], monthDay: 1 };
  if (dom === '*' && dow === '*') return { ...base, frequency: 'daily' };
  if (dom === '*' && dow === '1-5') return { ...base, frequency: 'weekdays' };
  if (dom === '*' && /^[0-7](,[0-7])*$/.test(dow)) {
    return { ...base, frequency: 'weekly', days: [...new Set(dow.split(',').map((d) => Number(d) % 7))] };
  }
  const day = int(dom, 1, 31);
  if (day !== null && dow === '*') return { ...base, frequency: 'monthly', monthDay: day };
  return null;
}

const pad = (n) => String(n).padStart(2, '0');

/**
 * The picker's controls. `prefix` names the test ids (<prefix>-frequency, -time, -day-<0..6>,
 * -monthday, -advanced, -expr). Returns {wrap, expr, exprField, focusFirst(), onChange(fn)}:
 * `expr` is the input whose value is the schedule sent to the server.
 */
export function schedulePicker({ prefix, initial = '0 9 * * 1-5' }) {
  const frequency = h('select', { testid: `${prefix}-frequency` },
    FREQUENCIES.map(([value, label]) => h('option', { value }, label)));
  const time = h('input', { type: 'time', required: true, step: '60', testid: `${prefix}-time` });
  const dayBoxes = WEEK.map((d) => h('input', { type: 'checkbox', value: String(d), testid: `${prefix}-day-${d}` }));
  const days = h('fieldset', { class: 'day-picker' },
    h('legend', {}, 'On these days'),
    WEEK.map((d, i) => h('label', { class: 'day-choice' }, dayBoxes[i], h('span', {}, DAY_NAMES[d].slice(0, 3)))));
  const monthDay = h('input', { type: 'number', min: '1', max: '31', step: '1', inputmode: 'numeric', testid: `${prefix}-monthday` });
  const expr = h('input', {
    type: 'text', required: true, autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', class: 'mono', testid: `${prefix}-expr`,
  });
  const listeners = [];
  const changed = () => listeners.forEach((fn) => fn());

  const fFrequency = field({ label: 'How often', control: frequency });
  const fTime = field({ label: 'At what time', control: time });
  const fMonthDay = field({ label: 'Day of the month', control: monthDay, hint: 'Months without this day (such as the 31st in April) are skipped.' });
  const fExpr = field({
    label: 'Cron schedule', control: expr,
    hint: '5 fields: minute hour day-of-month month day-of-week (or 6, with seconds first). Example: "0 9 * * 1-5" is weekdays at 09:00.',
  });
  const daysError = h('p', { class: 'field-error', hidden: true, id: uid('days-error'), testid: `${prefix}-days-error` });
  const advanced = h('details', { class: 'advanced', testid: `${prefix}-advanced` },
    h('summary', {}, 'Advanced: write the schedule in cron syntax'), fExpr.wrap);

  /** Shows the controls the chosen frequency needs. */
  function showFor(freq) {
    const custom = freq === 'custom';
    fTime.wrap.hidden = custom;
    days.hidden = freq !== 'weekly';
    daysError.hidden = true;
    fMonthDay.wrap.hidden = freq !== 'monthly';
    if (custom) advanced.open = true;
  }

  /** Writes the expression from the choices (after the person changed one of them). */
  function fromChoices() {
    const freq = frequency.value;
    showFor(freq);
    if (freq === 'custom') { changed(); return; }
    const [hh, mm] = (time.value || '09:00').split(':').map(Number);
    const picked = dayBoxes.filter((b) => b.checked).map((b) => Number(b.value));
    const md = int(monthDay.value, 1, 31) ?? 1;
    const out = cronFromChoice({ frequency: freq, hour: hh, minute: mm, days: picked, monthDay: md });
    daysError.hidden = out !== null;
    daysError.textContent = out === null ? 'Choose at least one day.' : '';
    if (out !== null) {
      expr.value = out;
      fExpr.setError('');
    }
    changed();
  }

  /** Reads the expression back into the choices (after it was typed or loaded). */
  function fromExpr() {
    const c = choiceFromCron(expr.value);
    if (!c) {
      frequency.value = 'custom';
      showFor('custom');
    } else {
      frequency.value = c.frequency;
      time.value = `${pad(c.hour)}:${pad(c.minute)}`;
      dayBoxes.forEach((b) => { b.checked = c.days.includes(Number(b.value)); });
      monthDay.value = String(c.monthDay);
      showFor(c.frequency);
    }
    changed();
  }

  frequency.addEventListener('change', () => {
    // Weekly starts from the weekdays ticked, rather than none.
    if (frequency.value === 'weekly' && !dayBoxes.some((b) => b.checked)) dayBoxes.slice(0, 5).forEach((b) => { b.checked = true; });
    fromChoices();
  });
  for (const el of [time, monthDay, ...dayBoxes]) {
    el.addEventListener('input', fromChoices);
    el.addEventListener('change', fromChoices);
  }
  expr.addEventListener('input', fromExpr);

  expr.value = initial;
  monthDay.value = '1';
  fromExpr();
  // A job whose schedule is not one of the simple forms opens with Advanced shown.
  advanced.open = frequency.value === 'custom';

  const wrap = h('fieldset', { class: 'schedule-picker stack', testid: `${prefix}-schedule` },
    h('legend', {}, 'When'),
    fFrequency.wrap, fTime.wrap, days, daysError, fMonthDay.wrap, advanced);
  return {
    wrap,
    expr,
    exprField: fExpr,
    /** The schedule is unusable because a weekly choice has no day. */
    incomplete: () => frequency.value === 'weekly' && !dayBoxes.some((b) => b.checked),
    firstDay: () => dayBoxes[0],
    /** Shows an error about the schedule: next to the raw field, opening Advanced. */
    setError(msg) {
      fExpr.setError(msg);
      if (msg) advanced.open = true;
    },
    onChange(fn) { listeners.push(fn); },
  };
}

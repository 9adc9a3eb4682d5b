// Scheduled messages (cron jobs that send a message into the friend's session with the agent):
// list, enable/disable, run now, delete after confirming, and create with a plain-language
// preview of the schedule and its next three times, computed here in the chosen time zone.

import { api, seg, isSilent } from './api.js';
import { h, clear, loading, errorBox, viewHeading, section, empty, field, toast, busy, confirmDialog, timeEl, fmtDate } from './dom.js';
import { explain, parseCron, describeCron, CronError } from './cron.js';

const NAME_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function localZone() {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'; } catch { return 'UTC'; }
}

function zoneList() {
  try { return Intl.supportedValuesOf('timeZone'); } catch { return ['UTC', 'Europe/Berlin', 'Europe/London', 'America/New_York', 'Asia/Tokyo']; }
}

export function render(root, ctx) {
  const listBox = h('div', { class: 'stack' });
  const formBox = h('div');
  root.append(
    viewHeading('Scheduled messages'),
    h('p', { class: 'lead' }, 'Each scheduled message is sent to your agent at the times you choose, in your conversation with it — for example a daily "Check my portfolio".'),
    section('Your schedules', 'crons-section', listBox),
    formBox,
  );

  async function load(quiet) {
    if (!quiet) clear(listBox).append(loading('Loading your scheduled messages…'));
    try {
      const { data } = await api.get('/workspace/crons', { signal: ctx.signal });
      const items = Array.isArray(data) ? data : [];
      clear(listBox);
      if (!items.length) listBox.append(empty('No scheduled messages yet. Create one below.', 'crons-empty'));
      else listBox.append(h('ul', { class: 'plain-list', testid: 'crons-list' }, items.map((c) => cronRow(c, ctx, () => load(true)))));
    } catch (e) {
      if (!isSilent(e)) clear(listBox).append(errorBox(e, { retry: () => load(false), title: 'Could not load your scheduled messages' }));
    }
  }

  formBox.append(loading('Preparing the form…'));
  ctx.me().then((profile) => {
    clear(formBox).append(createForm(ctx, profile, () => load(true)));
  }).catch((e) => {
    if (!isSilent(e)) clear(formBox).append(errorBox(e, { title: 'Could not load your profile for the form' }));
  });
  load(false);
}

function describe(expr) {
  try { return describeCron(parseCron(expr)); } catch (e) { if (e instanceof CronError) return `(${e.message})`; throw e; }
}

/** A run's status in plain words: what happened to the message. */
const RUN_STATUS = {
  delivered: 'sent to your agent',
  ok: 'sent',
  queued: 'waiting: no agent connection is set up yet',
  pending: 'sending',
  failed: 'not sent',
};

function lastRunText(run) {
  if (!run) return h('span', { class: 'muted' }, 'never');
  const status = String(run.status || '');
  const ok = /^(ok|delivered)$/i.test(status);
  const waiting = /^(queued|pending)$/i.test(status);
  return h('span', {},
    h('span', { class: `chip chip-${ok ? 'ok' : waiting ? 'warn' : 'bad'}` }, RUN_STATUS[status] || status || 'unknown'),
    ' ', timeEl(run.at),
    run.trigger ? h('span', { class: 'muted' }, ` (${run.trigger})`) : null,
    run.error ? h('span', { class: 'field-error block' }, String(run.error)) : null);
}

function cronRow(c, ctx, reload) {
  const name = c.name;
  const enabled = c.enabled !== false;
  const problem = h('div');
  const toggle = h('button', {
    type: 'button', class: `btn btn-small switch ${enabled ? 'switch-on' : ''}`, 'aria-pressed': String(enabled),
    testid: `cron-toggle-${name}`, 'aria-label': `Enabled: ${name}`,
  }, enabled ? 'Enabled' : 'Disabled');
  const run = h('button', { type: 'button', class: 'btn btn-small', testid: `cron-run-${name}` }, 'Run now');
  const del = h('button', { type: 'button', class: 'btn btn-small btn-danger-quiet', testid: `cron-delete-${name}` }, 'Delete');

  const fail = (what) => (e) => {
    if (isSilent(e)) return;
    clear(problem).append(errorBox(e, { title: `Could not ${what} "${name}"` }));
    toast(`Could not ${what} "${name}": ${e.message}`, 'error');
  };

  toggle.addEventListener('click', () => busy(toggle, async () => {
    await api.post(`/workspace/crons/${seg(name)}/toggle`, { enabled: !enabled }, { signal: ctx.signal });
    toast(`"${name}" ${enabled ? 'disabled' : 'enabled'}.`);
    await reload();
    const again = document.querySelector(`[data-testid="cron-toggle-${CSS.escape(name)}"]`);
    if (again) again.focus();
  }).catch(fail(enabled ? 'disable' : 'enable')));

  run.addEventListener('click', () => busy(run, async () => {
    await api.post(`/workspace/crons/${seg(name)}/run`, {}, { signal: ctx.signal });
    toast(`"${name}" is being sent now; its last run below says when it reached your agent.`);
    clear(problem);
    setTimeout(reload, 1500);
  }).catch(fail('run')));

  del.addEventListener('click', async () => {
    const ok = await confirmDialog({
      title: `Delete "${name}"?`,
      message: `The scheduled message "${name}" (${describe(c.cron)}) will no longer be sent. This cannot be undone.`,
      confirmLabel: 'Delete schedule',
      danger: true,
    });
    if (!ok) return;
    try {
      await busy(del, () => api.del(`/workspace/crons/${seg(name)}`, { signal: ctx.signal }));
      toast(`"${name}" deleted.`);
      reload();
    } catch (e) {
      fail('delete')(e);
    }
  });

  return h('li', { class: `item ${enabled ? '' : 'item-disabled'}`, testid: `cron-row-${name}` },
    h('div', { class: 'item-head' },
      h('div', { class: 'item-title' }, h('strong', { class: 'mono' }, name)),
      h('div', { class: 'item-actions' }, toggle, run, del)),
    h('p', { class: 'cron-message' }, String(c.message || '')),
    h('dl', { class: 'facts compact' },
      h('div', {}, h('dt', {}, 'When'), h('dd', {},
        h('span', { testid: `cron-description-${name}` }, describe(c.cron)),
        h('span', { class: 'muted mono small' }, ` ${c.cron}${c.tz ? ` · ${c.tz}` : ''}`))),
      h('div', {}, h('dt', {}, 'Next'), h('dd', { testid: `cron-next-run-${name}` },
        enabled && c.next_run ? [timeEl(c.next_run), h('span', { class: 'muted small' }, ` · ${fmtDate(c.next_run)}`)] : h('span', { class: 'muted' }, enabled ? 'not scheduled' : 'paused'))),
      h('div', {}, h('dt', {}, 'Last run'), h('dd', { testid: `cron-last-run-${name}` }, lastRunText(c.last_run))),
      h('div', {}, h('dt', {}, 'Session'), h('dd', { class: 'mono break small' }, String(c.session || '')))),
    problem);
}

function createForm(ctx, profile, reload) {
  const zone = localZone();
  const zonesId = 'cron-tz-list';
  const name = h('input', { type: 'text', required: true, maxlength: '63', autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', testid: 'cron-create-name', placeholder: 'daily-check' });
  const message = h('textarea', { rows: '3', required: true, testid: 'cron-create-message', placeholder: 'Check my portfolio' });
  const expr = h('input', { type: 'text', required: true, value: '0 9 * * 1-5', autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', class: 'mono', testid: 'cron-create-expr' });
  const tz = h('input', { type: 'text', required: true, value: zone, list: zonesId, autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', testid: 'cron-create-tz' });
  const sessionInput = h('input', { type: 'text', required: true, value: `agent:main:direct:channel:${profile.id}`, autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', class: 'mono', testid: 'cron-create-session' });
  const datalist = h('datalist', { id: zonesId }, zoneList().map((z) => h('option', { value: z })));
  const description = h('p', { class: 'cron-description', testid: 'cron-create-description' });
  const nextList = h('ol', { class: 'next-runs', testid: 'cron-create-next-runs' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'cron-create-submit' }, 'Create schedule');
  const formError = h('div');

  const f = {
    name: field({ label: 'Name', control: name, hint: 'Lowercase letters, digits and hyphens, e.g. daily-check.' }),
    message: field({ label: 'Message to send to your agent', control: message }),
    expr: field({ label: 'Schedule (cron: minute hour day-of-month month day-of-week)', control: expr, hint: 'Examples: "0 9 * * 1-5" weekdays at 09:00 · "*/30 * * * *" every 30 minutes · "0 8 1 * *" the 1st of each month at 08:00.' }),
    tz: field({ label: 'Time zone', control: tz, hint: 'An IANA time zone name, e.g. Europe/Berlin.' }),
    session: field({ label: 'Session', control: sessionInput, hint: 'Where the message goes: your direct conversation with the agent.' }),
  };

  function updatePreview() {
    const r = explain(expr.value, tz.value.trim(), 3);
    f.expr.setError(r.ok || r.description ? '' : r.error);
    f.tz.setError(!r.ok && r.description ? r.error : '');
    description.textContent = r.description || '';
    clear(nextList);
    if (r.ok && r.next.length) {
      const fmt = new Intl.DateTimeFormat(undefined, {
        timeZone: tz.value.trim(), weekday: 'short', year: 'numeric', month: 'short', day: 'numeric',
        hour: '2-digit', minute: '2-digit', timeZoneName: 'short',
      });
      r.next.forEach((d, i) => nextList.append(h('li', {}, h('time', { datetime: d.toISOString(), testid: `cron-create-next-run-${i}` }, fmt.format(d)))));
    } else if (r.ok) {
      nextList.append(h('li', { class: 'field-error', testid: 'cron-create-never' }, 'This schedule never fires (check the day and month).'));
    }
    return r;
  }
  expr.addEventListener('input', updatePreview);
  tz.addEventListener('input', updatePreview);
  tz.addEventListener('change', updatePreview);

  const form = h('form', { class: 'stack', testid: 'cron-create-form', novalidate: true },
    f.name.wrap, f.message.wrap, f.expr.wrap, f.tz.wrap, datalist,
    h('div', { class: 'preview-box', 'aria-live': 'polite' },
      h('span', { class: 'muted small' }, 'In plain words'), description,
      h('span', { class: 'muted small' }, 'Next three times (in that time zone)'), nextList),
    f.session.wrap, formError,
    h('div', { class: 'actions' }, submit));

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clear(formError);
    const r = updatePreview();
    const errors = [];
    f.name.setError(NAME_RE.test(name.value.trim()) ? '' : 'Use lowercase letters, digits and hyphens (up to 63), starting and ending with a letter or digit.');
    if (!NAME_RE.test(name.value.trim())) errors.push(name);
    f.message.setError(message.value.trim() ? '' : 'Write the message your agent should receive.');
    if (!message.value.trim()) errors.push(message);
    if (!r.ok) errors.push(r.description ? tz : expr);
    f.session.setError(sessionInput.value.trim() ? '' : 'A session is needed.');
    if (!sessionInput.value.trim()) errors.push(sessionInput);
    if (errors.length) { errors[0].focus(); return; }
    const body = {
      name: name.value.trim(), message: message.value.trim(), cron: expr.value.trim().split(/\s+/).join(' '),
      session: sessionInput.value.trim(), tz: tz.value.trim(),
    };
    try {
      await busy(submit, () => api.post('/workspace/crons', body, { signal: ctx.signal }));
      toast(`"${body.name}" created.`);
      name.value = '';
      message.value = '';
      reload();
    } catch (e) {
      if (isSilent(e)) return;
      formError.append(errorBox(e, { title: 'Could not create the schedule' }));
      toast(`Could not create the schedule: ${e.message}`, 'error');
    }
  });

  updatePreview();
  return section('New scheduled message', 'cron-create', form);
}

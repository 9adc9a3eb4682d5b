// Scheduled messages (cron jobs that send a message into the friend's conversation with an
// agent): the list, each job with edit, enable/disable, run now, delete (confirmed) and its
// run history, and the form for a new one (cron-form.js). Times are always shown in the
// job's own zone, labelled, with "your time" beside them when the browser's zone differs.

import { api, seg, isSilent } from './api.js';
import { h, clear, loading, errorBox, viewHeading, section, empty, toast, busy, confirmDialog, timeEl } from './dom.js';
import { parseCron, describeCron, CronError } from './cron.js';
import { cronForm } from './cron-form.js';
import { zoneLabel, timeInZone } from './cron-times.js';

export function render(root, ctx) {
  const listBox = h('div', { class: 'stack' });
  const formBox = h('div');
  const view = { ctx, agents: [], openHistory: new Set(), reload: () => load(true) };
  root.append(
    viewHeading('Scheduled messages'),
    h('p', { class: 'lead' }, 'Each scheduled message is sent to your agent at the times you choose, in your conversation with it. For example, "Check my portfolio" every weekday morning.'),
    section('Your schedules', 'crons-section', listBox),
    formBox,
  );

  async function load(quiet) {
    if (!quiet) clear(listBox).append(loading('Loading your scheduled messages…'));
    try {
      const { data } = await api.get('/workspace/crons', { signal: ctx.signal });
      const items = Array.isArray(data) ? data : [];
      clear(listBox);
      if (!items.length) listBox.append(empty('No scheduled messages yet. Create one below: choose what to send, and when.', 'crons-empty'));
      else listBox.append(h('ul', { class: 'plain-list', testid: 'crons-list' }, items.map((c) => cronRow(c, view))));
      return items;
    } catch (e) {
      if (!isSilent(e)) clear(listBox).append(errorBox(e, { retry: () => load(false), title: 'Could not load your scheduled messages' }));
      return [];
    }
  }

  formBox.append(loading('Preparing the form…'));
  api.get('/agents', { signal: ctx.signal }).then(({ data }) => {
    view.agents = Array.isArray(data) ? data : [];
    clear(formBox).append(section('New scheduled message', 'cron-create',
      cronForm({ ctx, agents: view.agents, job: null, onSaved: () => view.reload() })));
    return load(false);
  }).catch((e) => {
    if (isSilent(e)) return;
    clear(formBox).append(errorBox(e, { title: 'Could not load your agents for the form' }));
    load(false);
  });
}

function describe(c) {
  try { return `${describeCron(parseCron(c.cron))}, ${zoneLabel(c.tz)}`; } catch (e) { if (e instanceof CronError) return `(${e.message})`; throw e; }
}

/** A run's status in plain words: what happened to the message, honestly. */
const RUN_STATUS = {
  delivered: ['delivered to your agent', 'ok'],
  ok: ['sent', 'ok'],
  queued: ['waiting: no agent connection is set up yet', 'warn'],
  pending: ['being sent', 'warn'],
  failed: ['not delivered', 'bad'],
};

function statusChip(status) {
  const [words, kind] = RUN_STATUS[status] || [status || 'unknown', 'bad'];
  return h('span', { class: `chip chip-${kind}` }, words);
}

function lastRunText(run) {
  if (!run) return h('span', { class: 'muted' }, 'never');
  return h('span', {}, statusChip(String(run.status || '')), ' ', timeEl(run.at),
    run.error ? h('span', { class: 'field-error block' }, String(run.error)) : null);
}

function sessionLabel(session, agents) {
  for (const a of agents) {
    const found = (a.sessions || []).find((s) => s.session === session);
    if (found) return found.label;
  }
  return 'A conversation no longer offered';
}

/** One run of the history: status, when, why it ran, attempts, the error in words. */
function runItem(run, c, i) {
  const why = run.trigger === 'manual' ? 'sent by hand' : null;
  return h('li', { class: 'run', testid: `cron-run-item-${i}` },
    statusChip(String(run.status || '')), ' ',
    timeInZone(run.at, c.tz || 'UTC'),
    why ? h('span', { class: 'muted' }, ` · ${why}`) : null,
    run.scheduled_for && run.trigger !== 'manual'
      ? h('span', { class: 'muted' }, ' · for ', timeInZone(run.scheduled_for, c.tz || 'UTC'))
      : null,
    run.attempts > 1 ? h('span', { class: 'muted' }, ` · ${run.attempts} attempts`) : null,
    run.error ? h('span', { class: 'field-error block' }, String(run.error)) : null);
}

/** The expandable history; loads the kept runs each time it opens. */
function history(c, view) {
  const body = h('div', { testid: `cron-runs-${c.name}` });
  const box = h('details', { class: 'history', testid: `cron-history-${c.name}` },
    h('summary', {}, 'Run history'), body);
  async function fill() {
    clear(body).append(loading('Loading the runs…'));
    try {
      const { data } = await api.get(`/workspace/crons/${seg(c.name)}/runs`, { signal: view.ctx.signal });
      const runs = Array.isArray(data) ? data : [];
      clear(body).append(runs.length
        ? h('ol', { class: 'plain-list runs' }, runs.map((r, i) => runItem(r, c, i)))
        : empty('Not run yet. Its first run will show here.', `cron-runs-empty-${c.name}`));
    } catch (e) {
      if (!isSilent(e)) clear(body).append(errorBox(e, { retry: fill, title: 'Could not load the run history' }));
    }
  }
  box.addEventListener('toggle', () => {
    if (box.open) { view.openHistory.add(c.name); fill(); } else view.openHistory.delete(c.name);
  });
  if (view.openHistory.has(c.name)) box.open = true;
  return box;
}

function cronRow(c, view) {
  const { ctx } = view;
  const name = c.name;
  const enabled = c.enabled !== false;
  const problem = h('div');
  const editBox = h('div');
  const button = (label, testid, cls = '') => h('button', { type: 'button', class: `btn btn-small ${cls}`, testid }, label);
  const edit = button('Edit', `cron-change-${name}`);
  const toggle = h('button', {
    type: 'button', class: `btn btn-small switch ${enabled ? 'switch-on' : ''}`, 'aria-pressed': String(enabled),
    testid: `cron-toggle-${name}`, 'aria-label': `Enabled: ${name}`,
  }, enabled ? 'Enabled' : 'Disabled');
  const run = button('Run now', `cron-run-${name}`);
  const del = button('Delete', `cron-delete-${name}`, 'btn-danger-quiet');

  const fail = (what) => (e) => {
    if (isSilent(e)) return;
    clear(problem).append(errorBox(e, { title: `Could not ${what} "${name}"` }));
  };
  const refocus = (testid) => {
    const again = document.querySelector(`[data-testid="${CSS.escape(testid)}"]`);
    if (again) again.focus();
  };

  edit.addEventListener('click', () => {
    edit.hidden = true;
    clear(problem);
    clear(editBox).append(h('div', { class: 'edit-box' }, h('h3', {}, `Change "${name}"`),
      cronForm({
        ctx, agents: view.agents, job: c,
        onSaved: async () => { await view.reload(); refocus(`cron-change-${name}`); },
        onCancel: () => { clear(editBox); edit.hidden = false; edit.focus(); },
      })));
    const first = editBox.querySelector('textarea, input, select');
    if (first) first.focus();
  });

  toggle.addEventListener('click', () => busy(toggle, async () => {
    await api.post(`/workspace/crons/${seg(name)}/toggle`, { enabled: !enabled }, { signal: ctx.signal });
    toast(`"${name}" ${enabled ? 'paused: it will not be sent until you enable it again' : 'enabled'}.`);
    await view.reload();
    refocus(`cron-toggle-${name}`);
  }).catch(fail(enabled ? 'pause' : 'enable')));

  run.addEventListener('click', () => busy(run, async () => {
    await api.post(`/workspace/crons/${seg(name)}/run`, {}, { signal: ctx.signal });
    toast(`"${name}" is being sent now. Its run history says whether it reached your agent.`);
    clear(problem);
    view.openHistory.add(name);
    // Follow the run until it is no longer being sent (bounded: 1.5 s, then 3, 6, 12 s).
    for (let wait = 1500; wait <= 12000; wait *= 2) {
      await new Promise((resolve) => { setTimeout(resolve, wait); });
      if (ctx.signal.aborted) return;
      const items = await view.reload();
      const now = items.find((j) => j.name === name);
      if (!now || !now.last_run || now.last_run.status !== 'pending') return;
    }
  }).catch(fail('run')));

  del.addEventListener('click', async () => {
    const ok = await confirmDialog({
      title: `Delete "${name}"?`,
      message: `"${String(c.message || '').slice(0, 80)}" will no longer be sent (${describe(c)}). Its run history goes too. This cannot be undone.`,
      confirmLabel: 'Delete schedule',
      danger: true,
    });
    if (!ok) return;
    try {
      await busy(del, () => api.del(`/workspace/crons/${seg(name)}`, { signal: ctx.signal }));
      toast(`"${name}" deleted.`);
      view.reload();
    } catch (e) {
      fail('delete')(e);
    }
  });

  return h('li', { class: `item ${enabled ? '' : 'item-disabled'}`, testid: `cron-row-${name}` },
    h('div', { class: 'item-head' },
      h('div', { class: 'item-title' }, h('strong', {}, name)),
      h('div', { class: 'item-actions' }, edit, toggle, run, del)),
    h('p', { class: 'cron-message' }, String(c.message || '')),
    h('dl', { class: 'facts compact' },
      h('div', {}, h('dt', {}, 'When'), h('dd', { testid: `cron-description-${name}` }, describe(c))),
      h('div', {}, h('dt', {}, 'Next'), h('dd', { testid: `cron-next-run-${name}` },
        enabled && c.next_run ? timeInZone(c.next_run, c.tz || 'UTC') : h('span', { class: 'muted' }, enabled ? 'not scheduled' : 'paused'))),
      h('div', {}, h('dt', {}, 'Last run'), h('dd', { testid: `cron-last-run-${name}` }, lastRunText(c.last_run))),
      h('div', {}, h('dt', {}, 'Send to'), h('dd', { testid: `cron-session-${name}` }, sessionLabel(c.session, view.agents)))),
    problem,
    editBox,
    history(c, view));
}

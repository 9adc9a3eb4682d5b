// Scheduled messages (cron jobs that send a message into the friend's conversation with an
// agent): the list, each job titled by its message, with edit, an Active/Paused switch, run
// now, delete (confirmed) and its run history, and the form for a new one (cron-form.js). Times are always shown in the
// job's own zone, labelled, with "your time" beside them when the browser's zone differs.

import { api, seg, isSilent } from './api.js';
import { h, clear, loading, errorBox, viewHeading, section, empty, toast, busy, confirmDialog, timeEl } from './dom.js';
import { wallText } from './cron-times.js';
import { parseCron, describeCron, CronError } from './cron.js';
import { cronForm } from './cron-form.js';
import { zoneLabel, timeInZone } from './cron-times.js';

export function render(root, ctx) {
  const listBox = h('div', { class: 'stack' });
  const formBox = h('div');
  const view = { ctx, agents: [], names: [], openHistory: new Set(), reload: () => load(true) };
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
      view.names.splice(0, view.names.length, ...items.map((c) => c.name));
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
  Promise.all([
    api.get('/agents', { signal: ctx.signal }),
    ctx.me().catch(() => ({})),
  ]).then(async ([{ data }, profile]) => {
    view.agents = Array.isArray(data) ? data : [];
    await load(false);
    clear(formBox).append(section('New scheduled message', 'cron-create',
      cronForm({
        ctx, agents: view.agents, job: null, taken: view.names, preferred: profile && profile.preferred_channel,
        onSaved: () => view.reload(),
      })));
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
// A run that waits because no agent connection is set up is not the friend's failure: it
// reaches the agent once the person who runs the portal connects it.
const RUN_STATUS = {
  delivered: ['delivered to your agent', 'ok'],
  ok: ['sent', 'ok'],
  queued: ['your agent gets it once it is connected', 'neutral'],
  pending: ['being sent', 'warn'],
  failed: ['not delivered', 'bad'],
};

/** The server's reason for a failed run, folded: what a helper needs, not the friend. */
function runError(run) {
  if (!run.error || run.status !== 'failed') return null;
  return h('details', { class: 'error-details' }, h('summary', {}, 'Why'), h('p', { class: 'hint' }, String(run.error)));
}

function statusChip(status) {
  const [words, kind] = RUN_STATUS[status] || [status || 'unknown', 'bad'];
  return h('span', { class: `chip chip-${kind}` }, words);
}

function lastRunText(run) {
  if (!run) return h('span', { class: 'muted' }, 'never');
  return h('span', {}, statusChip(String(run.status || '')), ' ', timeEl(run.at), runError(run));
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
  const tz = c.tz || 'UTC';
  const why = run.trigger === 'manual' ? 'sent by hand' : null;
  // "for <time>" only when it reads differently from when it ran (a late run), never twice.
  const late = run.scheduled_for && run.trigger !== 'manual'
    && !Number.isNaN(new Date(run.scheduled_for).getTime()) && !Number.isNaN(new Date(run.at).getTime())
    && wallText(new Date(run.scheduled_for), tz) !== wallText(new Date(run.at), tz);
  return h('li', { class: 'run', testid: `cron-run-item-${i}` },
    statusChip(String(run.status || '')), ' ',
    timeInZone(run.at, tz),
    why ? h('span', { class: 'muted' }, ` · ${why}`) : null,
    late ? h('span', { class: 'muted' }, ' · planned for ', timeInZone(run.scheduled_for, tz)) : null,
    run.attempts > 1 ? h('span', { class: 'muted' }, ` · ${run.attempts} attempts`) : null,
    runError(run));
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
      // append() through h(): a null part is left out (DOM append would write "null").
      clear(body).append(h('div', { class: 'stack' },
        c.enabled === false ? h('p', { class: 'notice', testid: `cron-runs-paused-${c.name}` }, 'Paused: nothing is sent until you switch it back to Active.') : null,
        runs.length
          ? h('ol', { class: 'plain-list runs' }, runs.map((r, i) => runItem(r, c, i)))
          : empty('Not run yet. Its first run will show here.', `cron-runs-empty-${c.name}`)));
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
  // Pausing is called pausing: a switch that reads Active or Paused.
  const toggle = h('button', {
    type: 'button', role: 'switch', class: `btn btn-small switch ${enabled ? 'switch-on' : ''}`, 'aria-checked': String(enabled),
    testid: `cron-toggle-${name}`,
  }, enabled ? 'Active' : 'Paused');
  const run = button('Run now', `cron-run-${name}`);
  const del = button('Delete', `cron-delete-${name}`, 'btn-danger-quiet');

  const fail = (what) => (e) => {
    if (isSilent(e)) return;
    clear(problem).append(errorBox(e, { title: `Could not ${what} this schedule` }));
  };
  const refocus = (testid) => {
    const again = document.querySelector(`[data-testid="${CSS.escape(testid)}"]`);
    if (again) again.focus();
  };

  edit.addEventListener('click', () => {
    edit.hidden = true;
    clear(problem);
    clear(editBox).append(h('div', { class: 'edit-box' }, h('h3', {}, 'Change this schedule'),
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
    toast(enabled ? 'Paused: it is not sent until you switch it back to Active.' : 'Active again: it is sent at its next time.');
    await view.reload();
    refocus(`cron-toggle-${name}`);
  }).catch(fail(enabled ? 'pause' : 'resume')));

  run.addEventListener('click', () => busy(run, async () => {
    await api.post(`/workspace/crons/${seg(name)}/run`, {}, { signal: ctx.signal });
    toast('It is being sent now. Its run history says whether it reached your agent.');
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
      title: 'Delete this scheduled message?',
      message: `"${String(c.message || '').slice(0, 80)}" will no longer be sent (${describe(c)}). Its run history goes too. This cannot be undone.`,
      confirmLabel: 'Delete schedule',
      danger: true,
    });
    if (!ok) return;
    try {
      await busy(del, () => api.del(`/workspace/crons/${seg(name)}`, { signal: ctx.signal }));
      toast('The scheduled message is deleted.');
      view.reload();
    } catch (e) {
      fail('delete')(e);
    }
  });

  return h('li', { class: `item ${enabled ? '' : 'item-disabled'}`, testid: `cron-row-${name}` },
    h('div', { class: 'item-head' },
      h('h3', { class: 'item-title cron-message', testid: `cron-title-${name}` }, String(c.message || name)),
      h('div', { class: 'item-actions' }, toggle, edit, run, del)),
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

// The form that creates a scheduled message or changes one: name (new ones only), message, the
// schedule picker, a searchable time-zone field defaulting to the browser's zone, and "Send to"
// chosen among the friend's agents and channels (never typed). A live preview says the
// schedule in words and lists the next three times in the job's zone and in "your time".
// Problems are shown in plain words next to the field they concern; what only a developer
// needs (code, request id) stays under "Details".

import { api, seg, isSilent } from './api.js';
import { h, clear, field, busy, toast, errorBox, uid } from './dom.js';
import { explain } from './cron.js';
import { schedulePicker } from './cron-picker.js';
import { localZone, zoneList, zoneLabel, timeInZone } from './cron-times.js';

const NAME_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** The server's 422 says "<field>: <rule>"; the page shows the rule by the field. */
function fieldOf(err) {
  const m = /^([a-z_]+): (.+)$/s.exec(err && err.message ? err.message : '');
  return m ? { field: m[1], rule: m[2] } : null;
}

const capital = (s) => (s ? `${s[0].toUpperCase()}${s.slice(1)}` : s);

/** "Send to": every session of every agent, grouped by agent. */
function sendToSelect(testid, agents, current) {
  const known = new Set(agents.flatMap((a) => (a.sessions || []).map((s) => s.session)));
  const select = h('select', { testid },
    agents.filter((a) => (a.sessions || []).length).map((a) => h('optgroup', { label: a.display_name || a.agent_id },
      a.sessions.map((s) => h('option', { value: s.session }, s.label)))),
    // A job may point at a conversation no longer offered (a number the friend removed).
    current && !known.has(current) ? h('option', { value: current }, 'The conversation chosen before (no longer offered)') : null);
  if (current) select.value = current;
  return { select, empty: known.size === 0 };
}

/**
 * cronForm({ctx, agents, job, onSaved, onCancel}) -> Element. `agents` as GET /agents gives
 * them; `job` is the job to change, or null for a new one. Test ids start with "cron-create"
 * or "cron-edit" (only one job is edited at a time).
 */
export function cronForm({ ctx, agents, job, onSaved, onCancel }) {
  const editing = !!job;
  const p = editing ? 'cron-edit' : 'cron-create';
  const zone = editing ? job.tz || 'UTC' : localZone();
  const zonesId = uid('zones');

  const name = editing ? null : h('input', {
    type: 'text', required: true, maxlength: '63', autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', testid: `${p}-name`, placeholder: 'morning-check',
  });
  const message = h('textarea', { rows: '3', required: true, maxlength: '4000', testid: `${p}-message`, placeholder: 'Check my portfolio' });
  message.value = editing ? String(job.message || '') : '';
  const picker = schedulePicker({ prefix: p, initial: editing ? job.cron : '0 9 * * 1-5' });
  const tz = h('input', {
    type: 'text', required: true, value: zone, list: zonesId, autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', testid: `${p}-tz`,
  });
  const zones = h('datalist', { id: zonesId }, zoneList().map((z) => h('option', { value: z })));
  const sendTo = sendToSelect(`${p}-session`, agents, editing ? job.session : null);
  const description = h('p', { class: 'cron-description', testid: `${p}-description` });
  const nextList = h('ol', { class: 'next-runs', testid: `${p}-next-runs` });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: `${p}-submit` }, editing ? 'Save changes' : 'Create schedule');
  const cancel = editing ? h('button', { type: 'button', class: 'btn', testid: `${p}-cancel` }, 'Cancel') : null;
  const formError = h('div');

  const f = {
    name: name ? field({ label: 'Name', control: name, hint: 'A short name for this schedule: lowercase letters, digits and hyphens, e.g. morning-check.' }) : null,
    message: field({ label: 'Message to send to your agent', control: message }),
    tz: field({ label: 'Time zone', control: tz, hint: 'Start typing a city, e.g. Berlin or New York, and pick from the list.' }),
    session: field({ label: 'Send to', control: sendTo.select, hint: 'The conversation with your agent that receives the message.' }),
  };
  const fields = { name: f.name, message: f.message, cron: picker.exprField, tz: f.tz, session: f.session };

  function updatePreview() {
    const zoneName = tz.value.trim();
    const r = explain(picker.expr.value, zoneName, 3);
    picker.exprField.setError(r.ok || r.description ? '' : r.error);
    f.tz.setError(!r.ok && r.description ? `"${zoneName}" is not a time zone we know. Pick one from the list, e.g. Europe/Berlin.` : '');
    description.textContent = r.description ? `${r.description}, ${zoneLabel(zoneName)}` : '';
    clear(nextList);
    if (r.ok && r.next.length) {
      r.next.forEach((d, i) => nextList.append(h('li', {}, timeInZone(d, zoneName, { testid: `${p}-next-run-${i}` }))));
    } else if (r.ok) {
      nextList.append(h('li', { class: 'field-error', testid: `${p}-never` }, 'This schedule never happens (check the day and month).'));
    }
    return r;
  }
  picker.onChange(updatePreview);
  tz.addEventListener('input', updatePreview);
  tz.addEventListener('change', updatePreview);

  /** Checks what the page can check; returns the first control with a problem, or null. */
  function check() {
    const r = updatePreview();
    const bad = [];
    if (name) {
      const ok = NAME_RE.test(name.value.trim());
      f.name.setError(ok ? '' : 'Use lowercase letters, digits and hyphens (up to 63), starting and ending with a letter or digit.');
      if (!ok) bad.push(name);
    }
    f.message.setError(message.value.trim() ? '' : 'Write the message your agent should receive.');
    if (!message.value.trim()) bad.push(message);
    if (picker.incomplete()) bad.push(picker.firstDay());
    else if (!r.ok) bad.push(r.description ? tz : picker.expr);
    f.session.setError(sendTo.select.value ? '' : 'Choose where the message goes.');
    if (!sendTo.select.value) bad.push(sendTo.select);
    return bad[0] || null;
  }

  /** Puts a server refusal next to its field when it names one, else in a box with details. */
  function showServerError(e) {
    const named = fieldOf(e);
    const target = named && fields[named.field];
    if (e.status === 409 && f.name) {
      f.name.setError(`You already have a schedule named "${name.value.trim()}". Choose another name.`);
      name.focus();
    } else if (e.status === 403) {
      f.session.setError('You can only send to your own conversations with your agents. Choose one from the list.');
      sendTo.select.focus();
    } else if (target) {
      target.setError(capital(named.rule));
      if (named.field === 'cron') picker.setError(capital(named.rule));
      target.control.focus();
    } else {
      formError.append(errorBox(e, { title: editing ? 'Could not save the changes' : 'Could not create the schedule' }));
    }
  }

  const form = h('form', { class: 'stack', testid: `${p}-form`, novalidate: true },
    f.name ? f.name.wrap : null, f.message.wrap, picker.wrap, f.tz.wrap, zones,
    h('div', { class: 'preview-box', 'aria-live': 'polite' },
      h('span', { class: 'muted small' }, 'In plain words'), description,
      h('span', { class: 'muted small' }, 'The next three times'), nextList),
    sendTo.empty
      ? h('p', { class: 'notice', testid: `${p}-no-agent` }, 'You have no agent to send messages to yet. Ask your agent to connect with you first.')
      : f.session.wrap,
    formError,
    h('div', { class: 'actions' }, submit, cancel));
  if (sendTo.empty) submit.disabled = true;

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clear(formError);
    const bad = check();
    if (bad) { bad.focus(); return; }
    const body = {
      message: message.value.trim(), cron: picker.expr.value.trim().split(/\s+/).join(' '),
      tz: tz.value.trim(), session: sendTo.select.value,
    };
    try {
      let saved;
      if (editing) {
        saved = (await busy(submit, () => api.put(`/workspace/crons/${seg(job.name)}`, body, { signal: ctx.signal }))).data;
        toast(`Changes to "${job.name}" saved.`);
      } else {
        body.name = name.value.trim();
        saved = (await busy(submit, () => api.post('/workspace/crons', body, { signal: ctx.signal }))).data;
        toast(`"${body.name}" created.`);
        name.value = '';
        message.value = '';
      }
      onSaved(saved);
    } catch (e) {
      if (!isSilent(e)) showServerError(e);
    }
  });
  if (cancel) cancel.addEventListener('click', () => onCancel());

  updatePreview();
  return form;
}

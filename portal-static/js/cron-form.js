// The form that creates a scheduled message or changes one: the message (which is how the page
// names the schedule), the schedule picker, the time zone as a choice by city defaulting to
// the browser's, and "Send to" chosen among the friend's agents and channels (never typed),
// starting at their preferred chat app. The machine name the API keeps is made from the
// message and shown only under Advanced. A live preview says the schedule in words (or why it
// is not valid) and lists the next three times in the job's zone and in "your time".
// Problems are shown in plain words next to the field they concern; what only a developer
// needs (code, request id) stays under "Details".

import { api, seg, isSilent } from './api.js';
import { h, clear, field, busy, toast, errorBox } from './dom.js';
import { explain } from './cron.js';
import { schedulePicker } from './cron-picker.js';
import { localZone, zoneChoices, zoneLabel, timeInZone } from './cron-times.js';

const NAME_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** The server's 422 says "<field>: <rule>"; the page shows the rule by the field. */
function fieldOf(err) {
  const m = /^([a-z_]+): (.+)$/s.exec(err && err.message ? err.message : '');
  return m ? { field: m[1], rule: m[2] } : null;
}

const capital = (s) => (s ? `${s[0].toUpperCase()}${s.slice(1)}` : s);

/**
 * The machine name of a new schedule, made from its message: "Water the plants!" ->
 * "water-the-plants", unique among `taken` (a -2, -3 ... suffix), "message" when no letter is
 * left (a message of emoji only).
 */
export function nameFromMessage(message, taken = []) {
  const base = String(message || '').normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40).replace(/-+$/, '') || 'message';
  const used = new Set(taken);
  if (!used.has(base)) return base;
  for (let i = 2; ; i += 1) {
    if (!used.has(`${base}-${i}`)) return `${base}-${i}`;
  }
}

/** Where the message of a session appears, in words. */
export function whereItAppears(session, label) {
  const m = /^agent:[^:]+:([a-z]+):/.exec(String(session || ''));
  const app = m ? { signal: 'Signal', whatsapp: 'WhatsApp', discord: 'Discord' }[m[1]] : null;
  if (app) return `It appears in your ${app} chat with your agent, as if you had written it there, and your agent answers you in that chat.`;
  if (label) return `It goes to your agent's ${label.charAt(0).toLowerCase()}${label.slice(1)}, not to any of your chat apps.`;
  return '';
}

/** The session of the friend's preferred chat app (the first one of it), or null. */
function preferredSession(agents, preferred) {
  if (!preferred) return null;
  for (const a of agents) {
    const found = (a.sessions || []).find((s) => String(s.session).includes(`:${preferred}:`));
    if (found) return found.session;
  }
  return null;
}

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
export function cronForm({ ctx, agents, job, onSaved, onCancel, taken = [], preferred = null }) {
  const editing = !!job;
  const p = editing ? 'cron-edit' : 'cron-create';
  const zone = editing ? job.tz || 'UTC' : localZone();

  const name = editing ? null : h('input', {
    type: 'text', required: true, maxlength: '63', autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', testid: `${p}-name`,
  });
  let nameTouched = false;
  const message = h('textarea', { rows: '3', required: true, maxlength: '4000', testid: `${p}-message`, placeholder: 'For example: Check my portfolio' });
  message.value = editing ? String(job.message || '') : '';
  const picker = schedulePicker({ prefix: p, initial: editing ? job.cron : '0 9 * * 1-5' });
  const tz = h('select', { required: true, testid: `${p}-tz` },
    zoneChoices(zone).map((z) => h('option', { value: z.value }, z.label)));
  tz.value = zone;
  const sendTo = sendToSelect(`${p}-session`, agents, editing ? job.session : preferredSession(agents, preferred));
  const where = h('p', { class: 'hint', testid: `${p}-where` });
  const description = h('p', { class: 'cron-description', testid: `${p}-description` });
  const nextList = h('ol', { class: 'next-runs', testid: `${p}-next-runs` });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: `${p}-submit` }, editing ? 'Save changes' : 'Create schedule');
  const cancel = editing ? h('button', { type: 'button', class: 'btn', testid: `${p}-cancel` }, 'Cancel') : null;
  const formError = h('div');

  const f = {
    name: name ? field({ label: 'Short name', control: name, hint: 'Made from the message; used by your agent to tell schedules apart. Lowercase letters, digits and hyphens.' }) : null,
    message: field({ label: 'Message', control: message, hint: 'What your agent receives at the times below. It is also what this schedule is called here.' }),
    tz: field({ label: 'Time zone', control: tz, hint: 'Choose your city, or one in the same time zone: typing its first letters (such as Berlin) jumps to it.' }),
    session: field({ label: 'Send to', control: sendTo.select }),
  };
  f.session.wrap.append(where);
  const nameBox = name ? h('details', { class: 'advanced', testid: `${p}-name-advanced` },
    h('summary', {}, 'Advanced: short name'), f.name.wrap) : null;
  const showWhere = () => {
    const opt = sendTo.select.selectedOptions[0];
    where.textContent = whereItAppears(sendTo.select.value, opt ? opt.textContent : '');
  };
  sendTo.select.addEventListener('change', showWhere);
  if (name) {
    name.value = nameFromMessage(message.value, taken);
    message.addEventListener('input', () => { if (!nameTouched) name.value = nameFromMessage(message.value, taken); });
    name.addEventListener('input', () => { nameTouched = true; });
  }
  const fields = { name: f.name, message: f.message, cron: picker.exprField, tz: f.tz, session: f.session };

  function updatePreview() {
    const zoneName = tz.value.trim();
    const r = explain(picker.expr.value, zoneName, 3);
    picker.exprField.setError(r.ok || r.description ? '' : r.error);
    f.tz.setError(!r.ok && r.description ? 'This time zone is not one we know. Choose another city from the list.' : '');
    // An invalid schedule keeps a useful preview: why it is not valid.
    description.textContent = r.description
      ? `${r.description}, ${zoneLabel(zoneName)}`
      : `Not a valid schedule yet: ${r.error}`;
    description.classList.toggle('field-error', !r.description);
    clear(nextList);
    if (r.ok && r.next.length) {
      r.next.forEach((d, i) => nextList.append(h('li', {}, timeInZone(d, zoneName, { testid: `${p}-next-run-${i}` }))));
    } else if (r.ok) {
      nextList.append(h('li', { class: 'field-error', testid: `${p}-never` }, 'This schedule never happens (check the day and month).'));
    }
    return r;
  }
  picker.onChange(updatePreview);
  tz.addEventListener('change', updatePreview);

  /** Checks what the page can check; returns the first control with a problem, or null. */
  function check() {
    const r = updatePreview();
    const bad = [];
    if (name) {
      if (!nameTouched) name.value = nameFromMessage(message.value, taken);
      const ok = NAME_RE.test(name.value.trim());
      f.name.setError(ok ? '' : 'Use lowercase letters, digits and hyphens (up to 63), starting and ending with a letter or digit.');
      if (!ok) { nameBox.open = true; bad.push(name); }
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
      f.name.setError('You already have a schedule with this short name. Choose another one.');
      nameBox.open = true;
      name.focus();
    } else if (e.status === 403) {
      f.session.setError('You can only send to your own conversations with your agents. Choose one from the list.');
      sendTo.select.focus();
    } else if (target) {
      if (named.field === 'name') nameBox.open = true;
      target.setError(capital(named.rule));
      if (named.field === 'cron') picker.setError(capital(named.rule));
      target.control.focus();
    } else {
      formError.append(errorBox(e, { title: editing ? 'Could not save the changes' : 'Could not create the schedule' }));
    }
  }

  const form = h('form', { class: 'stack', testid: `${p}-form`, novalidate: true },
    f.message.wrap, nameBox, picker.wrap, f.tz.wrap,
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
        toast('Your changes are saved.');
      } else {
        body.name = name.value.trim();
        saved = (await busy(submit, () => api.post('/workspace/crons', body, { signal: ctx.signal }))).data;
        toast('Your scheduled message is set up.');
        name.value = '';
        nameTouched = false;
        message.value = '';
      }
      onSaved(saved);
    } catch (e) {
      if (!isSilent(e)) showServerError(e);
    }
  });
  if (cancel) cancel.addEventListener('click', () => onCancel());

  updatePreview();
  showWhere();
  return form;
}

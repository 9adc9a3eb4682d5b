// Overview: a greeting, the agents the friend has, how the agent should reach them (their
// preferred channel, which they can change), what the portal is for, and, folded under
// "Details", the technical facts an agent or operator may ask for (id, namespace, counts).

import { api, seg, isSilent } from './api.js';
import { h, clear, loading, errorBox, viewHeading, section, empty, timeEl, dayEl, field, busy, toast, confirmDialog, plainError } from './dom.js';
import { appState, podsOf } from './apps.js';
import { wallText } from './cron-times.js';

const SHORTCUTS = [
  ['#/memory', 'My memory', 'What your agent should remember about you. You can edit it.'],
  ['#/notes', "Agent's notes", 'What your agent wrote down about you.'],
  ['#/heartbeat', 'Heartbeat', 'What your agent checks for you regularly.'],
  ['#/secrets', 'Secrets', 'Passwords and keys your apps can use, kept safe.'],
  ['#/namespace', 'Your apps', 'Whether your apps are running, their logs, and a restart button.'],
  ['#/expose', 'Put an app online', 'Give one of your apps a public web address.'],
  ['#/crons', 'Scheduled messages', 'Messages your agent receives at times you choose.'],
];

/** The chat apps a friend can be reached on, as people name them. */
export const CHANNEL_NAMES = { discord: 'Discord', signal: 'Signal', whatsapp: 'WhatsApp' };
const channelName = (c) => CHANNEL_NAMES[c] || c;

export function render(root, ctx) {
  const name = h('span', { testid: 'me-display-name' });
  const heading = viewHeading('');
  heading.append('Hello, ', name);
  const body = h('div', { class: 'stack' });
  const summary = h('p', { class: 'lead', testid: 'overview-summary' },
    'This is your portal: what your agent keeps for you, your apps and your scheduled messages.');
  const status = h('p', { class: 'status-summary', testid: 'overview-status', role: 'status' });
  root.append(heading, summary, status, body);
  fillStatus(status, ctx);

  async function load() {
    clear(body).append(loading('Loading your profile…'));
    try {
      const [profile, agents] = await Promise.all([
        ctx.me(),
        api.get('/agents', { signal: ctx.signal }).then((r) => r.data),
      ]);
      clear(body);
      name.textContent = profile.display_name || 'there';
      body.append(
        agentsCard(Array.isArray(agents) ? agents : []),
        channelCard(profile, ctx),
        shortcuts(),
        sessionsCard(ctx),
        detailsCard(profile));
    } catch (e) {
      if (isSilent(e)) return;
      clear(body).append(errorBox(e, { retry: load, title: 'Could not load your overview' }));
    }
  }
  load();
}

function agentsCard(agents) {
  if (!agents.length) {
    return section('Your agents', 'agents-card', empty('No agent has added you as a friend yet. Once one does, it shows here, and you can schedule messages to it.', 'agents-empty'));
  }
  return section('Your agents', 'agents-card',
    h('ul', { class: 'plain-list', testid: 'agents-list' },
      agents.map((a) => h('li', { class: 'row', testid: `agent-row-${a.agent_id}` },
        h('strong', { class: 'row-main' }, a.display_name || a.agent_id),
        h('span', { class: 'muted' }, 'friends since ', dayEl(a.since))))));
}

/** Where the agent should write to the friend first: one of the chat apps it knows them on. */
function channelCard(profile, ctx) {
  const channels = Array.isArray(profile.channels) ? profile.channels : [];
  if (!channels.length) {
    return section('How your agent reaches you', 'channel-card',
      empty('Your agent does not know you on any chat app yet. Once it does, you can choose which one it should use.', 'me-channel-none'));
  }
  const select = h('select', { testid: 'me-channel' },
    profile.preferred_channel ? null : h('option', { value: '' }, 'No preference'),
    channels.map((c) => h('option', { value: c }, channelName(c))));
  select.value = profile.preferred_channel || '';
  const f = field({ label: 'Preferred chat app', control: select, hint: 'Your agent writes to you there first.' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'me-channel-save' }, 'Save');
  const form = h('form', { class: 'stack', testid: 'me-channel-form', novalidate: true }, f.wrap, h('div', { class: 'actions' }, save));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    f.setError('');
    if (!select.value) { f.setError('Choose a chat app.'); select.focus(); return; }
    try {
      await busy(save, () => api.put('/me', { preferred_channel: select.value }, { signal: ctx.signal }));
      toast(`Your agent will write to you on ${channelName(select.value)} first.`);
    } catch (e) {
      if (!isSilent(e)) f.setError(plainError(e));
    }
  });
  return section('How your agent reaches you', 'channel-card', form);
}

function shortcuts() {
  return section('What you can do here', 'shortcuts',
    h('ul', { class: 'shortcut-list' },
      SHORTCUTS.map(([href, label, text]) => h('li', {},
        h('a', { href }, label),
        h('span', { class: 'muted' }, ` — ${text}`)))));
}

/** One session in words: "Chrome on Android, last used 5 minutes ago". */
function sessionRow(sess, ctx, reload) {
  const what = sess.kind === 'link'
    ? h('span', {}, h('strong', {}, 'A link sent to you'), h('span', { class: 'muted' }, ', not opened yet'))
    : h('span', {}, h('strong', {}, sess.browser || 'A browser'), ' ',
      sess.current ? h('span', { class: 'chip chip-ok', testid: 'session-current' }, 'This browser') : null);
  const when = sess.last_used_at
    ? h('span', { class: 'muted' }, 'last used ', timeEl(sess.last_used_at))
    : h('span', { class: 'muted' }, sess.kind === 'link' ? 'sent ' : 'signed in ', timeEl(sess.created_at));
  const end = h('button', { type: 'button', class: 'btn btn-small btn-danger-quiet', testid: `session-end-${sess.id}` },
    sess.current ? 'Sign out here' : sess.kind === 'link' ? 'Cancel link' : 'Sign out');
  end.addEventListener('click', async () => {
    // Ending this browser's own session is signing out, which the header's button does.
    if (sess.current) { document.getElementById('logout').click(); return; }
    const ok = await confirmDialog({
      title: sess.kind === 'link' ? 'Cancel this link?' : `Sign out ${sess.browser || 'that browser'}?`,
      message: sess.kind === 'link' ? 'The link stops working. Your agent can send you a new one.' : 'That browser will need a new link from your agent to come back.',
      confirmLabel: sess.kind === 'link' ? 'Cancel link' : 'Sign out',
      danger: true,
    });
    if (!ok) return;
    try {
      await busy(end, () => api.del(`/sessions/${seg(sess.id)}`, { signal: ctx.signal }));
      toast(sess.kind === 'link' ? 'The link was cancelled.' : 'That browser was signed out.');
      reload();
    } catch (e) {
      if (!isSilent(e)) toast(`Could not end it. ${plainError(e)}`, 'error');
    }
  });
  return h('li', { class: 'row', testid: `session-row-${sess.id}` }, h('span', { class: 'row-main' }, what, ' ', when), end);
}

/** Where the friend is signed in, and links not opened yet: each can be ended. */
function sessionsCard(ctx) {
  const body = h('div', {}, loading('Loading where you are signed in…'));
  async function load() {
    try {
      const { data } = await api.get('/sessions', { signal: ctx.signal });
      const items = Array.isArray(data) ? data : [];
      clear(body).append(h('ul', { class: 'plain-list', testid: 'sessions-list' }, items.map((x) => sessionRow(x, ctx, load))));
    } catch (e) {
      if (!isSilent(e)) clear(body).append(errorBox(e, { retry: load, title: 'Could not load where you are signed in' }));
    }
  }
  load();
  return section('Where you are signed in', 'sessions-card',
    h('p', { class: 'muted' }, 'Each browser you opened a link in. Sign out any you do not recognise or no longer use.'), body);
}

function fact(label, value, testid) {
  return h('div', { class: 'stat' },
    h('dt', {}, label),
    h('dd', { testid, class: 'mono break' }, value === undefined || value === null ? '—' : String(value)));
}

/** What an agent or operator may ask for when helping; nothing a friend needs day to day. */
function detailsCard(p) {
  const stats = p.stats || {};
  return h('details', { class: 'card details-card', testid: 'me-details' },
    h('summary', {}, 'Details for your agent or the person who runs this portal'),
    h('dl', { class: 'facts' },
      fact('Your id', p.id, 'me-id'),
      fact('Your space on the server (namespace)', p.namespace, 'me-namespace'),
      fact('Secrets', stats.secrets, 'me-stat-secrets'),
      fact("Your agent's log files", stats.logs, 'me-stat-logs')));
}

const plural = (n, one, many) => (n === 1 ? one : many);
const names = (xs) => (xs.length <= 2 ? xs.join(' and ') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);

/**
 * How things stand, in one sentence: the apps (up or not), the next scheduled message, and
 * whatever needs the friend. Built from the apps and schedules the friend can see; a part
 * that cannot be loaded is left out rather than guessed.
 */
export function statusSentence({ deployments, pods, crons, now = Date.now() }) {
  const parts = [];
  const needs = [];
  if (Array.isArray(deployments) && deployments.length) {
    const states = deployments.map((d) => [String(d.name), appState(d, podsOf(String(d.name), pods))]);
    const failing = states.filter(([, st]) => st === 'failing').map(([n]) => n);
    const starting = states.filter(([, st]) => st === 'starting').map(([n]) => n);
    const running = states.filter(([, st]) => st === 'running').map(([n]) => n);
    if (failing.length) needs.push(`${names(failing)} ${plural(failing.length, 'is', 'are')} not working (see Your apps)`);
    if (running.length === states.length) {
      parts.push(states.length === 1 ? `your app ${running[0]} is running` : `your ${states.length} apps are running`);
    } else {
      if (running.length) parts.push(`${names(running)} ${plural(running.length, 'is', 'are')} running`);
      if (starting.length) parts.push(`${names(starting)} ${plural(starting.length, 'is', 'are')} starting`);
    }
  } else if (Array.isArray(deployments)) {
    parts.push('you have no apps yet');
  }
  if (Array.isArray(crons)) {
    const next = crons
      .filter((c) => c.enabled !== false && c.next_run && !Number.isNaN(new Date(c.next_run).getTime()))
      .sort((a, b) => new Date(a.next_run) - new Date(b.next_run))[0];
    if (next) {
      const msg = String(next.message || '').trim();
      const short = msg.length > 40 ? `${msg.slice(0, 39)}…` : msg;
      parts.push(`your next scheduled message${short ? `, "${short}",` : ''} goes out ${wallText(new Date(next.next_run), Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC')}`);
    } else if (!crons.length) {
      parts.push('no message is scheduled');
    }
    const failed = crons.filter((c) => c.last_run && c.last_run.status === 'failed').map((c) => `"${String(c.message || c.name).slice(0, 30)}"`);
    if (failed.length) needs.push(`the last ${plural(failed.length, 'run', 'runs')} of ${names(failed)} did not reach your agent`);
  }
  if (!parts.length && !needs.length) return '';
  // One sentence: "a, b, and c; nothing needs you."
  const said = parts.length <= 2 ? parts.join(', and ') : `${parts.slice(0, -1).join(', ')}, and ${parts[parts.length - 1]}`;
  const need = needs.length ? `needs you: ${needs.join(', and ')}` : 'nothing needs you';
  const sentence = said ? `${said}; ${need}.` : `${need}.`;
  return `${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}`;
}

async function fillStatus(el, ctx) {
  const [ns, crons] = await Promise.allSettled([
    api.get('/namespace', { signal: ctx.signal }).then((r) => r.data || {}),
    api.get('/workspace/crons', { signal: ctx.signal }).then((r) => r.data),
  ]);
  if (ctx.signal.aborted) return;
  const nsData = ns.status === 'fulfilled' ? ns.value : null;
  el.textContent = statusSentence({
    deployments: nsData && Array.isArray(nsData.deployments) ? nsData.deployments.filter((d) => d && d.name) : null,
    pods: nsData ? nsData.pods : [],
    crons: crons.status === 'fulfilled' && Array.isArray(crons.value) ? crons.value : null,
  });
}

// Overview: who you are, your namespace, your stats and the agents you are friends with.

import { api, isSilent } from './api.js';
import { h, clear, loading, errorBox, viewHeading, section, empty, timeEl } from './dom.js';

const SHORTCUTS = [
  ['#/memory', 'My memory', 'What the agent should remember about you.'],
  ['#/notes', "Agent's notes", 'What the agent wrote down about you.'],
  ['#/secrets', 'Secrets', 'API keys and credentials in your namespace.'],
  ['#/namespace', 'Namespace', 'Your workloads and how much of your quota they use.'],
  ['#/crons', 'Scheduled messages', 'Messages the agent receives on a schedule.'],
];

export function render(root, ctx) {
  const heading = viewHeading('Overview');
  const body = h('div', { class: 'stack' });
  root.append(heading, body);

  async function load() {
    clear(body).append(loading('Loading your profile…'));
    try {
      const [profile, agents] = await Promise.all([
        ctx.me(),
        api.get('/agents', { signal: ctx.signal }).then((r) => r.data),
      ]);
      clear(body);
      heading.textContent = `Hello, ${profile.display_name || profile.id}`;
      body.append(profileCard(profile), agentsCard(Array.isArray(agents) ? agents : []), shortcuts());
    } catch (e) {
      if (isSilent(e)) return;
      clear(body).append(errorBox(e, { retry: load, title: 'Could not load your overview' }));
    }
  }
  load();
}

function stat(label, value, testid) {
  return h('div', { class: 'stat' },
    h('dt', {}, label),
    h('dd', { testid }, value === undefined || value === null ? '—' : String(value)));
}

function profileCard(p) {
  const stats = p.stats || {};
  return section('Your profile', 'profile-card',
    h('dl', { class: 'facts' },
      stat('Name', p.display_name, 'me-display-name'),
      stat('Friend id', p.id, 'me-id'),
      stat('Namespace', p.namespace, 'me-namespace'),
      stat('Preferred channel', p.preferred_channel || 'not set', 'me-channel')),
    h('dl', { class: 'stats' },
      stat('Agent log files', stats.logs, 'me-stat-logs'),
      stat('Secrets', stats.secrets, 'me-stat-secrets')));
}

function agentsCard(agents) {
  if (!agents.length) {
    return section('Your agents', 'agents-card', empty('No agent has added you as a friend yet.', 'agents-empty'));
  }
  return section('Your agents', 'agents-card',
    h('ul', { class: 'plain-list', testid: 'agents-list' },
      agents.map((a) => h('li', { class: 'row', testid: `agent-row-${a.agent_id}` },
        h('span', { class: 'row-main' },
          h('strong', {}, a.display_name || a.agent_id),
          a.display_name && a.display_name !== a.agent_id ? h('span', { class: 'muted' }, ` (${a.agent_id})`) : null),
        h('span', { class: 'muted' }, 'friends since ', timeEl(a.since))))));
}

function shortcuts() {
  return section('What you can do here', 'shortcuts',
    h('ul', { class: 'shortcut-list' },
      SHORTCUTS.map(([href, label, text]) => h('li', {},
        h('a', { href }, label),
        h('span', { class: 'muted' }, ` — ${text}`)))));
}

// "Your apps" (the route keeps its old name, #/namespace): the apps first (apps.js), then,
// folded under "Technical details", how much of the allowance they use (shown at first level
// only when something is near its limit, and not at all without apps) and the Kubernetes view
// of the same things (deployments, pods, services, addresses).

import { api, isSilent } from './api.js';
import { h, clear, loading, errorBox, viewHeading, section, empty, timeEl, busy } from './dom.js';
import { usage, quotaWords, quotaOrder, parseQuantity } from './quantity.js';
import { externalLink, safeHref } from './markdown.js';
import { appsSection } from './apps.js';

export function render(root, ctx) {
  const body = h('div', { class: 'stack' });
  const refresh = h('button', { type: 'button', class: 'btn', testid: 'namespace-refresh' }, 'Refresh');
  root.append(
    h('div', { class: 'title-row' }, viewHeading('Your apps'), refresh),
    h('p', { class: 'lead' }, 'The apps your agent runs for you: whether they work, where they are online, and their logs.'),
    body,
  );

  async function load(first) {
    if (first) clear(body).append(loading('Loading your apps…'));
    try {
      const { data } = await api.get('/namespace', { signal: ctx.signal });
      const ns = data || {};
      const hasApps = list(ns.deployments).some((d) => d && d.name);
      const near = hasApps && nearLimit(ns.quota);
      // DOM append would write a null as the text "null": only the parts there are.
      clear(body).append(...[
        appsSection(ns, ctx, () => load(false)),
        near ? quotaCard(ns.quota, true) : null,
        technical(ns, hasApps && !near ? quotaCard(ns.quota, false) : null),
      ].filter(Boolean));
      if (first && ctx.target) showTarget(body, ctx.target);
    } catch (e) {
      if (!isSilent(e)) clear(body).append(errorBox(e, { retry: () => load(true), title: 'Could not load your apps' }));
    }
  }
  refresh.addEventListener('click', () => busy(refresh, () => load(false)));
  load(true);
}

const list = (x) => (Array.isArray(x) ? x : []);

/** The allowance matters to the friend only when one of its lines is at 80 % or more. */
const NEAR = 80;
export function nearLimit(quota) {
  const hard = (quota && quota.hard) || {};
  const used = (quota && quota.used) || {};
  return Object.keys(hard).some((k) => {
    const u = usage(used[k], hard[k]);
    return !Number.isNaN(u.percent) && u.percent >= NEAR && parseQuantity(hard[k]) !== 0;
  });
}

/** A link such as #/namespace/web: brings that app's card into view and focuses its name. */
export function showTarget(container, target) {
  const card = [...container.querySelectorAll('[data-anchor]')].find((el) => el.dataset.anchor === target);
  if (!card) return;
  card.classList.add('highlight');
  card.scrollIntoView({ block: 'center' });
  const title = card.querySelector('[tabindex="-1"]');
  if (title) title.focus({ preventScroll: true });
}

/**
 * The allowance in words, one compact line each; lines whose limit is zero are left out. A
 * card of its own when near a limit (first level), else a part of "Technical details".
 */
function quotaCard(quota, first) {
  const hard = (quota && quota.hard) || {};
  const used = (quota && quota.used) || {};
  const keys = Object.keys(hard).filter((k) => parseQuantity(hard[k]) !== 0).sort(quotaOrder);
  const wrap = (...children) => (first
    ? section('Your apps are near their limit', 'quota-card', children)
    : h('div', { class: 'stack', testid: 'quota-card' }, h('h3', {}, 'What your apps may use'), children));
  if (!keys.length) return wrap(empty('There is no limit on what your apps may use.', 'quota-empty'));
  return wrap(
    h('ul', { class: 'quota-list', testid: 'quota-list' }, keys.map((k) => quotaRow(k, used[k], hard[k]))));
}

function quotaRow(key, usedQ, hardQ) {
  const u = usage(usedQ, hardQ);
  const known = !Number.isNaN(u.percent);
  const level = !known ? 'unknown' : u.percent >= 90 ? 'high' : u.percent >= 75 ? 'mid' : 'low';
  const { label, text } = quotaWords(key, usedQ, hardQ);
  const fill = h('div', { class: `bar-fill bar-${level}` });
  fill.style.width = `${known ? Math.min(100, u.percent) : 0}%`; // CSSOM, allowed under style-src 'self'
  const labelId = `quota-label-${key.replace(/[^a-zA-Z0-9-]/g, '-')}`;
  return h('li', { class: 'quota-row', testid: `quota-${key}`, 'data-percent': known ? String(u.percent) : '' },
    h('span', { id: labelId, class: 'quota-label' }, label),
    h('span', { class: 'quota-value' }, text),
    h('div', {
      class: 'bar', role: 'meter', 'aria-labelledby': labelId, 'aria-valuemin': '0', 'aria-valuemax': '100',
      'aria-valuenow': String(known ? Math.min(u.percent, 100) : 0), 'aria-valuetext': text,
    }, fill));
}

function table(testid, headers, rows) {
  // Each cell carries its column name, shown before the value when the table stacks on phones.
  for (const row of rows) [...row.children].forEach((cell, i) => cell.setAttribute('data-label', headers[i]));
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'data-table', testid },
      h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows)));
}

function portText(p) {
  if (!p || typeof p !== 'object') return String(p);
  const target = p.targetPort !== undefined && String(p.targetPort) !== String(p.port) ? ` → ${p.targetPort}` : '';
  return `${p.port}${p.protocol ? `/${p.protocol}` : ''}${target}`;
}

/** The same things as Kubernetes names them, for the agent or the operator. */
function technical(ns, quota) {
  const sub = (title, testid, items, render) => h('div', { class: 'stack' },
    h('h3', {}, title), items.length ? render(items) : empty('None.', `${testid}-empty`));
  return h('details', { class: 'card details-card', testid: 'namespace-details' },
    h('summary', {}, 'Technical details'),
    h('div', { class: 'stack' },
      quota,
      h('p', { class: 'muted' }, 'Namespace ', h('span', { class: 'mono' }, String(ns.namespace || ''))),
      sub('Deployments', 'deployments', list(ns.deployments), (items) => table('deployments-list', ['Name', 'Ready', 'Image', 'Created'],
        items.map((d) => h('tr', { testid: `deployment-row-${d.name}` },
          h('th', { scope: 'row', class: 'mono' }, d.name),
          h('td', {}, String(d.replicas || '?')),
          h('td', { class: 'mono break' }, d.image || '—'),
          h('td', {}, d.age ? timeEl(d.age) : '—'))))),
      sub('Pods', 'pods', list(ns.pods), (items) => table('pods-list', ['Name', 'Phase', 'Ready', 'Restarts', 'Created'],
        items.map((p) => h('tr', { testid: `pod-row-${p.name}` },
          h('th', { scope: 'row', class: 'mono break' }, p.name),
          h('td', {}, String(p.status || '?')),
          h('td', {}, String(p.ready || '?')),
          h('td', {}, p.restarts !== undefined ? String(p.restarts) : '—'),
          h('td', {}, p.age ? timeEl(p.age) : '—'))))),
      sub('Services', 'services', list(ns.services), (items) => table('services-list', ['Name', 'Type', 'Ports'],
        items.map((s) => h('tr', { testid: `service-row-${s.name}` },
          h('th', { scope: 'row', class: 'mono' }, s.name),
          h('td', {}, s.type || 'ClusterIP'),
          h('td', { class: 'mono' }, list(s.ports).length ? list(s.ports).map(portText).join(', ') : '—'))))),
      sub('Public addresses (IngressRoutes)', 'exposed', list(ns.ingressRoutes), (items) => h('ul', { class: 'plain-list', testid: 'exposed-list' },
        items.map((r) => {
          const href = safeHref(`https://${r.hostname}`);
          return h('li', { class: 'row', testid: `exposed-row-${r.name}` },
            href ? externalLink(href, href, { 'data-testid': `exposed-url-${r.name}` }) : h('span', { class: 'mono' }, String(r.hostname || '')),
            h('span', { class: 'muted small mono' }, ` → service ${r.service || '?'} (${r.name})`));
        })))));
}

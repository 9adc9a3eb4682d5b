// Namespace overview: quota bars, deployments, pods, services and the exposed hostnames.

import { api, isSilent } from './api.js';
import { h, clear, loading, errorBox, viewHeading, section, empty, timeEl, busy } from './dom.js';
import { usage, quotaLabel } from './quantity.js';
import { externalLink, safeHref } from './markdown.js';

export function render(root, ctx) {
  const body = h('div', { class: 'stack' });
  const refresh = h('button', { type: 'button', class: 'btn', testid: 'namespace-refresh' }, 'Refresh');
  const nsLabel = h('span', { class: 'muted mono' });
  root.append(
    h('div', { class: 'title-row' }, viewHeading('Namespace'), refresh),
    h('p', { class: 'lead' }, 'What runs in your Kubernetes namespace ', nsLabel, ', and how much of your quota it uses.'),
    body,
  );
  ctx.me().then((p) => { nsLabel.textContent = p.namespace ? `(${p.namespace})` : ''; }).catch(() => {});

  async function load(first) {
    if (first) clear(body).append(loading('Loading your namespace…'));
    try {
      const { data } = await api.get('/namespace', { signal: ctx.signal });
      const ns = data || {};
      clear(body).append(
        quotaCard(ns.quota),
        exposedCard(ns.ingressRoutes),
        deploymentsCard(ns.deployments),
        podsCard(ns.pods),
        servicesCard(ns.services),
      );
    } catch (e) {
      if (!isSilent(e)) clear(body).append(errorBox(e, { retry: () => load(true), title: 'Could not load your namespace' }));
    }
  }
  refresh.addEventListener('click', () => busy(refresh, () => load(false)));
  load(true);
}

const list = (x) => (Array.isArray(x) ? x : []);

function quotaCard(quota) {
  const hard = (quota && quota.hard) || {};
  const used = (quota && quota.used) || {};
  const keys = Object.keys(hard).sort();
  if (!keys.length) return section('Quota', 'quota-card', empty('No resource quota is set for your namespace.', 'quota-empty'));
  return section('Quota', 'quota-card',
    h('ul', { class: 'quota-list', testid: 'quota-list' }, keys.map((k) => quotaRow(k, used[k], hard[k]))));
}

function quotaRow(key, usedQ, hardQ) {
  const u = usage(usedQ, hardQ);
  const known = !Number.isNaN(u.percent);
  const pct = known ? Math.min(100, u.percent) : 0;
  const level = !known ? 'unknown' : u.percent >= 90 ? 'high' : u.percent >= 75 ? 'mid' : 'low';
  const usedText = usedQ === undefined || usedQ === null || usedQ === '' ? '0' : String(usedQ);
  const text = `${usedText} of ${hardQ}${known ? ` (${u.percent}%)` : ''}`;
  const fill = h('div', { class: `bar-fill bar-${level}` });
  fill.style.width = `${pct}%`; // CSSOM, allowed under style-src 'self'
  const labelId = `quota-label-${key.replace(/[^a-zA-Z0-9-]/g, '-')}`;
  return h('li', { class: 'quota-row', testid: `quota-${key}`, 'data-percent': known ? String(u.percent) : '' },
    h('div', { class: 'quota-head' },
      h('span', { id: labelId }, quotaLabel(key), key !== quotaLabel(key) ? h('span', { class: 'muted small mono' }, ` ${key}`) : null),
      h('span', { class: 'quota-value' }, text)),
    h('div', {
      class: 'bar', role: 'meter', 'aria-labelledby': labelId, 'aria-valuemin': '0', 'aria-valuemax': '100',
      'aria-valuenow': String(known ? Math.min(u.percent, 100) : 0), 'aria-valuetext': text,
    }, fill));
}

function exposedCard(routes) {
  const items = list(routes);
  if (!items.length) {
    return section('Exposed services', 'exposed-card',
      empty('Nothing in your namespace is reachable from the internet.', 'exposed-empty'),
      h('p', {}, h('a', { href: '#/expose' }, 'Expose a service…')));
  }
  return section('Exposed services', 'exposed-card',
    h('ul', { class: 'plain-list', testid: 'exposed-list' }, items.map((r) => {
      const href = safeHref(`https://${r.hostname}`);
      return h('li', { class: 'row', testid: `exposed-row-${r.name}` },
        h('span', { class: 'row-main' },
          href ? externalLink(href, href, { 'data-testid': `exposed-url-${r.name}` }) : h('span', { class: 'mono' }, String(r.hostname || '')),
          h('span', { class: 'muted small' }, ` → service ${r.service || '?'}`)),
        h('span', { class: 'muted small mono' }, r.name));
    })),
    h('p', {}, h('a', { href: '#/expose' }, 'Manage exposed services…')));
}

function table(testid, headers, rows) {
  // Each cell carries its column name, shown before the value when the table stacks on phones.
  for (const row of rows) [...row.children].forEach((cell, i) => cell.setAttribute('data-label', headers[i]));
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'data-table', testid },
      h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows)));
}

function statusChip(status) {
  const s = String(status || 'Unknown');
  const kind = /^(running|succeeded|ready|active|bound)$/i.test(s) ? 'ok'
    : /(pending|containercreating|init|terminating)/i.test(s) ? 'warn'
      : /(fail|error|crash|backoff|evicted|unknown)/i.test(s) ? 'bad' : 'neutral';
  return h('span', { class: `chip chip-${kind}` }, s);
}

function replicasChip(replicas) {
  const m = String(replicas || '').match(/^(\d+)\/(\d+)$/);
  const ok = m && m[1] === m[2] && m[2] !== '0';
  return h('span', { class: `chip chip-${ok ? 'ok' : 'warn'}` }, String(replicas || '?'));
}

function deploymentsCard(deps) {
  const items = list(deps);
  if (!items.length) return section('Deployments', 'deployments-card', empty('No deployments yet.', 'deployments-empty'));
  return section('Deployments', 'deployments-card', table('deployments-list', ['Name', 'Ready', 'Image', 'Created', 'Secrets used'],
    items.map((d) => h('tr', { testid: `deployment-row-${d.name}` },
      h('th', { scope: 'row', class: 'mono' }, d.name),
      h('td', {}, replicasChip(d.replicas)),
      h('td', { class: 'mono break' }, d.image || '—'),
      h('td', {}, d.age ? timeEl(d.age) : '—'),
      h('td', {}, list(d.secretRefs).length
        ? list(d.secretRefs).map((s) => h('span', { class: 'chip mono' }, s))
        : h('span', { class: 'muted' }, 'none'))))));
}

function podsCard(pods) {
  const items = list(pods);
  if (!items.length) return section('Pods', 'pods-card', empty('No pods are running.', 'pods-empty'));
  return section('Pods', 'pods-card', table('pods-list', ['Name', 'Status', 'Image', 'Restarts', 'Started'],
    items.map((p) => {
      const started = p.started_at || p.startTime || p.created_at || p.age;
      return h('tr', { testid: `pod-row-${p.name}` },
        h('th', { scope: 'row', class: 'mono break' }, p.name),
        h('td', {}, statusChip(p.status || p.phase)),
        h('td', { class: 'mono break' }, p.image || '—'),
        h('td', {}, p.restarts !== undefined ? String(p.restarts) : '—'),
        h('td', {}, started ? timeEl(started) : '—'));
    })));
}

function portText(p) {
  if (!p || typeof p !== 'object') return String(p);
  const target = p.targetPort !== undefined && String(p.targetPort) !== String(p.port) ? ` → ${p.targetPort}` : '';
  return `${p.port}${p.protocol ? `/${p.protocol}` : ''}${target}`;
}

function servicesCard(services) {
  const items = list(services);
  if (!items.length) return section('Services', 'services-card', empty('No services yet.', 'services-empty'));
  return section('Services', 'services-card', table('services-list', ['Name', 'Type', 'Ports'],
    items.map((s) => h('tr', { testid: `service-row-${s.name}` },
      h('th', { scope: 'row', class: 'mono' }, s.name),
      h('td', {}, s.type || 'ClusterIP'),
      h('td', { class: 'mono' }, list(s.ports).length ? list(s.ports).map(portText).join(', ') : '—')))));
}

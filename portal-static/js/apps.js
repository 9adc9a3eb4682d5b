// "Your apps": one card per app (a Deployment) saying in words whether it runs, where it is
// online (with a copy button), which secrets it uses, its recent logs on request, and a
// restart. The pure part (appState, podsOf, addressesOf) works on the namespace overview the
// server sends, which names each pod's app and each Service's apps; exported for unit tests.

import { api, seg, isSilent } from './api.js';
import { h, clear, section, empty, errorBox, busy, toast, confirmDialog, copyButton, loading, timeEl } from './dom.js';
import { safeHref } from './markdown.js';
import { addressLink } from './address.js';

const list = (x) => (Array.isArray(x) ? x : []);

/** The pods of one app: the server names each pod's app (by the app's selector). */
export function podsOf(app, pods) {
  return list(pods).filter((p) => p.app === app);
}

/**
 * The app's state in words: stopped (no copy wanted), running (all wanted copies ready),
 * failing (a copy failed or keeps restarting), or starting (anything in between).
 */
export function appState(deployment, pods) {
  const m = String(deployment.replicas || '').match(/^(\d+)\/(\d+)$/);
  const ready = m ? Number(m[1]) : 0;
  const wanted = m ? Number(m[2]) : 0;
  if (m && wanted === 0) return 'stopped';
  const failing = pods.some((p) => /^(failed|unknown)$/i.test(String(p.status || '')) || Number(p.restarts) >= 3);
  if (failing && ready < wanted) return 'failing';
  if (m && ready >= wanted) return 'running';
  return 'starting';
}

/** The exposures (IngressRoutes) of the Services that send traffic to an app. */
export function routesOf(app, routes, services) {
  const mine = new Set(list(services).filter((sv) => list(sv.apps).includes(app)).map((sv) => sv.name));
  return list(routes).filter((r) => mine.has(r.service) && r.hostname);
}

/** Public addresses of an app: exposures of the Services that send traffic to it. */
export function addressesOf(app, routes, services) {
  return routesOf(app, routes, services).map((r) => `https://${r.hostname}/`);
}

/** Restarts under way on this page: app name -> when it was asked (survives a reload of the list). */
const restarting = new Map();
/** How long an app may take to come back before the card says it did not. */
const BACK_UP_WITHIN_MS = 90_000;

const STATE_WORDS = {
  running: ['Running', 'ok'],
  starting: ['Starting', 'warn'],
  failing: ['Failing', 'bad'],
  stopped: ['Stopped', 'neutral'],
};

function logsBox(name, ctx) {
  const out = h('div', { testid: `app-logs-${name}` });
  const show = h('button', { type: 'button', class: 'btn btn-small', testid: `app-logs-show-${name}`, 'aria-expanded': 'false' }, 'Show recent logs');
  async function load() {
    clear(out).append(loading('Loading the logs…'));
    try {
      const { data } = await api.get(`/namespace/deployments/${seg(name)}/logs`, { signal: ctx.signal });
      const lines = list(data && data.lines);
      clear(out).append(lines.length
        ? h('pre', { class: 'logs', tabindex: '0', 'aria-label': `Recent logs of ${name}` }, lines.join('\n'))
        : empty('Nothing logged yet.', `app-logs-empty-${name}`));
    } catch (e) {
      if (!isSilent(e)) clear(out).append(errorBox(e, { retry: load, title: `Could not load the logs of ${name}` }));
    }
  }
  show.addEventListener('click', () => {
    const open = show.getAttribute('aria-expanded') !== 'true';
    show.setAttribute('aria-expanded', String(open));
    show.textContent = open ? 'Hide logs' : 'Show recent logs';
    if (open) load(); else clear(out);
  });
  return { show, out };
}

function appCard(d, ns, ctx, reload) {
  const name = String(d.name || '');
  const state = appState(d, podsOf(name, ns.pods));
  const [words, kind] = STATE_WORDS[state];
  const addresses = addressesOf(name, ns.ingressRoutes, ns.services);
  const secrets = list(d.secretRefs);
  const logs = logsBox(name, ctx);
  const restart = h('button', { type: 'button', class: 'btn btn-small', testid: `app-restart-${name}` }, 'Restart');
  const problem = h('div');
  const progress = restartProgress(name, state, d.restartedAt);
  restart.addEventListener('click', async () => {
    const ok = await confirmDialog({
      title: `Restart ${name}?`,
      message: `${name} starts again from the beginning. It may be unreachable for a few seconds.`,
      confirmLabel: 'Restart',
    });
    if (!ok) return;
    try {
      await busy(restart, () => api.post(`/namespace/deployments/${seg(name)}/restart`, {}, { signal: ctx.signal }));
      clear(problem);
      restarting.set(name, Date.now());
      toast(`${name} is restarting.`);
      followRestart(name, ctx, reload);
    } catch (e) {
      if (!isSilent(e)) clear(problem).append(errorBox(e, { title: `Could not restart ${name}` }));
    }
  });
  const routes = routesOf(name, ns.ingressRoutes, ns.services);
  const online = addresses.length
    ? [addresses.map((url) => h('span', { class: 'app-address' },
      safeHref(url) ? addressLink(url) : url, ' ',
      copyButton(() => url, { label: `Copy the address of ${name}`, testid: `app-copy-${name}` }))),
    routes.map((r) => takeDownButton(r, name, ctx, reload))]
    : h('span', { class: 'muted' }, 'Not online yet. ',
      h('a', { href: `#/expose/${encodeURIComponent(name)}`, testid: `app-put-online-${name}` }, 'Put it online'));
  const title = h('h3', { class: 'item-title', id: `app-title-${name}`, tabindex: '-1' }, name);
  return h('li', { class: 'item app-card', testid: `app-${name}`, 'data-anchor': name },
    h('div', { class: 'item-head' },
      title,
      h('span', { class: `chip chip-${kind}`, testid: `app-state-${name}`, 'data-state': state }, words)),
    h('dl', { class: 'facts compact' },
      h('div', {}, h('dt', {}, 'Online at'), h('dd', { testid: `app-address-${name}` }, online)),
      h('div', {}, h('dt', {}, 'Secrets it uses'), h('dd', { testid: `app-secrets-${name}` },
        secrets.length
          ? secrets.map((s) => h('a', { class: 'chip chip-link', href: `#/secrets/${encodeURIComponent(s)}` }, s))
          : h('span', { class: 'muted' }, 'none')))),
    progress,
    h('div', { class: 'actions' }, logs.show, restart),
    problem,
    logs.out);
}

/** "Take the address down": the exposure goes, the app keeps running. */
function takeDownButton(route, app, ctx, reload) {
  const short = String(route.name || '').replace(/^expose-/, '');
  const button = h('button', { type: 'button', class: 'btn btn-small btn-danger-quiet', testid: `app-take-down-${app}` }, 'Take the address down');
  button.addEventListener('click', async () => {
    const ok = await confirmDialog({
      title: `Take ${route.hostname} down?`,
      message: `The address stops working. ${app} itself keeps running; you can put it online again later.`,
      confirmLabel: 'Take it down',
      danger: true,
    });
    if (!ok) return;
    try {
      await busy(button, () => api.del(`/namespace/expose/${seg(short)}`, { signal: ctx.signal }));
      toast(`${route.hostname} is no longer online.`);
      reload();
    } catch (e) {
      if (!isSilent(e)) button.after(errorBox(e, { title: `Could not take ${route.hostname} down` }));
    }
  });
  return button;
}

/**
 * The line under an app after a restart: restarting, back up, or not back up after a while;
 * and when it was last restarted (the server's restartedAt, or the click on this page).
 */
function restartProgress(name, state, restartedAt) {
  const asked = restarting.get(name);
  const box = h('p', { class: 'restart-line', testid: `app-restart-status-${name}`, role: 'status' });
  if (asked) {
    const waited = Date.now() - asked;
    if (state === 'running' && waited > 1500) {
      restarting.delete(name);
      box.append(h('span', { class: 'chip chip-ok' }, 'Back up'), ' ');
    } else if (waited > BACK_UP_WITHIN_MS) {
      restarting.delete(name);
      box.append(h('span', { class: 'chip chip-bad' }, 'Not back up'), ' It has not come back after a minute and a half. Its recent logs may say why; your agent can help. ');
    } else {
      box.append(h('span', { class: 'chip chip-warn' }, 'Restarting…'), ' ');
    }
  }
  const when = restartedAt || (asked ? new Date(asked).toISOString() : null);
  if (when) box.append(h('span', { class: 'muted' }, 'Last restarted ', timeEl(when), '.'));
  return box.childNodes.length ? box : null;
}

/** Reloads the apps every few seconds while a restart is under way (bounded by BACK_UP_WITHIN_MS). */
async function followRestart(name, ctx, reload) {
  reload();
  for (let waited = 0; waited <= BACK_UP_WITHIN_MS + 3000; waited += 3000) {
    await new Promise((resolve) => { setTimeout(resolve, 3000); });
    if (ctx.signal.aborted || !restarting.has(name)) return;
    reload();
  }
}

/** The "Your apps" section, first on the view. */
export function appsSection(ns, ctx, reload) {
  const deployments = list(ns.deployments).filter((d) => d && d.name);
  if (!deployments.length) {
    return section('Apps', 'apps-card', empty('No apps yet. Your agent can set one up for you: ask it, for example, to run a small website. It then shows here.', 'apps-empty'));
  }
  return section('Apps', 'apps-card',
    h('ul', { class: 'plain-list stack', testid: 'apps-list' }, deployments.map((d) => appCard(d, ns, ctx, reload))));
}

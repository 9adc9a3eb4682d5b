// Put an app (a service of the friend's namespace) online at a public address
// <name>-<friend id>.<domain>, and take addresses down again. Opened from an app's card
// (#/expose/<app>) it starts on that app. The port is chosen for them (under Advanced when
// there is a choice); the suggested name leaves the friend's id out, since the address adds
// it. Only the domains the operator configured are offered; with none, the view says putting
// apps online is not set up and shows no form. IngressRoutes are listed as "expose-<name>";
// DELETE takes <name>.

import { api, seg, isSilent } from './api.js';
import { h, clear, loading, errorBox, viewHeading, section, empty, field, toast, busy, confirmDialog, copyButton } from './dom.js';
import { safeHref } from './markdown.js';
import { fillAddress, addressLink } from './address.js';

const NAME_RE = /^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$/;
const PREFIX = 'expose-';

/**
 * The name to suggest for an app's address: its name without the friend's id (the address
 * ends in "-<friend id>" already: "alice-writes" gives "writes", not "alice-writes-alice"),
 * cut to 20 characters; "site" when nothing is left.
 */
export function suggestedName(appName, friendId) {
  const id = String(friendId || '').toLowerCase();
  const words = String(appName || '').toLowerCase().replace(/[^a-z0-9-]/g, '-').split('-').filter(Boolean);
  const kept = words.filter((w) => w !== id);
  const out = kept.join('-').slice(0, 20).replace(/-+$/, '');
  return out || 'site';
}

export function render(root, ctx) {
  const body = h('div', { class: 'stack' });
  root.append(
    viewHeading('Put an app online'),
    h('p', { class: 'lead' }, 'Give one of your apps a public web address. Anyone who knows the address can open it, so only put online what is meant to be public.'),
    body,
  );

  const listBox = h('div');

  // Only the list of current exposures; the form (and its result message) stays as it is.
  async function refreshList() {
    try {
      const { data } = await api.get('/namespace', { signal: ctx.signal });
      clear(listBox).append(currentList(ctx, routesOf(data), refreshList));
    } catch (e) {
      if (!isSilent(e)) clear(listBox).append(errorBox(e, { retry: refreshList, title: 'Could not refresh the list of public addresses' }));
    }
  }

  async function load() {
    clear(body).append(loading('Loading your apps and addresses…'));
    try {
      const [profile, ns, domains] = await Promise.all([
        ctx.me(),
        api.get('/namespace', { signal: ctx.signal }).then((r) => r.data || {}),
        api.get('/domains', { signal: ctx.signal }).then((r) => r.data),
      ]);
      const services = Array.isArray(ns.services) ? ns.services : [];
      const doms = (Array.isArray(domains) ? domains : []).map((d) => (typeof d === 'string' ? d : d && d.domain)).filter(Boolean);
      const routes = routesOf(ns);
      clear(listBox).append(currentList(ctx, routes, refreshList));
      if (!doms.length) {
        // Nothing can be exposed: say so, and list only addresses left from before.
        clear(body).append(notSetUp(), ...(routes.length ? [listBox] : []));
        return;
      }
      clear(body).append(exposeForm(ctx, profile.id, services, doms, refreshList, ctx.target), listBox);
    } catch (e) {
      if (!isSilent(e)) clear(body).append(errorBox(e, { retry: load, title: 'Could not load what is needed to expose an app' }));
    }
  }
  load();
}

/** The operator has configured no domain: no form, just what to do about it. */
function notSetUp() {
  return h('div', { class: 'notice notice-warn', testid: 'expose-no-domains' },
    h('h2', { class: 'notice-title' }, 'Putting apps online is not set up yet'),
    h('p', {}, 'This portal has no web address for apps yet: the person who runs it has to choose one first. Ask them (or your agent) to set it up; then you can come back here and put an app online.'));
}

function routesOf(ns) {
  return ns && Array.isArray(ns.ingressRoutes) ? ns.ingressRoutes : [];
}

function option(value, text) {
  return h('option', { value: String(value) }, text);
}

/** What an app is called for the friend: the apps behind a Service, or its own name. */
function appNameOf(service) {
  const apps = Array.isArray(service.apps) ? service.apps.filter(Boolean) : [];
  return apps.length ? apps.join(', ') : String(service.name);
}

function exposeForm(ctx, friendId, services, domains, reload, target) {
  if (!services.length) {
    return section('Choose an app', 'expose-form-card',
      empty('You have no app that can be put online yet. Once your agent has set one up for you, you can give it a public address here.', 'expose-no-services'));
  }

  const serviceSel = h('select', { testid: 'expose-service', required: true }, services.map((s) => option(s.name, appNameOf(s))));
  // Opened from an app's card: that app (the Service in front of it, or one of its name).
  const wanted = target && (services.find((s) => Array.isArray(s.apps) && s.apps.includes(target)) || services.find((s) => s.name === target));
  if (wanted) serviceSel.value = wanted.name;
  const portSel = h('select', { testid: 'expose-port', required: true });
  const portInput = h('input', { type: 'number', min: '1', max: '65535', inputmode: 'numeric', testid: 'expose-port-number', hidden: true });
  const nameInput = h('input', { type: 'text', maxlength: '20', required: true, autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', testid: 'expose-name' });
  const domainSel = h('select', { testid: 'expose-domain', required: true }, domains.map((d) => option(d, d)));
  const preview = h('output', { class: 'hostname-preview mono', testid: 'expose-hostname-preview', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'expose-submit' }, 'Put it online');
  const result = h('div', { testid: 'expose-result', hidden: true, role: 'status' });

  const serviceField = field({ label: 'App', control: serviceSel });
  const portField = field({ label: 'Port', control: portSel, hint: 'Where the app listens; the one chosen is usually right.' });
  const nameField = field({ label: 'Name in the address', control: nameInput, hint: '1–20 characters: lowercase letters, digits and hyphens (not at the start or end).' });
  const domainField = field({ label: 'Ends in', control: domainSel });
  portField.wrap.append(portInput);
  const portId = portSel.id;
  preview.setAttribute('for', [serviceSel.id, nameInput.id, domainSel.id].join(' '));

  let nameTouched = false;

  function currentService() {
    return services.find((s) => s.name === serviceSel.value) || services[0];
  }

  function fillPorts() {
    const ports = Array.isArray(currentService().ports) ? currentService().ports : [];
    clear(portSel);
    if (ports.length) {
      portSel.hidden = false;
      portSel.disabled = false;
      portInput.hidden = true;
      portSel.append(...ports.map((p) => option(p.port, `${p.port}${p.name ? ` (${p.name})` : ''}`)));
      portInput.id = `${portId}-number`;
      portSel.id = portId;
    } else {
      // A service without declared ports: let the friend type the port.
      portSel.hidden = true;
      portSel.disabled = true;
      portInput.hidden = false;
      portSel.id = `${portId}-select`;
      portInput.id = portId;
    }
  }

  function suggestName() {
    if (nameTouched) return;
    const s = currentService();
    const apps = Array.isArray(s.apps) && s.apps.length ? s.apps : [s.name];
    nameInput.value = suggestedName(apps[0], friendId);
  }

  function hostname() {
    return `${nameInput.value || '<name>'}-${friendId}.${domainSel.value}`;
  }

  function update() {
    const lower = nameInput.value.toLowerCase();
    if (lower !== nameInput.value) {
      const pos = nameInput.selectionStart;
      nameInput.value = lower;
      nameInput.setSelectionRange(pos, pos);
    }
    const valid = NAME_RE.test(nameInput.value);
    nameField.setError(nameInput.value && !valid ? 'Use 1–20 lowercase letters, digits or hyphens, not starting or ending with a hyphen.' : '');
    fillAddress(preview, `https://${hostname()}`);
  }

  serviceSel.addEventListener('change', () => { fillPorts(); suggestName(); update(); });
  nameInput.addEventListener('input', () => { nameTouched = true; update(); });
  domainSel.addEventListener('change', update);
  fillPorts();
  suggestName();
  update();

  // Ports are for whoever set the app up: chosen for the friend, changeable under Advanced.
  const advanced = h('details', { class: 'advanced', testid: 'expose-advanced' },
    h('summary', {}, 'Advanced: which port'), portField.wrap);
  const form = h('form', { class: 'stack', testid: 'expose-form', novalidate: true },
    serviceField.wrap, nameField.wrap, domainField.wrap, advanced,
    h('div', { class: 'preview-box' }, h('span', { class: 'muted small' }, 'Public address'), preview),
    h('div', { class: 'actions' }, submit), result);

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    update();
    if (!NAME_RE.test(nameInput.value)) {
      nameField.setError('Use 1–20 lowercase letters, digits or hyphens, not starting or ending with a hyphen.');
      nameInput.focus();
      return;
    }
    const port = Number(portSel.hidden ? portInput.value : portSel.value);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      advanced.open = true;
      portField.setError('Choose a port between 1 and 65535.');
      (portSel.hidden ? portInput : portSel).focus();
      return;
    }
    portField.setError('');
    const body = { name: nameInput.value, service: serviceSel.value, port, domain: domainSel.value };
    const ok = await confirmDialog({
      title: 'Put this app online?',
      message: h('div', {},
        h('p', {}, `${appNameOf(currentService())} will be open to anyone at:`),
        fillAddress(h('p', { class: 'mono' }), `https://${hostname()}`)),
      confirmLabel: 'Put it online',
    });
    if (!ok) return;
    try {
      const res = await busy(submit, () => api.post('/namespace/expose', body, { signal: ctx.signal }));
      const data = res.data || {};
      const href = safeHref(data.url) || safeHref(`https://${data.hostname || hostname()}`);
      result.className = 'notice notice-ok';
      clear(result).append(...exposedMessage(href, data.hostname || hostname()));
      result.hidden = false;
      nameTouched = false;
      reload();
    } catch (e) {
      if (isSilent(e)) return;
      clear(result).append(errorBox(e, { title: 'Could not put the app online' }));
      result.className = '';
      result.hidden = false;
    }
  });

  return section('Choose an app', 'expose-form-card', form);
}

/** After exposing: the address, with Copy and Open (a new tab), wrapping between its parts. */
function exposedMessage(href, hostname) {
  if (!href) return [h('p', {}, `Your app is now online at ${hostname}.`)];
  return [
    h('p', { class: 'notice-title' }, 'Your app is online'),
    h('p', { class: 'exposed-address mono' }, addressLink(href, { 'data-testid': 'expose-result-url' })),
    h('div', { class: 'actions' },
      copyButton(() => href, { label: 'Copy the address', testid: 'expose-result-copy' }),
      h('a', { class: 'btn btn-small', href, target: '_blank', rel: 'noopener noreferrer', testid: 'expose-result-open' }, 'Open')),
    h('p', { class: 'hint' }, 'It can take a minute or two before the address works everywhere.'),
  ];
}

function currentList(ctx, routes, reload) {
  if (!routes.length) {
    return section('Public addresses', 'expose-current', empty('None of your apps is online yet. Choose an app above to give it an address.', 'expose-list-empty'));
  }
  return section('Public addresses', 'expose-current',
    h('ul', { class: 'plain-list', testid: 'expose-list' }, routes.map((r) => {
      const short = String(r.name || '').startsWith(PREFIX) ? r.name.slice(PREFIX.length) : String(r.name || '');
      const href = safeHref(`https://${r.hostname}`);
      const remove = h('button', { type: 'button', class: 'btn btn-small btn-danger-quiet', testid: `expose-remove-${short}`, 'aria-label': `Take down ${r.hostname}` }, 'Take down');
      remove.addEventListener('click', async () => {
        const ok = await confirmDialog({
          title: `Take ${r.hostname} down?`,
          message: `The address https://${r.hostname} will stop working. The app itself keeps running; only the public address goes.`,
          confirmLabel: 'Take it down',
          danger: true,
        });
        if (!ok) return;
        try {
          await busy(remove, () => api.del(`/namespace/expose/${seg(short)}`, { signal: ctx.signal }));
          toast(`${r.hostname} is no longer online.`);
          reload();
        } catch (e) {
          if (isSilent(e)) return;
          remove.closest('li').append(errorBox(e, { title: `Could not take ${r.hostname} down` }));
        }
      });
      return h('li', { class: 'row', testid: `expose-row-${short}` },
        h('span', { class: 'row-main' },
          href ? addressLink(href) : h('span', { class: 'mono' }, String(r.hostname || '')),
          h('span', { class: 'muted small' }, ` for ${r.service || '?'}`)),
        remove);
    })));
}

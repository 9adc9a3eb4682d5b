// Expose a service of the namespace on a public hostname <name>-<friend id>.<domain>, and
// remove existing exposures. IngressRoutes are listed as "expose-<name>"; DELETE takes <name>.

import { api, seg, isSilent } from './api.js';
import { h, clear, loading, errorBox, viewHeading, section, empty, field, toast, busy, confirmDialog } from './dom.js';
import { externalLink, safeHref } from './markdown.js';

const NAME_RE = /^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$/;
const PREFIX = 'expose-';

export function render(root, ctx) {
  const body = h('div', { class: 'stack' });
  root.append(
    viewHeading('Expose a service'),
    h('p', { class: 'lead' }, 'Make a service in your namespace reachable from the internet over HTTPS. Anyone who knows the address can reach it, so only expose what is meant to be public.'),
    body,
  );

  const listBox = h('div');

  // Only the list of current exposures; the form (and its result message) stays as it is.
  async function refreshList() {
    try {
      const { data } = await api.get('/namespace', { signal: ctx.signal });
      clear(listBox).append(currentList(ctx, routesOf(data), refreshList));
    } catch (e) {
      if (!isSilent(e)) clear(listBox).append(errorBox(e, { retry: refreshList, title: 'Could not refresh the list of exposed services' }));
    }
  }

  async function load() {
    clear(body).append(loading('Loading your services and domains…'));
    try {
      const [profile, ns, domains] = await Promise.all([
        ctx.me(),
        api.get('/namespace', { signal: ctx.signal }).then((r) => r.data || {}),
        api.get('/domains', { signal: ctx.signal }).then((r) => r.data),
      ]);
      const services = Array.isArray(ns.services) ? ns.services : [];
      const doms = (Array.isArray(domains) ? domains : []).map((d) => (typeof d === 'string' ? d : d && d.domain)).filter(Boolean);
      clear(listBox).append(currentList(ctx, routesOf(ns), refreshList));
      clear(body).append(exposeForm(ctx, profile.id, services, doms, refreshList), listBox);
    } catch (e) {
      if (!isSilent(e)) clear(body).append(errorBox(e, { retry: load, title: 'Could not load what is needed to expose a service' }));
    }
  }
  load();
}

function routesOf(ns) {
  return ns && Array.isArray(ns.ingressRoutes) ? ns.ingressRoutes : [];
}

function option(value, text) {
  return h('option', { value: String(value) }, text);
}

function exposeForm(ctx, friendId, services, domains, reload) {
  if (!services.length) {
    return section('New exposure', 'expose-form-card',
      empty('Your namespace has no services yet, so there is nothing to expose. Ask your agent to deploy something first.', 'expose-no-services'));
  }
  if (!domains.length) {
    return section('New exposure', 'expose-form-card',
      empty('No domains are available for exposing services right now. Ask your agent or the operator to set one up.', 'expose-no-domains'));
  }

  const serviceSel = h('select', { testid: 'expose-service', required: true }, services.map((s) => option(s.name, s.name)));
  const portSel = h('select', { testid: 'expose-port', required: true });
  const portInput = h('input', { type: 'number', min: '1', max: '65535', inputmode: 'numeric', testid: 'expose-port-number', hidden: true });
  const nameInput = h('input', { type: 'text', maxlength: '20', required: true, autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', testid: 'expose-name' });
  const domainSel = h('select', { testid: 'expose-domain', required: true }, domains.map((d) => option(d, d)));
  const preview = h('output', { class: 'hostname-preview mono', testid: 'expose-hostname-preview', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'expose-submit' }, 'Review and expose');
  const result = h('div', { testid: 'expose-result', hidden: true, role: 'status' });

  const serviceField = field({ label: 'Service', control: serviceSel });
  const portField = field({ label: 'Port', control: portSel, hint: 'The service port that receives the traffic.' });
  const nameField = field({ label: 'Name', control: nameInput, hint: '1–20 characters: lowercase letters, digits and hyphens (not at the start or end). It becomes part of the address.' });
  const domainField = field({ label: 'Domain', control: domainSel });
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
      portSel.append(...ports.map((p) => option(p.port, `${p.port}${p.protocol ? `/${p.protocol}` : ''}${p.name ? ` (${p.name})` : ''}`)));
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
    nameInput.value = currentService().name.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 20).replace(/^-+|-+$/g, '');
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
    preview.textContent = `https://${hostname()}`;
  }

  serviceSel.addEventListener('change', () => { fillPorts(); suggestName(); update(); });
  nameInput.addEventListener('input', () => { nameTouched = true; update(); });
  domainSel.addEventListener('change', update);
  fillPorts();
  suggestName();
  update();

  const form = h('form', { class: 'stack', testid: 'expose-form', novalidate: true },
    serviceField.wrap, portField.wrap, nameField.wrap, domainField.wrap,
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
      portField.setError('Choose a port between 1 and 65535.');
      (portSel.hidden ? portInput : portSel).focus();
      return;
    }
    portField.setError('');
    const body = { name: nameInput.value, service: serviceSel.value, port, domain: domainSel.value };
    const ok = await confirmDialog({
      title: 'Expose this service publicly?',
      message: h('div', {},
        h('p', {}, `Service "${body.service}", port ${port}, will be reachable by anyone at:`),
        h('p', { class: 'mono break' }, `https://${hostname()}`)),
      confirmLabel: 'Expose',
    });
    if (!ok) return;
    try {
      const res = await busy(submit, () => api.post('/namespace/expose', body, { signal: ctx.signal }));
      const data = res.data || {};
      const href = safeHref(data.url) || safeHref(`https://${data.hostname || hostname()}`);
      result.className = 'notice notice-ok';
      clear(result).append(
        h('p', { class: 'notice-title' }, 'Exposed'),
        h('p', {}, 'Your service is now public at ', href ? externalLink(href, href, { 'data-testid': 'expose-result-url' }) : String(data.hostname || ''),
          '. DNS can take a minute or two to reach everyone.'));
      result.hidden = false;
      toast(`Exposed at ${data.hostname || hostname()}.`);
      nameTouched = false;
      reload();
    } catch (e) {
      if (isSilent(e)) return;
      clear(result).append(errorBox(e, { title: 'Could not expose the service' }));
      result.className = '';
      result.hidden = false;
      toast(`Could not expose the service: ${e.message}`, 'error');
    }
  });

  return section('New exposure', 'expose-form-card', form);
}

function currentList(ctx, routes, reload) {
  if (!routes.length) {
    return section('Currently exposed', 'expose-current', empty('Nothing is exposed yet.', 'expose-list-empty'));
  }
  return section('Currently exposed', 'expose-current',
    h('ul', { class: 'plain-list', testid: 'expose-list' }, routes.map((r) => {
      const short = String(r.name || '').startsWith(PREFIX) ? r.name.slice(PREFIX.length) : String(r.name || '');
      const href = safeHref(`https://${r.hostname}`);
      const remove = h('button', { type: 'button', class: 'btn btn-small btn-danger-quiet', testid: `expose-remove-${short}`, 'aria-label': `Remove ${r.hostname}` }, 'Remove');
      remove.addEventListener('click', async () => {
        const ok = await confirmDialog({
          title: `Stop exposing ${r.hostname}?`,
          message: `The address https://${r.hostname} will stop working and its DNS record is deleted. The service itself keeps running inside your namespace.`,
          confirmLabel: 'Remove exposure',
          danger: true,
        });
        if (!ok) return;
        try {
          await busy(remove, () => api.del(`/namespace/expose/${seg(short)}`, { signal: ctx.signal }));
          toast(`${r.hostname} is no longer exposed.`);
          reload();
        } catch (e) {
          if (isSilent(e)) return;
          remove.closest('li').append(errorBox(e, { title: `Could not remove ${r.hostname}` }));
          toast(`Could not remove ${r.hostname}: ${e.message}`, 'error');
        }
      });
      return h('li', { class: 'row', testid: `expose-row-${short}` },
        h('span', { class: 'row-main' },
          href ? externalLink(href, href) : h('span', { class: 'mono' }, String(r.hostname || '')),
          h('span', { class: 'muted small' }, ` → service ${r.service || '?'}`)),
        remove);
    })));
}

// Secrets (API keys and passwords the friend's apps can use): the list shows names and keys,
// each value masked until revealed or copied on its own, and the apps that use each (linked to
// their cards, as the cards link here); create, edit (replace all key/value pairs, masked too)
// and delete after a confirmation that names the apps using the secret.

import { api, seg, isSilent } from './api.js';
import { h, clear, loading, errorBox, viewHeading, section, empty, field, toast, busy, confirmDialog, timeEl, copyButton, plainError } from './dom.js';
import { kvEditor, looksLikeSecret, variableName } from './secret-kv-editor.js';
import { showTarget } from './view-namespace.js';

const NAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function render(root, ctx) {
  const listBox = h('div', { class: 'stack' });
  const createBox = h('div');
  root.append(
    viewHeading('Secrets'),
    h('p', { class: 'lead' }, 'API keys and passwords your apps can use. Values stay hidden until you ask to see or copy one.'),
    section('Your secrets', 'secrets-section', listBox),
    createBox,
  );
  createBox.append(createForm(ctx, load));

  let first = true;
  async function load() {
    clear(listBox).append(loading('Loading your secrets…'));
    try {
      const [{ data }, ns] = await Promise.all([
        api.get('/secrets', { signal: ctx.signal }),
        // Which apps use each secret; without it the rows just do not say.
        api.get('/namespace', { signal: ctx.signal }).then((r) => r.data || {}).catch((e) => {
          if (e && e.name === 'AbortError') throw e;
          return null;
        }),
      ]);
      clear(listBox);
      const items = Array.isArray(data) ? data : [];
      if (!items.length) {
        listBox.append(empty('You have no secrets yet. A secret keeps API keys or passwords safe for your apps: give it a name and its values in the form below.', 'secrets-empty'));
        return;
      }
      listBox.append(h('ul', { class: 'plain-list', testid: 'secrets-list' }, items.map((s) => secretRow(s, ctx, load, ns))));
      if (first && ctx.target) showTarget(listBox, ctx.target);
      first = false;
    } catch (e) {
      if (!isSilent(e)) clear(listBox).append(errorBox(e, { retry: load, title: 'Could not load your secrets' }));
    }
  }
  load();
}

/** Why a secret's name is refused, in words, or '' when it is fine. */
export function secretNameProblem(n) {
  if (!n) return 'Give it a name, such as openai or mail-password.';
  if (looksLikeSecret(n)) return 'This looks like the key itself, not a name. Paste it in the Value field below, and give it a name such as openai.';
  if (!NAME_RE.test(n) || n.length > 63) return 'Use lowercase letters, digits and hyphens, such as openai or mail-password.';
  return '';
}

function createForm(ctx, reload) {
  const name = h('input', { type: 'text', required: true, maxlength: '63', autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', testid: 'secret-create-name' });
  const nameField = field({ label: 'Name', control: name, hint: 'What it is for, such as openai or mail-password: a label, not the key itself.' });
  const kv = kvEditor('secret-create', null, { defaultKey: () => variableName(name.value.trim()) });
  name.addEventListener('input', () => kv.refresh());
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'secret-create-submit' }, 'Save secret');
  const form = h('form', { class: 'stack', testid: 'secret-create-form', novalidate: true },
    nameField.wrap, kv.el, h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const n = name.value.trim();
    const problem = secretNameProblem(n);
    nameField.setError(problem);
    if (problem) { name.focus(); return; }
    const parsed = kv.read();
    if (parsed.error) return;
    try {
      await busy(submit, () => api.post('/secrets', { name: n, data: parsed.data }, { signal: ctx.signal }));
      toast(`The secret ${n} is saved.`);
      const fresh = createForm(ctx, reload);
      form.closest('section').replaceWith(fresh);
      reload();
    } catch (e) {
      if (isSilent(e)) return;
      nameField.setError(e.status === 409 ? 'You already have a secret with this name. Choose another name, or edit that one.' : plainError(e));
      name.focus();
    }
  });
  return section('Add an API key or password', 'secret-create', form);
}

/** Which apps use the secret, each linked to its card; or how an app gets to use it. */
function usedBy(name, keys, ns) {
  if (!ns) return null;
  const apps = appsUsing(ns, name);
  if (apps.length) {
    return h('p', { class: 'small', testid: `secret-apps-${name}` }, 'Used by ',
      apps.map((a, i) => [i ? ', ' : '', h('a', { href: `#/namespace/${encodeURIComponent(a)}` }, a)]), '.');
  }
  const as = keys.length ? keys[0] : 'API_KEY';
  return h('p', { class: 'muted small', testid: `secret-apps-${name}` },
    `No app uses it yet. To use it, ask your agent to give it to your app, for example: "Let my app use the secret ${name} as ${as}."`);
}

/** The apps (deployments) whose pods read the secret `name`, from the namespace data. */
function appsUsing(ns, name) {
  const deployments = ns && Array.isArray(ns.deployments) ? ns.deployments : [];
  return deployments
    .filter((d) => Array.isArray(d.secretRefs) && d.secretRefs.includes(name))
    .map((d) => String(d.name));
}

/** What deleting `name` does to the apps, in one sentence (asked fresh when Delete is clicked). */
async function usageSentence(name, ctx) {
  try {
    const { data } = await api.get('/namespace', { signal: ctx.signal });
    const apps = appsUsing(data, name);
    return apps.length ? `Used by: ${apps.join(', ')}. They may stop working.` : 'No app uses it.';
  } catch (e) {
    if (isSilent(e)) throw e;
    return 'Could not check which apps use it. Apps that use it may stop working.';
  }
}

/**
 * One key of a listed secret: its name, the value masked until Show, and Copy. values() gives
 * the secret's values, fetched once for the row when first asked.
 */
function keyLine(name, key, values) {
  const slot = h('span', { class: 'secret-key-value' });
  const masked = () => clear(slot).append(
    h('span', { class: 'secret-dots', 'aria-hidden': 'true' }, '••••••••'),
    h('span', { class: 'visually-hidden' }, 'hidden'));
  masked();
  const show = h('button', { type: 'button', class: 'btn btn-small', 'aria-pressed': 'false', 'aria-label': `Show ${key}`, testid: `secret-reveal-${name}-${key}` }, 'Show');
  show.addEventListener('click', async () => {
    if (show.getAttribute('aria-pressed') === 'true') {
      masked();
      show.textContent = 'Show';
      show.setAttribute('aria-pressed', 'false');
      show.setAttribute('aria-label', `Show ${key}`);
      return;
    }
    try {
      const all = await busy(show, values);
      const value = Object.prototype.hasOwnProperty.call(all, key) ? String(all[key]) : null;
      clear(slot).append(value === null
        ? h('span', { class: 'muted' }, 'no longer there: reload the page')
        : h('code', { class: 'secret-plain', testid: `secret-value-${name}-${key}` }, value));
      show.textContent = 'Hide';
      show.setAttribute('aria-pressed', 'true');
      show.setAttribute('aria-label', `Hide ${key}`);
    } catch (e) {
      if (!isSilent(e)) toast(`Could not show the value. ${plainError(e)}`, 'error');
    }
  });
  const copy = copyButton(async () => {
    const all = await values();
    if (!Object.prototype.hasOwnProperty.call(all, key)) throw new Error('gone');
    return all[key];
  }, { label: `Copy ${key}`, testid: `secret-copy-${name}-${key}` });
  return h('li', { class: 'secret-key' },
    h('span', { class: 'mono secret-key-name' }, key),
    slot,
    h('span', { class: 'secret-key-actions' }, show, copy));
}

function secretRow(s, ctx, reload, ns) {
  const name = s.name;
  const keys = Array.isArray(s.keys) ? s.keys : [];
  const detail = h('div', { class: 'secret-detail' });
  const edit = h('button', { type: 'button', class: 'btn btn-small', testid: `secret-edit-${name}`, 'aria-label': `Edit ${name}` }, 'Edit');
  const del = h('button', { type: 'button', class: 'btn btn-small btn-danger-quiet', testid: `secret-delete-${name}`, 'aria-label': `Delete ${name}` }, 'Delete');

  async function fetchValues() {
    const { data } = await api.get(`/secrets/${seg(name)}`, { signal: ctx.signal });
    return data && data.data && typeof data.data === 'object' ? data.data : {};
  }
  // One read of the values for the whole row, on the first Show or Copy; a failed read is retried.
  let cached = null;
  const values = () => {
    if (!cached) cached = fetchValues().catch((e) => { cached = null; throw e; });
    return cached;
  };

  edit.addEventListener('click', async () => {
    clear(detail).append(loading('Loading values…'));
    let current;
    try {
      current = await busy(edit, fetchValues);
    } catch (e) {
      if (!isSilent(e)) clear(detail).append(errorBox(e, { title: `Could not read "${name}"` }));
      return;
    }
    const kv = kvEditor('secret-edit', current);
    const save = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'secret-edit-submit' }, 'Save changes');
    const cancel = h('button', { type: 'button', class: 'btn', testid: 'secret-edit-cancel' }, 'Cancel');
    const form = h('form', { class: 'stack edit-form', testid: `secret-edit-form-${name}`, 'aria-label': `Edit secret ${name}`, novalidate: true },
      h('p', { class: 'hint' }, 'Saving replaces all values of this secret with the ones below. Apps that use it may need a restart to see the change.'),
      kv.el, h('div', { class: 'actions' }, save, cancel));
    cancel.addEventListener('click', () => { clear(detail); edit.focus(); });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const parsed = kv.read();
      if (parsed.error) return;
      try {
        await busy(save, () => api.put(`/secrets/${seg(name)}`, { data: parsed.data }, { signal: ctx.signal }));
        toast(`The secret ${name} is saved.`);
        reload();
      } catch (e) {
        if (isSilent(e)) return;
        form.prepend(errorBox(e, { title: `Could not update "${name}"` }));
      }
    });
    clear(detail).append(form);
    kv.focusFirst();
  });

  del.addEventListener('click', async () => {
    let usage;
    try {
      usage = await busy(del, () => usageSentence(name, ctx));
    } catch {
      return;
    }
    const ok = await confirmDialog({
      title: `Delete secret "${name}"?`,
      message: h('div', {},
        h('p', { testid: 'secret-delete-usage' }, usage),
        h('p', {}, `This deletes "${name}" and its ${keys.length === 1 ? 'value' : `${keys.length} values`} for good.`)),
      confirmLabel: 'Delete secret',
      danger: true,
    });
    if (!ok) return;
    try {
      await busy(del, () => api.del(`/secrets/${seg(name)}`, { signal: ctx.signal }));
      toast(`The secret ${name} is deleted.`);
      reload();
    } catch (e) {
      if (isSilent(e)) return;
      clear(detail).append(errorBox(e, { title: `Could not delete ${name}` }));
    }
  });

  return h('li', { class: 'item', testid: `secret-row-${name}`, 'data-anchor': name },
    h('div', { class: 'item-head' },
      h('div', { class: 'item-title' },
        h('strong', { class: 'mono', tabindex: '-1' }, name),
        h('span', { class: 'muted small' }, 'updated ', timeEl(s.updated_at || s.created_at))),
      h('div', { class: 'item-actions' }, edit, del)),
    keys.length
      ? h('ul', { class: 'secret-keys', testid: `secret-keys-${name}`, 'aria-label': `Values of ${name}` }, keys.map((k) => keyLine(name, k, values)))
      : h('p', { class: 'muted', testid: `secret-keys-${name}` }, 'no values'),
    usedBy(name, keys, ns),
    detail);
}

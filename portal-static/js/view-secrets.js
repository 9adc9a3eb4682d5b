// Secrets in the friend's namespace: list (names and keys only), reveal values on demand,
// create, edit (replace all key/value pairs) and delete after a confirmation.

import { api, seg, isSilent } from './api.js';
import { h, clear, loading, errorBox, viewHeading, section, empty, field, toast, busy, confirmDialog, timeEl, uid } from './dom.js';

const NAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const KEY_RE = /^[-._a-zA-Z0-9]+$/;

export function render(root, ctx) {
  const listBox = h('div', { class: 'stack' });
  const createBox = h('div');
  root.append(
    viewHeading('Secrets'),
    h('p', { class: 'lead' }, 'Secrets hold API keys, passwords and other credentials for the workloads in your namespace. Values stay hidden until you ask to see them.'),
    section('Your secrets', 'secrets-section', listBox),
    createBox,
  );
  createBox.append(createForm(ctx, load));

  async function load() {
    clear(listBox).append(loading('Loading your secrets…'));
    try {
      const { data } = await api.get('/secrets', { signal: ctx.signal });
      clear(listBox);
      const items = Array.isArray(data) ? data : [];
      if (!items.length) {
        listBox.append(empty('You have no secrets yet. Create one below.', 'secrets-empty'));
        return;
      }
      listBox.append(h('ul', { class: 'plain-list', testid: 'secrets-list' }, items.map((s) => secretRow(s, ctx, load))));
    } catch (e) {
      if (!isSilent(e)) clear(listBox).append(errorBox(e, { retry: load, title: 'Could not load your secrets' }));
    }
  }
  load();
}

/**
 * Rows of key/value inputs. prefix names the data-testids: <prefix>-key-<i>, <prefix>-value-<i>,
 * <prefix>-remove-<i>, <prefix>-add-row. Returns {el, read() -> {data} | {error}, focusFirst}.
 */
function kvEditor(prefix, initial) {
  const rows = h('div', { class: 'kv-rows' });
  const addBtn = h('button', { type: 'button', class: 'btn btn-quiet', testid: `${prefix}-add-row` }, '+ Add another key');
  const errEl = h('p', { class: 'field-error', role: 'alert', hidden: true, testid: `${prefix}-kv-error` });
  const rowList = [];

  function renumber() {
    rowList.forEach((r, i) => {
      r.key.setAttribute('data-testid', `${prefix}-key-${i}`);
      r.value.setAttribute('data-testid', `${prefix}-value-${i}`);
      r.remove.setAttribute('data-testid', `${prefix}-remove-${i}`);
      r.remove.setAttribute('aria-label', `Remove key ${i + 1}${r.key.value ? ` (${r.key.value})` : ''}`);
      r.remove.disabled = rowList.length === 1;
      r.legend.textContent = `Key ${i + 1}`;
    });
  }

  function addRow(k = '', v = '') {
    const key = h('input', { type: 'text', value: k, autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off', placeholder: 'API_KEY' });
    const value = h('textarea', { rows: '1', value: v, autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off', class: 'secret-value' });
    const remove = h('button', { type: 'button', class: 'btn btn-quiet btn-small' }, 'Remove');
    const legend = h('legend', { class: 'visually-hidden' });
    const row = { key, value, remove, legend };
    const fs = h('fieldset', { class: 'kv-row' }, legend,
      field({ label: 'Key', control: key, id: uid(`${prefix}-k`) }).wrap,
      field({ label: 'Value', control: value, id: uid(`${prefix}-v`) }).wrap,
      h('div', { class: 'kv-remove' }, remove));
    row.el = fs;
    remove.addEventListener('click', () => {
      const idx = rowList.indexOf(row);
      rowList.splice(idx, 1);
      fs.remove();
      renumber();
      rowList[Math.max(0, idx - 1)].key.focus();
    });
    key.addEventListener('input', renumber);
    rowList.push(row);
    rows.append(fs);
    renumber();
    return row;
  }

  const entries = Object.entries(initial || {});
  if (entries.length) entries.forEach(([k, v]) => addRow(k, String(v)));
  else addRow();
  addBtn.addEventListener('click', () => addRow().key.focus());

  return {
    el: h('div', { class: 'kv-editor' }, rows, addBtn, errEl),
    focusFirst: () => rowList[0].key.focus(),
    read() {
      const data = {};
      let error = null;
      for (const r of rowList) {
        const k = r.key.value.trim();
        if (!k && !r.value.value) continue;
        if (!k) error = error || 'Every value needs a key.';
        else if (!KEY_RE.test(k)) error = error || `Key "${k}" may only contain letters, digits, "-", "_" and ".".`;
        else if (Object.prototype.hasOwnProperty.call(data, k)) error = error || `Key "${k}" appears twice.`;
        else data[k] = r.value.value;
      }
      if (!error && !Object.keys(data).length) error = 'Add at least one key and value.';
      errEl.textContent = error || '';
      errEl.hidden = !error;
      return error ? { error } : { data };
    },
  };
}

function createForm(ctx, reload) {
  const name = h('input', { type: 'text', required: true, maxlength: '63', autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', testid: 'secret-create-name', placeholder: 'my-api-key' });
  const nameField = field({ label: 'Secret name', control: name, hint: 'Lowercase letters, digits and hyphens, up to 63 characters.' });
  const kv = kvEditor('secret-create');
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'secret-create-submit' }, 'Create secret');
  const form = h('form', { class: 'stack', testid: 'secret-create-form', novalidate: true },
    nameField.wrap, h('div', { class: 'kv-title' }, 'Keys and values'), kv.el, h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const n = name.value.trim();
    nameField.setError(NAME_RE.test(n) && n.length <= 63 ? '' : 'Use lowercase letters, digits and hyphens; start and end with a letter or digit.');
    const parsed = kv.read();
    if (!NAME_RE.test(n) || n.length > 63) { name.focus(); return; }
    if (parsed.error) return;
    try {
      await busy(submit, () => api.post('/secrets', { name: n, data: parsed.data }, { signal: ctx.signal }));
      toast(`Secret "${n}" created.`);
      const fresh = createForm(ctx, reload);
      form.closest('section').replaceWith(fresh);
      reload();
    } catch (e) {
      if (isSilent(e)) return;
      nameField.setError(`${e.message}${e.requestId ? ` (request id ${e.requestId})` : ''}`);
      toast(`Could not create the secret: ${e.message}`, 'error');
    }
  });
  return section('Create a secret', 'secret-create', form);
}

function secretRow(s, ctx, reload) {
  const name = s.name;
  const keys = Array.isArray(s.keys) ? s.keys : [];
  const detail = h('div', { class: 'secret-detail' });
  const reveal = h('button', { type: 'button', class: 'btn btn-small', 'aria-expanded': 'false', testid: `secret-reveal-${name}` }, 'Show values');
  const edit = h('button', { type: 'button', class: 'btn btn-small', testid: `secret-edit-${name}` }, 'Edit');
  const del = h('button', { type: 'button', class: 'btn btn-small btn-danger-quiet', testid: `secret-delete-${name}` }, 'Delete');
  const detailId = uid('secret-detail');
  detail.id = detailId;
  reveal.setAttribute('aria-controls', detailId);

  function collapse() {
    clear(detail);
    reveal.textContent = 'Show values';
    reveal.setAttribute('aria-expanded', 'false');
  }

  async function fetchValues() {
    const { data } = await api.get(`/secrets/${seg(name)}`, { signal: ctx.signal });
    return data && data.data && typeof data.data === 'object' ? data.data : {};
  }

  reveal.addEventListener('click', async () => {
    if (reveal.getAttribute('aria-expanded') === 'true') { collapse(); return; }
    clear(detail).append(loading('Loading values…'));
    try {
      const values = await busy(reveal, fetchValues);
      clear(detail).append(h('dl', { class: 'secret-values' }, Object.entries(values).map(([k, v]) => [
        h('dt', {}, k),
        h('dd', {}, h('code', { class: 'secret-plain', testid: `secret-value-${name}-${k}` }, String(v))),
      ])));
      reveal.textContent = 'Hide values';
      reveal.setAttribute('aria-expanded', 'true');
    } catch (e) {
      if (!isSilent(e)) clear(detail).append(errorBox(e, { title: `Could not read "${name}"` }));
    }
  });

  edit.addEventListener('click', async () => {
    collapse();
    clear(detail).append(loading('Loading values…'));
    let values;
    try {
      values = await busy(edit, fetchValues);
    } catch (e) {
      if (!isSilent(e)) clear(detail).append(errorBox(e, { title: `Could not read "${name}"` }));
      return;
    }
    const kv = kvEditor('secret-edit', values);
    const save = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'secret-edit-submit' }, 'Save changes');
    const cancel = h('button', { type: 'button', class: 'btn', testid: 'secret-edit-cancel' }, 'Cancel');
    const form = h('form', { class: 'stack edit-form', testid: `secret-edit-form-${name}`, 'aria-label': `Edit secret ${name}`, novalidate: true },
      h('p', { class: 'hint' }, 'Saving replaces all keys of this secret with the ones below. Workloads that use it may need a restart to see the change.'),
      kv.el, h('div', { class: 'actions' }, save, cancel));
    cancel.addEventListener('click', () => { clear(detail); edit.focus(); });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const parsed = kv.read();
      if (parsed.error) return;
      try {
        await busy(save, () => api.put(`/secrets/${seg(name)}`, { data: parsed.data }, { signal: ctx.signal }));
        toast(`Secret "${name}" updated.`);
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
    const ok = await confirmDialog({
      title: `Delete secret "${name}"?`,
      message: `This deletes "${name}" and its ${keys.length || ''} key${keys.length === 1 ? '' : 's'} for good. Workloads that use it will stop working until it exists again.`,
      confirmLabel: 'Delete secret',
      danger: true,
    });
    if (!ok) return;
    try {
      await busy(del, () => api.del(`/secrets/${seg(name)}`, { signal: ctx.signal }));
      toast(`Secret "${name}" deleted.`);
      reload();
    } catch (e) {
      if (isSilent(e)) return;
      clear(detail).append(errorBox(e, { title: `Could not delete "${name}"` }));
      toast(`Could not delete "${name}": ${e.message}`, 'error');
    }
  });

  return h('li', { class: 'item', testid: `secret-row-${name}` },
    h('div', { class: 'item-head' },
      h('div', { class: 'item-title' },
        h('strong', { class: 'mono' }, name),
        h('span', { class: 'muted small' }, 'updated ', timeEl(s.updated_at || s.created_at))),
      h('div', { class: 'item-actions' }, reveal, edit, del)),
    h('p', { class: 'keys', testid: `secret-keys-${name}` },
      keys.length ? keys.map((k) => h('span', { class: 'chip mono' }, k)) : h('span', { class: 'muted' }, 'no keys')),
    detail);
}

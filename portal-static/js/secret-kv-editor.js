// The key/value rows of the secret forms (create and edit). Values are masked while typed or
// shown (CSS text security on a textarea, which keeps the line breaks of a pasted key file,
// where a password input would drop them); each row can reveal and copy its own value.

import { h, field, copyButton, uid } from './dom.js';

const KEY_RE = /^[-._a-zA-Z0-9]+$/;

/**
 * A Show/Hide toggle that masks `control` while it is not pressed. what() names the value
 * for screen readers ("Show API_KEY"); relabel() after it changes. Returns {button, relabel}.
 */
export function maskToggle(control, { what, testid }) {
  const button = h('button', { type: 'button', class: 'btn btn-small', 'aria-pressed': 'false', testid }, 'Show');
  const relabel = () => button.setAttribute('aria-label', `${button.textContent} ${what()}`);
  const set = (shown) => {
    control.classList.toggle('masked', !shown);
    button.setAttribute('aria-pressed', String(shown));
    button.textContent = shown ? 'Hide' : 'Show';
    relabel();
  };
  button.addEventListener('click', () => set(button.getAttribute('aria-pressed') !== 'true'));
  set(false);
  return { button, relabel };
}

/**
 * Rows of key/value inputs. prefix names the data-testids: <prefix>-key-<i>, <prefix>-value-<i>,
 * <prefix>-reveal-<i>, <prefix>-copy-<i>, <prefix>-remove-<i>, <prefix>-add-row.
 * Returns {el, read() -> {data} | {error}, focusFirst}.
 */
export function kvEditor(prefix, initial) {
  const rows = h('div', { class: 'kv-rows' });
  const addBtn = h('button', { type: 'button', class: 'btn btn-quiet', testid: `${prefix}-add-row` }, '+ Add another value');
  const errEl = h('p', { class: 'field-error', role: 'alert', hidden: true, testid: `${prefix}-kv-error` });
  const rowList = [];

  function renumber() {
    rowList.forEach((r, i) => {
      const n = r.key.value || `value ${i + 1}`;
      r.key.setAttribute('data-testid', `${prefix}-key-${i}`);
      r.value.setAttribute('data-testid', `${prefix}-value-${i}`);
      r.reveal.button.setAttribute('data-testid', `${prefix}-reveal-${i}`);
      r.reveal.relabel();
      r.copy.setAttribute('data-testid', `${prefix}-copy-${i}`);
      r.copy.setAttribute('aria-label', `Copy ${n}`);
      r.remove.setAttribute('data-testid', `${prefix}-remove-${i}`);
      r.remove.setAttribute('aria-label', `Remove ${n}`);
      r.remove.disabled = rowList.length === 1;
      r.legend.textContent = `Value ${i + 1}`;
    });
  }

  function addRow(k = '', v = '') {
    const key = h('input', { type: 'text', value: k, autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off', placeholder: 'API_KEY' });
    // As many lines as the value has (a key file), up to six; it grows by hand beyond that.
    const lines = Math.min(6, Math.max(1, v.split('\n').length));
    const value = h('textarea', { rows: String(lines), value: v, autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off', class: 'secret-value' });
    const reveal = maskToggle(value, { what: () => key.value || 'the value' });
    const copy = copyButton(() => value.value);
    const remove = h('button', { type: 'button', class: 'btn btn-quiet btn-small' }, 'Remove');
    const legend = h('legend', { class: 'visually-hidden' });
    const row = { key, value, reveal, copy, remove, legend };
    const valueField = field({ label: 'Value', control: value, id: uid(`${prefix}-v`) });
    valueField.wrap.append(h('div', { class: 'actions kv-value-actions' }, reveal.button, copy));
    const fs = h('fieldset', { class: 'kv-row' }, legend,
      field({ label: 'Key', control: key, id: uid(`${prefix}-k`) }).wrap,
      valueField.wrap,
      h('div', { class: 'kv-remove' }, remove));
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

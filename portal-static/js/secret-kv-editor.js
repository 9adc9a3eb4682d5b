// The value rows of the secret forms (create and edit): the value first (the one obvious
// field), then the variable name an app reads it by (optional in the first row of a new
// secret: made from the secret's name). Values are masked while typed or shown (CSS text
// security on a textarea, which keeps the line breaks of a pasted key file, where a password
// input would drop them); each row can reveal and copy its own value. An empty value is
// refused, and a value pasted into a name field is caught (looksLikeSecret).

import { h, field, copyButton, uid } from './dom.js';

const KEY_RE = /^[-._a-zA-Z0-9]+$/;

/**
 * True for text that looks like a key or password rather than a name: a known key prefix
 * (sk-, ghp_, xoxb-, AKIA, AIza, glpat-, a JWT), mixed case with digits and no spaces, or a
 * long run with many digits (hex). Names such as OPENAI_API_KEY or mail-password pass.
 */
export function looksLikeSecret(text) {
  const t = String(text || '').trim();
  if (!t || /\s/.test(t)) return false;
  if (/^(sk|pk|rk)[-_][A-Za-z0-9]|^gh[pousr]_|^xox[abpr]-|^AKIA[0-9A-Z]{8}|^AIza|^glpat-|^eyJ[A-Za-z0-9_-]{10}/.test(t)) return true;
  const digits = (t.match(/[0-9]/g) || []).length;
  if (t.length >= 20 && /[a-z]/.test(t) && /[A-Z]/.test(t) && digits >= 2) return true;
  return t.length >= 24 && digits / t.length >= 0.2;
}

/** "openai-key" -> "OPENAI_KEY": the variable name an app reads a secret's value by. */
export function variableName(secretName) {
  const v = String(secretName || '').toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  return v && /^[0-9]/.test(v) ? `_${v}` : v;
}

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
export function kvEditor(prefix, initial, { defaultKey = null } = {}) {
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
      const filled = i === 0 && defaultKey ? defaultKey() : '';
      r.key.placeholder = filled || 'API_KEY';
      r.keyLabel.textContent = filled !== '' || (i === 0 && defaultKey) ? 'Variable name (optional)' : 'Variable name';
    });
  }

  function addRow(k = '', v = '') {
    const key = h('input', { type: 'text', value: k, autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off' });
    // As many lines as the value has (a key file), up to six; it grows by hand beyond that.
    const lines = Math.min(6, Math.max(1, v.split('\n').length));
    const value = h('textarea', { rows: String(lines), value: v, autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off', class: 'secret-value' });
    const reveal = maskToggle(value, { what: () => key.value || 'the value' });
    const copy = copyButton(() => value.value);
    const remove = h('button', { type: 'button', class: 'btn btn-quiet btn-small' }, 'Remove');
    const legend = h('legend', { class: 'visually-hidden' });
    const valueField = field({ label: 'Value: the key or password itself', control: value, id: uid(`${prefix}-v`) });
    valueField.wrap.append(h('div', { class: 'actions kv-value-actions' }, reveal.button, copy));
    const keyField = field({ label: 'Variable name', control: key, id: uid(`${prefix}-k`), hint: 'How an app reads the value, such as API_KEY.' });
    const keyLabel = keyField.wrap.querySelector('label');
    const row = { key, value, reveal, copy, remove, legend, keyLabel, valueField, keyField };
    const fs = h('fieldset', { class: 'kv-row' }, legend,
      valueField.wrap,
      keyField.wrap,
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
    focusFirst: () => rowList[0].value.focus(),
    /** Call when the secret's name changes: the first row's variable name follows it. */
    refresh: renumber,
    read() {
      const data = {};
      let first = null;
      for (const [i, r] of rowList.entries()) {
        r.valueField.setError('');
        r.keyField.setError('');
        let k = r.key.value.trim();
        const v = r.value.value;
        if (!k && !v) continue;
        if (!k && i === 0 && defaultKey) k = defaultKey();
        const fail = (f, msg, control) => { f.setError(msg); first = first || control; };
        if (looksLikeSecret(k)) fail(r.keyField, 'This looks like the key itself, not a name. Paste it in the Value field above, and leave this empty or write a name such as API_KEY.', r.key);
        else if (!v.trim()) fail(r.valueField, k ? `Paste the value of ${k} here: it is empty.` : 'Paste the value here: it is empty.', r.value);
        else if (!k) fail(r.keyField, 'Give this value a variable name, such as API_KEY.', r.key);
        else if (!KEY_RE.test(k)) fail(r.keyField, 'Use only letters, digits, "-", "_" and ".", such as API_KEY.', r.key);
        else if (Object.prototype.hasOwnProperty.call(data, k)) fail(r.keyField, `${k} is used twice. Give each value its own name.`, r.key);
        else data[k] = v;
      }
      if (!first && !Object.keys(data).length) {
        rowList[0].valueField.setError('Paste the value here: it is empty.');
        first = rowList[0].value;
      }
      errEl.hidden = true;
      if (first) { first.focus(); return { error: 'invalid' }; }
      return { data };
    },
  };
}

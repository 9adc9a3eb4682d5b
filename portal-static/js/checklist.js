// The heartbeat's checklist edited as checkboxes: one row per item (a checkbox, its words, a
// Remove button) and "Add an item". The text stays the one source of what is saved: items are
// its "- [ ] ..." lines; any other line (a heading, a note) is kept as it is and in its place.
// Pure parts (parseChecklist, checklistText) are exported for unit tests.

import { h, clear, uid } from './dom.js';

const ITEM_RE = /^\s*(?:[-*+]|\d+[.)])\s+(?:\[([ xX])\]\s*)?(.*)$/;

/** "- [x] a\n# b" -> [{item: true, done: true, text: 'a'}, {item: false, raw: '# b'}] */
export function parseChecklist(text) {
  const lines = String(text || '').split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines.map((raw) => {
    const m = ITEM_RE.exec(raw);
    return m ? { item: true, done: m[1] === 'x' || m[1] === 'X', text: m[2] } : { item: false, raw };
  });
}

/** The lines back as text; an item with no words is left out. */
export function checklistText(lines) {
  const out = lines
    .filter((l) => !l.item || l.text.trim())
    .map((l) => (l.item ? `- [${l.done ? 'x' : ' '}] ${l.text.trim()}` : l.raw));
  return out.length ? `${out.join('\n')}\n` : '';
}

/**
 * checklistEditor({prefix, onChange(text)}) -> {el, load(text)}. Test ids: <prefix>-items,
 * <prefix>-item-<i> (the words), <prefix>-done-<i> (the checkbox), <prefix>-remove-<i>,
 * <prefix>-add.
 */
export function checklistEditor({ prefix, onChange }) {
  let lines = [];
  const list = h('ul', { class: 'checklist', testid: `${prefix}-items` });
  const add = h('button', { type: 'button', class: 'btn', testid: `${prefix}-add` }, '+ Add an item');
  const emptyNote = h('p', { class: 'muted', testid: `${prefix}-items-empty` }, 'No items yet. Add the first thing your agent should check for you.');

  const changed = () => onChange(checklistText(lines));

  function row(line, i) {
    const id = uid('check');
    const done = h('input', { type: 'checkbox', id: `${id}-done`, testid: `${prefix}-done-${i}` });
    done.checked = line.done;
    const words = h('input', {
      type: 'text', id, value: line.text, autocomplete: 'off', testid: `${prefix}-item-${i}`,
      placeholder: 'For example: remind me to water the plants',
      'aria-label': `Item ${i + 1}`,
    });
    const remove = h('button', { type: 'button', class: 'btn btn-quiet btn-small', testid: `${prefix}-remove-${i}`, 'aria-label': `Remove item ${i + 1}` }, 'Remove');
    done.setAttribute('aria-label', `Item ${i + 1} done`);
    done.addEventListener('change', () => { line.done = done.checked; changed(); });
    words.addEventListener('input', () => { line.text = words.value; changed(); });
    words.addEventListener('keydown', (ev) => {
      // Enter starts the next item, as in a list on paper.
      if (ev.key === 'Enter') { ev.preventDefault(); addItem(lines.indexOf(line) + 1); }
    });
    remove.addEventListener('click', () => {
      const at = lines.indexOf(line);
      lines.splice(at, 1);
      draw();
      changed();
      const inputs = list.querySelectorAll('input[type="text"]');
      (inputs[Math.min(inputs.length - 1, itemIndex(at))] || add).focus();
    });
    return h('li', { class: 'checklist-item' }, done, words, remove);
  }

  /** How many items come before line `at` (the row index of the line). */
  const itemIndex = (at) => lines.slice(0, at).filter((l) => l.item).length;

  function draw() {
    clear(list);
    let i = 0;
    for (const line of lines) {
      if (line.item) { list.append(row(line, i)); i += 1; }
    }
    emptyNote.hidden = i > 0;
  }

  function addItem(at = lines.length) {
    const line = { item: true, done: false, text: '' };
    lines.splice(at, 0, line);
    draw();
    const inputs = list.querySelectorAll('input[type="text"]');
    inputs[itemIndex(at)].focus();
  }
  add.addEventListener('click', () => addItem());

  return {
    el: h('div', { class: 'stack checklist-editor' }, emptyNote, list, h('div', { class: 'actions' }, add)),
    load(text) {
      lines = parseChecklist(text);
      draw();
    },
  };
}

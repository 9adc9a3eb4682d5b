// Workspace files: MEMORY.md and HEARTBEAT.md (editable, saved with If-Match so that a change
// made meanwhile by the agent is never overwritten by accident) and the agent's notes
// (read-only). Both editors show a live Markdown preview.

import { api, isSilent } from './api.js';
import { h, clear, loading, errorBox, viewHeading, field, toast, busy, confirmDialog } from './dom.js';
import { renderMarkdown } from './markdown.js';

export function renderMemory(root, ctx) {
  editor(root, ctx, {
    prefix: 'memory',
    path: '/workspace/memory',
    title: 'My memory',
    file: 'MEMORY.md',
    intro: 'Write what your agent should know and remember about you. The agent reads this file whenever it talks with you.',
    placeholder: '# About me\n\n- I prefer short answers\n- My timezone is Europe/Berlin',
  });
}

export function renderHeartbeat(root, ctx) {
  editor(root, ctx, {
    prefix: 'heartbeat',
    path: '/workspace/heartbeat',
    title: 'Heartbeat',
    file: 'HEARTBEAT.md',
    intro: 'The checklist your agent goes through on its regular heartbeat: things to look at or remind you of, periodically.',
    placeholder: '# Heartbeat\n\n- [ ] Check my calendar for tomorrow\n- [ ] Remind me to water the plants on Sundays',
  });
}

export function renderNotes(root, ctx) {
  const body = h('div', { class: 'stack' });
  root.append(
    viewHeading("Agent's notes"),
    h('p', { class: 'lead' }, 'What your agent has written down about you. Only the agent can change these notes; if something is wrong, tell your agent.'),
    body,
  );
  async function load() {
    clear(body).append(loading('Loading the notes…'));
    try {
      const { data } = await api.get('/workspace/friend-notes', { signal: ctx.signal });
      clear(body);
      if (!data || !data.exists || !String(data.content || '').trim()) {
        body.append(h('p', { class: 'empty', testid: 'notes-empty' }, 'Your agent has not written any notes about you yet.'));
        return;
      }
      body.append(h('article', { class: 'card markdown', testid: 'notes-content', 'aria-label': "Agent's notes" }, renderMarkdown(data.content)));
    } catch (e) {
      if (!isSilent(e)) clear(body).append(errorBox(e, { retry: load, title: 'Could not load the notes' }));
    }
  }
  load();
}

function editor(root, ctx, cfg) {
  const p = cfg.prefix;
  const body = h('div', { class: 'stack' });
  root.append(viewHeading(cfg.title, `${p}-title`), h('p', { class: 'lead' }, cfg.intro), body);

  const st = { etag: null, exists: false, saved: '', saving: false };
  const textarea = h('textarea', {
    class: 'editor', rows: '14', spellcheck: 'true', testid: `${p}-editor`, placeholder: cfg.placeholder,
  });
  const status = h('p', { class: 'status-line', role: 'status', testid: `${p}-status` });
  const preview = h('div', { class: 'markdown preview', testid: `${p}-preview`, 'aria-live': 'off' });
  const conflict = h('div', { class: 'notice notice-warn', role: 'alert', hidden: true, testid: `${p}-conflict`, tabindex: '-1' });
  const saveBtn = h('button', { type: 'submit', class: 'btn btn-primary', testid: `${p}-save` }, 'Save');
  const reloadBtn = h('button', { type: 'button', class: 'btn', testid: `${p}-reload` }, 'Reload');
  const editField = field({ label: `${cfg.file} (Markdown)`, control: textarea, hint: 'Markdown: # headings, - lists, **bold**, *italic*, `code`, [links](https://…). Ctrl+S saves.' });

  const form = h('form', { class: 'editor-grid', testid: `${p}-form`, novalidate: true },
    h('div', { class: 'editor-pane' }, editField.wrap, h('div', { class: 'actions' }, saveBtn, reloadBtn), status),
    h('section', { class: 'preview-pane', 'aria-label': 'Preview' }, h('h2', { class: 'pane-title' }, 'Preview'), preview));

  const dirty = () => textarea.value !== st.saved;
  ctx.setDirty(dirty);
  ctx.setDraft(() => (dirty() ? { label: cfg.file, text: textarea.value } : null));

  function refreshStatus(extra) {
    if (extra) { status.textContent = extra; return; }
    if (dirty()) status.textContent = 'You have unsaved changes.';
    else if (!st.exists) status.textContent = `${cfg.file} does not exist yet; saving creates it.`;
    else status.textContent = 'All changes saved.';
  }

  let previewTimer = null;
  function refreshPreview() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(() => {
      clear(preview);
      if (textarea.value.trim()) preview.append(renderMarkdown(textarea.value));
      else preview.append(h('p', { class: 'muted' }, 'Nothing to preview yet.'));
    }, 120);
  }

  textarea.addEventListener('input', () => { refreshStatus(); refreshPreview(); });
  textarea.addEventListener('keydown', (ev) => {
    if ((ev.ctrlKey || ev.metaKey) && ev.key.toLowerCase() === 's') {
      ev.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener('submit', (ev) => { ev.preventDefault(); save(false); });
  reloadBtn.addEventListener('click', async () => {
    if (dirty()) {
      const ok = await confirmDialog({ title: 'Discard your changes?', message: `Reloading replaces your unsaved text with the saved ${cfg.file}.`, confirmLabel: 'Discard and reload', danger: true });
      if (!ok) return;
    }
    load();
  });

  function adopt(data, etag) {
    st.etag = etag;
    st.exists = !!(data && data.exists);
    st.saved = data && typeof data.content === 'string' ? data.content : '';
    textarea.value = st.saved;
    conflict.hidden = true;
    refreshStatus();
    refreshPreview();
  }

  async function load() {
    clear(body).append(loading(`Loading ${cfg.file}…`));
    try {
      const res = await api.get(cfg.path, { signal: ctx.signal });
      clear(body).append(conflict, form);
      adopt(res.data, res.etag);
    } catch (e) {
      if (!isSilent(e)) clear(body).append(errorBox(e, { retry: load, title: `Could not load ${cfg.file}` }));
    }
  }

  function preconditions(etag, exists) {
    if (etag) return { 'If-Match': etag };
    if (!exists) return { 'If-None-Match': '*' };
    return {};
  }

  async function save(overwriteEtag) {
    if (st.saving) return;
    st.saving = true;
    const content = textarea.value;
    const headers = overwriteEtag !== false
      ? preconditions(overwriteEtag.etag, overwriteEtag.exists)
      : preconditions(st.etag, st.exists);
    refreshStatus('Saving…');
    try {
      await busy(saveBtn, async () => {
        const res = await api.put(cfg.path, { content }, { headers, signal: ctx.signal });
        let etag = res.etag;
        if (!etag) {
          // No ETag on the PUT answer: ask for the current one, so the next save is guarded too.
          const fresh = await api.get(cfg.path, { signal: ctx.signal });
          etag = fresh.data && fresh.data.content === content ? fresh.etag : null;
        }
        st.etag = etag;
        st.exists = true;
        st.saved = content;
        conflict.hidden = true;
        refreshStatus();
        toast(`${cfg.file} saved.`);
      });
    } catch (e) {
      if (isSilent(e)) return;
      if (e.status === 412) {
        await showConflict();
      } else {
        refreshStatus(`Not saved: ${e.message}${e.requestId ? ` (request id ${e.requestId})` : ''}`);
        toast(`Could not save ${cfg.file}: ${e.message}`, 'error');
      }
    } finally {
      st.saving = false;
    }
  }

  async function showConflict() {
    clear(conflict);
    conflict.hidden = false;
    conflict.append(
      h('p', { class: 'notice-title' }, `${cfg.file} was changed by someone else`),
      h('p', {}, `While you were editing, ${cfg.file} was changed (probably by your agent). Your text has not been saved, and it is still in the editor: nothing is lost yet.`),
      loading('Loading the newer version…'),
    );
    conflict.focus();
    let theirs;
    try {
      theirs = await api.get(cfg.path, { signal: ctx.signal });
    } catch (e) {
      if (isSilent(e)) return;
      conflict.lastChild.replaceWith(errorBox(e, { title: 'Could not load the newer version', retry: showConflict }));
      return;
    }
    const theirText = theirs.data && typeof theirs.data.content === 'string' ? theirs.data.content : '';
    const theirBox = h('details', { class: 'theirs' },
      h('summary', {}, 'Show the newer version'),
      h('pre', { class: 'theirs-text', testid: `${p}-conflict-theirs` }, theirText || '(empty)'));
    const overwrite = h('button', { type: 'button', class: 'btn btn-danger', testid: `${p}-conflict-overwrite` }, 'Overwrite with my text');
    const useTheirs = h('button', { type: 'button', class: 'btn', testid: `${p}-conflict-load` }, 'Load the newer version (discard mine)');
    const dismiss = h('button', { type: 'button', class: 'btn btn-quiet', testid: `${p}-conflict-dismiss` }, 'Keep editing');
    overwrite.addEventListener('click', () => save({ etag: theirs.etag, exists: !!(theirs.data && theirs.data.exists) }));
    useTheirs.addEventListener('click', () => { adopt(theirs.data, theirs.etag); toast(`Loaded the newer ${cfg.file}.`); textarea.focus(); });
    dismiss.addEventListener('click', () => { conflict.hidden = true; textarea.focus(); });
    conflict.lastChild.replaceWith(
      h('div', {},
        h('p', {}, 'Choose what to do: overwrite their version with yours, or load their version and lose your changes. You can also copy your text somewhere first.'),
        theirBox,
        h('div', { class: 'actions' }, overwrite, useTheirs, dismiss)),
    );
    refreshStatus('Not saved: the file changed meanwhile.');
  }

  load();
}

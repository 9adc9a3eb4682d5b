// The friend's notes for the agent (MEMORY.md) and the heartbeat checklist (HEARTBEAT.md),
// both editable and saved with If-Match so that a change made meanwhile by the agent is never
// overwritten by accident, and the agent's notes (read-only). The page speaks of notes and a
// checklist, never of files or Markdown: the checklist is edited as checkboxes (checklist.js)
// with its text under Advanced; the notes show a preview that keeps lines apart.

import { api, isSilent } from './api.js';
import { h, clear, loading, errorBox, viewHeading, field, toast, busy, confirmDialog, isPhone, plainError, timeEl } from './dom.js';
import { renderMarkdown } from './markdown.js';
import { checklistEditor } from './checklist.js';

export function renderMemory(root, ctx) {
  editor(root, ctx, {
    prefix: 'memory',
    path: '/workspace/memory',
    title: 'My memory',
    file: 'MEMORY.md',
    thing: 'your notes',
    label: 'Your notes for your agent',
    hint: 'One thing per line. Your agent reads these notes whenever it talks with you.',
    intro: 'Write what your agent should know and remember about you.',
    placeholder: 'For example: I prefer short answers.',
  });
}

export function renderHeartbeat(root, ctx) {
  editor(root, ctx, {
    prefix: 'heartbeat',
    path: '/workspace/heartbeat',
    title: 'Heartbeat',
    file: 'HEARTBEAT.md',
    thing: 'your checklist',
    label: 'The checklist as text',
    hint: 'One item per line, written as "- [ ] what to check".',
    intro: 'The checklist your agent goes through regularly: things to look at for you, or to remind you of.',
    placeholder: 'For example: - [ ] Check my calendar for tomorrow',
    checklist: true,
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
      const [{ data }, profile] = await Promise.all([
        api.get('/workspace/friend-notes', { signal: ctx.signal }),
        // Asked afresh (not the page's cached profile): the agent may have written since.
        api.get('/me', { signal: ctx.signal }).then((r) => r.data || {}).catch((e) => {
          if (e && e.name === 'AbortError') throw e;
          return {};
        }),
      ]);
      clear(body);
      if (!data || !data.exists || !String(data.content || '').trim()) {
        body.append(h('p', { class: 'empty', testid: 'notes-empty' }, 'Your agent has not written any notes about you yet.'));
        return;
      }
      body.append(h('article', { class: 'card markdown', testid: 'notes-content', 'aria-label': "Agent's notes" }, renderMarkdown(data.content)));
      // When the agent last wrote them (the profile's notes_updated_at).
      const when = profile.notes_updated_at;
      if (when) body.append(h('p', { class: 'muted small', testid: 'notes-updated' }, 'Last updated ', timeEl(when), '.'));
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
  const checklist = cfg.checklist ? checklistEditor({
    prefix: p,
    onChange(text) { textarea.value = text; refreshStatus(); refreshPreview(); },
  }) : null;
  const conflict = h('div', { class: 'notice notice-warn', role: 'alert', hidden: true, testid: `${p}-conflict`, tabindex: '-1' });
  const saveBtn = h('button', { type: 'submit', class: 'btn btn-primary', testid: `${p}-save` }, 'Save');
  const reloadBtn = h('button', { type: 'button', class: 'btn', testid: `${p}-reload` }, 'Reload');
  // A keyboard shortcut means nothing on a phone: the hint is for keyboards only.
  const editField = field({ label: cfg.label, control: textarea, hint: `${cfg.hint}${isPhone() ? '' : ' Ctrl+S saves.'}` });

  const form = checklist
    ? h('form', { class: 'stack', testid: `${p}-form`, novalidate: true },
      h('fieldset', { class: 'stack' }, h('legend', {}, 'Your checklist'), checklist.el),
      h('details', { class: 'advanced', testid: `${p}-advanced` }, h('summary', {}, 'Advanced: edit the checklist as text'), editField.wrap),
      h('div', { class: 'actions' }, saveBtn, reloadBtn), status)
    : h('form', { class: 'editor-grid', testid: `${p}-form`, novalidate: true },
      h('div', { class: 'editor-pane' }, editField.wrap, h('div', { class: 'actions' }, saveBtn, reloadBtn), status),
      h('section', { class: 'preview-pane', 'aria-label': 'How your agent sees it' }, h('h2', { class: 'pane-title' }, 'How your agent sees it'), preview));

  const dirty = () => textarea.value !== st.saved;
  ctx.setDirty(dirty);
  ctx.setDraft(() => (dirty() ? { label: cfg.thing, text: textarea.value } : null));

  function refreshStatus(extra) {
    if (extra) { status.textContent = extra; return; }
    if (dirty()) status.textContent = 'You have unsaved changes.';
    else if (!st.exists) status.textContent = 'Nothing saved yet.';
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

  textarea.addEventListener('input', () => {
    if (checklist) checklist.load(textarea.value);
    refreshStatus();
    refreshPreview();
  });
  textarea.addEventListener('keydown', (ev) => {
    if ((ev.ctrlKey || ev.metaKey) && ev.key.toLowerCase() === 's') {
      ev.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener('submit', (ev) => { ev.preventDefault(); save(false); });
  reloadBtn.addEventListener('click', async () => {
    if (dirty()) {
      const ok = await confirmDialog({ title: 'Discard your changes?', message: `Reloading replaces your unsaved changes with ${cfg.thing} as last saved.`, confirmLabel: 'Discard and reload', danger: true });
      if (!ok) return;
    }
    load();
  });

  function adopt(data, etag) {
    st.etag = etag;
    st.exists = !!(data && data.exists);
    st.saved = data && typeof data.content === 'string' ? data.content : '';
    textarea.value = st.saved;
    if (checklist) checklist.load(st.saved);
    conflict.hidden = true;
    refreshStatus();
    refreshPreview();
  }

  async function load() {
    clear(body).append(loading(`Loading ${cfg.thing}…`));
    try {
      const res = await api.get(cfg.path, { signal: ctx.signal });
      clear(body).append(conflict, form);
      adopt(res.data, res.etag);
    } catch (e) {
      if (!isSilent(e)) clear(body).append(errorBox(e, { retry: load, title: `Could not load ${cfg.thing}` }));
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
        toast(`${cfg.thing.charAt(0).toUpperCase()}${cfg.thing.slice(1)} ${cfg.checklist ? 'is' : 'are'} saved.`);
      });
    } catch (e) {
      if (isSilent(e)) return;
      if (e.status === 412) {
        await showConflict();
      } else {
        refreshStatus(`Not saved. ${plainError(e)}`);
      }
    } finally {
      st.saving = false;
    }
  }

  async function showConflict() {
    clear(conflict);
    conflict.hidden = false;
    conflict.append(
      h('p', { class: 'notice-title' }, `Your agent changed ${cfg.thing} meanwhile`),
      h('p', {}, `While you were editing, ${cfg.thing} changed (probably your agent added something). Yours are not saved yet, and still here: nothing is lost.`),
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
    useTheirs.addEventListener('click', () => { adopt(theirs.data, theirs.etag); toast('The newer version is loaded.'); textarea.focus(); });
    dismiss.addEventListener('click', () => { conflict.hidden = true; textarea.focus(); });
    conflict.lastChild.replaceWith(
      h('div', {},
        h('p', {}, 'Choose what to do: overwrite their version with yours, or load their version and lose your changes. You can also copy your text somewhere first.'),
        theirBox,
        h('div', { class: 'actions' }, overwrite, useTheirs, dismiss)),
    );
    refreshStatus(`Not saved: ${cfg.thing} changed meanwhile.`);
  }

  load();
}

// DOM helpers. Everything is built with createElement/textContent: server data never goes
// through innerHTML, and nothing sets a style attribute (the page runs under a strict CSP).

const PROPS = new Set(['value', 'checked', 'disabled', 'required', 'hidden', 'selected', 'readOnly', 'multiple']);

/**
 * h('button', {class: 'btn', testid: 'x', on: {click: fn}}, 'Label', child, [more]) -> Element.
 * Props: class, text, testid (data-testid), on (event listeners), DOM properties in PROPS,
 * anything else is an attribute (true -> empty attribute; null/false/undefined -> skipped).
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [key, val] of Object.entries(props)) {
      if (val === null || val === undefined || val === false) continue;
      if (key === 'class') el.className = val;
      else if (key === 'text') el.textContent = String(val);
      else if (key === 'testid') el.setAttribute('data-testid', val);
      else if (key === 'on') for (const [ev, fn] of Object.entries(val)) el.addEventListener(ev, fn);
      else if (PROPS.has(key)) el[key] = val;
      else if (key === 'style') throw new Error('style attributes are not allowed under the CSP');
      else el.setAttribute(key, val === true ? '' : String(val));
    }
  }
  append(el, children);
  return el;
}

export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

let uidCounter = 0;
export function uid(prefix = 'f') {
  uidCounter += 1;
  return `${prefix}-${uidCounter}`;
}

/**
 * A labelled form field: {label, control, hint, id}. The control gets the id, and the hint is
 * tied to it with aria-describedby. Returns {wrap, control, hintEl, setError(msg)}.
 */
export function field({ label, control, hint, id }) {
  const cid = id || control.id || uid('field');
  control.id = cid;
  const hintId = `${cid}-hint`;
  const errId = `${cid}-error`;
  const hintEl = hint ? h('p', { class: 'hint', id: hintId }, hint) : null;
  const errEl = h('p', { class: 'field-error', id: errId, hidden: true, testid: `${control.getAttribute('data-testid') || cid}-error` });
  const describe = () => {
    const ids = [hintEl ? hintId : null, errEl.hidden ? null : errId].filter(Boolean);
    if (ids.length) control.setAttribute('aria-describedby', ids.join(' '));
    else control.removeAttribute('aria-describedby');
  };
  describe();
  const wrap = h('div', { class: 'field' }, h('label', { for: cid }, label), control, hintEl, errEl);
  return {
    wrap,
    control,
    hintEl,
    setError(msg) {
      errEl.textContent = msg || '';
      errEl.hidden = !msg;
      if (msg) control.setAttribute('aria-invalid', 'true');
      else control.removeAttribute('aria-invalid');
      describe();
    },
  };
}

export function loading(text = 'Loading…') {
  return h('p', { class: 'loading', role: 'status', testid: 'loading' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), text);
}

/**
 * Any failure in words a friend can act on, by its HTTP status: never the server's own text
 * (it may quote machine names or a request id), which errorBox folds under "Details".
 */
export function plainError(err) {
  const status = err && err.status;
  const code = String((err && err.code) || '');
  if (status === 0 || code === 'network') return 'Could not reach the portal. Check your connection and try again.';
  if (status === 503 || /busy|unavailable/.test(code)) return 'This part of the portal is busy right now. Try again in a moment.';
  if (status === 504 || /timeout/.test(code)) return 'The portal took too long to answer. Try again in a moment.';
  if (status >= 500) return "Something went wrong on the portal's side. Try again; if it keeps happening, tell your agent (the details below help them).";
  if (status === 429) return 'That was tried too often in a short time. Wait a minute, then try again.';
  if (status === 413) return 'That is too large to save here.';
  if (status === 409) return 'That name is already taken, or it was changed meanwhile. Reload the page, or choose another name.';
  if (status === 404) return 'It is no longer there. Reload the page to see what there is now.';
  if (status === 403) return 'You are not allowed to do that here.';
  if (status === 400 || status === 422) return 'The portal did not accept this. Check what you entered and try again.';
  return 'That did not work. Try again in a moment.';
}

/** The failure in words; the server's code, message and request id under "Details". */
export function errorBox(err, { retry, title } = {}) {
  const box = h('div', { class: 'notice notice-error', role: 'alert', testid: 'error' });
  box.append(h('p', { class: 'notice-title' }, title || 'The request failed'));
  const serverSaid = err && err.message ? err.message : String(err);
  box.append(h('p', { class: 'error-message', testid: 'error-message' }, plainError(err)));
  const meta = [];
  meta.push(h('span', { testid: 'error-server-message' }, `The server said: ${serverSaid}`));
  if (err && err.code) meta.push(h('span', { testid: 'error-code' }, `Code: ${err.code}`));
  if (err && err.status) meta.push(h('span', {}, `HTTP ${err.status}`));
  if (err && err.requestId) meta.push(h('span', { testid: 'error-request-id' }, `Request id: ${err.requestId}`));
  // What only a developer needs (the code, the request id to match the log) stays folded.
  if (meta.length) box.append(h('details', { class: 'error-details' }, h('summary', {}, 'Details'), h('p', { class: 'error-meta' }, meta)));
  if (retry) {
    const again = h('button', { type: 'button', class: 'btn', testid: 'error-retry' }, 'Try again');
    again.addEventListener('click', () => {
      retry();
      // The retry usually replaces this box, button and all: rather than leave keyboard
      // focus on <body>, put it on the view's heading, as opening a view does.
      if (!again.isConnected) {
        const heading = document.getElementById('view-title');
        if (heading) heading.focus();
      }
    });
    box.append(h('div', { class: 'actions' }, again));
  }
  return box;
}

let toastTimer = null;
/**
 * A short message in the polite live region, pinned to the bottom of the window so it is seen
 * wherever the person is on the page. A new one replaces the last, it clears itself after a
 * few seconds, and navigation clears it (clearToast), so a "saved" from one view never stands
 * beside a "not saved" in the next.
 */
export function toast(message, kind = 'ok') {
  const el = document.getElementById('toast');
  if (!el) return;
  el.textContent = message;
  el.className = `toast toast-${kind} toast-visible`;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(clearToast, 8000);
}

export function clearToast() {
  clearTimeout(toastTimer);
  const el = document.getElementById('toast');
  if (!el) return;
  el.className = 'toast';
  el.textContent = '';
}

/**
 * A button that copies `text()` (a function, so a value can stay out of the DOM until asked;
 * it may return a promise, for a value fetched on demand) to the clipboard, and says so on
 * itself for a moment. `label` names what is copied for screen readers ("Copy the address").
 */
export function copyButton(text, { label = 'Copy', testid } = {}) {
  const button = h('button', { type: 'button', class: 'btn btn-small', testid, 'aria-label': label }, 'Copy');
  let timer = null;
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(String(await text()));
      button.textContent = 'Copied';
    } catch {
      button.textContent = 'Copy failed';
    }
    clearTimeout(timer);
    timer = setTimeout(() => { button.textContent = 'Copy'; }, 2000);
  });
  return button;
}

/**
 * A modal confirmation (<dialog>). Focus goes to Cancel, Escape cancels, and focus returns to
 * the element that was focused before. Resolves true only when the user confirms.
 */
export function confirmDialog({ title, message, confirmLabel = 'Confirm', danger = false }) {
  const dialog = document.getElementById('confirm-dialog');
  const previous = document.activeElement;
  if (!dialog || typeof dialog.showModal !== 'function') {
    return Promise.resolve(window.confirm(`${title}\n\n${typeof message === 'string' ? message : ''}`));
  }
  document.getElementById('confirm-title').textContent = title;
  const msg = clear(document.getElementById('confirm-message'));
  append(msg, [typeof message === 'string' ? h('p', {}, message) : message]);
  const ok = document.getElementById('confirm-ok');
  ok.textContent = confirmLabel;
  ok.className = danger ? 'btn btn-danger' : 'btn btn-primary';
  dialog.returnValue = 'cancel';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'ok');
      if (previous && typeof previous.focus === 'function' && document.contains(previous)) previous.focus();
    }, { once: true });
    dialog.showModal();
    document.getElementById('confirm-cancel').focus();
  });
}

export function fmtDate(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** A calendar date in words: "7 December 2026". */
export function fmtDay(iso) {
  const d = new Date(iso);
  if (!iso || Number.isNaN(d.getTime())) return iso ? String(iso) : '—';
  return d.toLocaleDateString(undefined, { dateStyle: 'long' });
}

/** <time> element showing the date only (for "friends since"), the exact time as tooltip. */
export function dayEl(iso, props = {}) {
  const d = new Date(iso);
  const valid = iso && !Number.isNaN(d.getTime());
  return h('time', { ...props, datetime: valid ? d.toISOString() : null, title: valid ? fmtDate(iso) : null }, fmtDay(iso));
}

/** True on a phone or a touch screen, where keyboard shortcut hints mean nothing. */
export function isPhone() {
  return window.matchMedia('(max-width: 560px), (pointer: coarse)').matches;
}

export function relTime(iso, now = Date.now()) {
  const d = new Date(iso);
  if (!iso || Number.isNaN(d.getTime())) return iso ? String(iso) : '—';
  const secs = Math.round((d.getTime() - now) / 1000);
  const units = [['year', 31536000], ['month', 2592000], ['day', 86400], ['hour', 3600], ['minute', 60]];
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  for (const [unit, size] of units) {
    if (Math.abs(secs) >= size) return rtf.format(Math.trunc(secs / size), unit);
  }
  return rtf.format(secs, 'second');
}

/** <time> element showing a relative time, with the exact local time as its tooltip. */
export function timeEl(iso, props = {}) {
  const d = new Date(iso);
  const valid = iso && !Number.isNaN(d.getTime());
  return h('time', { ...props, datetime: valid ? d.toISOString() : null, title: valid ? fmtDate(iso) : null }, valid ? relTime(iso) : (iso ? String(iso) : '—'));
}

/** A heading that receives focus when its view opens (tabindex -1: focusable by script only). */
export function viewHeading(text, testid) {
  // data-testid="view-title" is the test contract (app.js); a view may name its own instead.
  return h('h1', { class: 'view-title', id: 'view-title', tabindex: '-1', testid: testid || 'view-title' }, text);
}

export function section(title, testid, ...children) {
  const hid = uid('sec');
  return h('section', { class: 'card', 'aria-labelledby': hid, testid }, h('h2', { id: hid }, title), children);
}

export function empty(text, testid) {
  return h('p', { class: 'empty', testid }, text);
}

/** Runs fn with the button disabled and marked busy; re-enables it afterwards. */
export async function busy(button, fn) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await fn();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

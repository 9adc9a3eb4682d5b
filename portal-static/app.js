// Friend Portal: the friend-facing single-page app. No build step, no dependency, no other host.
// Served at /portal (index.html) with modules under /portal/js/. Hash routing: #/overview ...
//
// Test contract (data-testid unless marked #id; <name>, <key>, <i> are filled in):
//  Shell     skip-link nav-overview nav-memory nav-notes nav-heartbeat nav-secrets nav-namespace
//            nav-expose nav-crons (active one has aria-current="page"), logout, whoami,
//            menu-button (phones only: opens the nav, aria-expanded), nav-logout (Sign out at
//            the end of the phone's menu; both ask first in confirm-dialog),
//            view (the <main>), view-<route> (each view's root), view-title (its h1),
//            toast (live region pinned to the window's bottom, cleared after 8 s and on
//            navigation), loading, error,
//            error-message (in words; the server's under Details: error-server-message),
//            error-code, error-request-id, error-retry,
//            confirm-dialog, confirm-ok, confirm-cancel (the one modal <dialog>).
//  Sessions  #no-session / no-session (no token: "Open the link your agent sent you"),
//            a link that cannot sign in: link-expired, link-used, link-revoked, link-unknown,
//            link-failed (the server could not be reached); each says "Ask your agent for a
//            new link", and ask-agent holds ask-agent-<signal|whatsapp|discord> (links that
//            open the chat app: the remembered preferred one, else each). #expired / expired (any 401: token cleared), expired-reason (under
//            Details), #signed-out / signed-out (after logout), signed-out-warning.
//  Overview  me-display-name (in the heading) overview-summary (what the page is)
//            overview-status (how things stand, one sentence) agents-list agent-row-<agent_id>
//            ("friends since" a date) agents-empty
//            me-channel-form me-channel (select) me-channel-save me-channel-none
//            sessions-card sessions-list session-row-<id> session-end-<id> session-current
//            me-details (<details>) holding me-id me-namespace me-stat-logs me-stat-secrets
//  Memory /  <p> = memory | heartbeat: <p>-editor (textarea) <p>-save <p>-reload <p>-status
//  Heartbeat <p>-preview <p>-conflict <p>-conflict-theirs <p>-conflict-overwrite
//            <p>-conflict-load <p>-conflict-dismiss
//            Heartbeat only: heartbeat-items heartbeat-item-<i> (the words) heartbeat-done-<i>
//            (checkbox) heartbeat-remove-<i> heartbeat-add heartbeat-items-empty
//            heartbeat-advanced (<details> holding heartbeat-editor, the text)
//  Notes     notes-content notes-empty notes-updated ("Last updated ...")
//  Secrets   <f> = secret-create | secret-edit: <f>-key-<i> <f>-value-<i> (a textarea, masked:
//            class "masked") <f>-reveal-<i> (Show/Hide, aria-pressed) <f>-copy-<i>
//            <f>-remove-<i> <f>-add-row <f>-submit; secret-create-form secret-create-name,
//            secret-edit-form-<name> secret-edit-cancel.
//            secrets-list secrets-empty secret-row-<name> secret-keys-<name> (one line per key)
//            secret-reveal-<name>-<key> (Show/Hide, aria-pressed) secret-value-<name>-<key>
//            (only while shown) secret-copy-<name>-<key> secret-edit-<name>
//            secret-delete-<name> secret-apps-<name> ("Used by <app links>" or how an app gets
//            to use it); in its confirmation: secret-delete-usage ("Used by: ..." or "No app
//            uses it.")
//  Apps      (#/namespace) namespace-refresh apps-card apps-list apps-empty app-<name>
//            app-state-<name> (data-state: running starting failing stopped)
//            app-address-<name> app-copy-<name> app-take-down-<name> app-put-online-<name>
//            (a link to #/expose/<name>) app-secrets-<name> (links to #/secrets/<secret>)
//            app-logs-show-<name> (aria-expanded) app-logs-<name> app-logs-empty-<name>
//            app-restart-<name> app-restart-status-<name> (Restarting… / Back up / Not back
//            up, and "Last restarted ..."); quota-card quota-list quota-<key> (data-percent
//            attribute) quota-empty (first level only near a limit, else in namespace-details;
//            none without apps);
//            namespace-details (<details>) holding deployments-list deployment-row-<name>
//            pods-list pod-row-<name> services-list service-row-<name> exposed-list
//            exposed-row-<name> exposed-url-<name> (<name> of exposed rows is the
//            IngressRoute name, e.g. expose-my-app)
//  Expose    expose-form expose-service expose-name expose-domain expose-advanced (<details>
//            holding expose-port)
//            expose-hostname-preview expose-submit expose-result expose-result-url
//            expose-result-copy expose-result-open (a link, new tab)
//            expose-list expose-list-empty expose-row-<name> expose-remove-<name> (<name>
//            without "expose-"), expose-no-services, expose-no-domains (no domain is
//            configured: "not set up", and no form)
//  Crons     <f> = cron-create (the new-job form) | cron-edit (the one job being changed):
//            <f>-form <f>-name (create only) <f>-message <f>-schedule (the picker's fieldset)
//            <f>-frequency (select: daily weekdays weekly monthly custom) <f>-time
//            <f>-day-<0..6> (checkboxes, cron numbering: 0 Sunday) <f>-days-error
//            <f>-monthday <f>-advanced (<details>) <f>-expr (the cron text, inside it)
//            <f>-tz (a select, by city) <f>-session (select of the agents' conversations,
//            starting at the preferred chat app) <f>-where <f>-no-agent <f>-name-advanced
//            (<details> holding <f>-name, made from the message)
//            <f>-description <f>-next-runs <f>-next-run-<i> (0..2, <time datetime=ISO> in
//            the job's zone) <f>-next-run-<i>-yours ("your time", when it differs)
//            <f>-never <f>-submit <f>-cancel (edit only); field errors: <testid>-error.
//            crons-list crons-empty cron-row-<name> cron-title-<name> (the message)
//            cron-description-<name>
//            cron-next-run-<name> cron-last-run-<name> cron-session-<name>
//            cron-change-<name> (opens cron-edit) cron-toggle-<name> (role=switch,
//            aria-checked; reads Active or Paused) cron-runs-paused-<name>
//            cron-run-<name> cron-delete-<name> cron-history-<name> (<details>)
//            cron-runs-<name> holding cron-run-item-<i> (newest first), cron-runs-empty-<name>
// Links into a view: #/<route>/<name> brings that card into view and focuses it
// (#/namespace/<app>, #/secrets/<secret>, #/expose/<app> opens the form on that app).
// Ids: #view, #view-title, #expired, #no-session, #signed-out, #logout, #nav-logout,
// #confirm-dialog.

import { api, session, onUnauthorized, isSilent, exchangeLink } from './js/api.js';
import { h, clear, confirmDialog, toast, clearToast, plainError } from './js/dom.js';
import * as overview from './js/view-overview.js';
import * as files from './js/view-files.js';
import * as secrets from './js/view-secrets.js';
import * as namespace from './js/view-namespace.js';
import * as expose from './js/view-expose.js';
import * as crons from './js/view-crons.js';

const ROUTES = {
  overview: { title: 'Overview', render: overview.render },
  memory: { title: 'My memory', render: files.renderMemory },
  notes: { title: "Agent's notes", render: files.renderNotes },
  heartbeat: { title: 'Heartbeat', render: files.renderHeartbeat },
  secrets: { title: 'Secrets', render: secrets.render },
  namespace: { title: 'Your apps', render: namespace.render },
  expose: { title: 'Put an app online', render: expose.render },
  crons: { title: 'Scheduled messages', render: crons.render },
};
const DEFAULT_ROUTE = 'overview';

const main = document.getElementById('view');
const nav = document.getElementById('site-nav');
const account = document.getElementById('account');
const whoami = document.getElementById('whoami');
const menuButton = document.getElementById('menu-button');

const state = {
  authView: null, // null | 'expired' | 'signed-out' | 'no-session'
  authReason: null,
  current: null, // {route, controller, dirty}
  currentHash: '',
  mePromise: null,
  firstRender: true,
  leaving: null, // {target} while the "leave without saving?" dialog is open
  draft: null, // {label, text}: unsaved editor text at the moment the session ended
};

/** The friend's profile, fetched once per page load and shared by the views. */
function me() {
  if (!state.mePromise) {
    state.mePromise = api.get('/me').then((r) => {
      // Remembered for the pages of a dead link, which know no one: they offer this app.
      try {
        if (r.data && r.data.preferred_channel) window.localStorage.setItem(CHAT_KEY, r.data.preferred_channel);
      } catch { /* storage disabled */ }
      return r.data;
    });
    state.mePromise.catch(() => { state.mePromise = null; });
  }
  return state.mePromise;
}

function routeFromHash() {
  const m = window.location.hash.match(/^#\/([a-z-]+)/);
  return m && ROUTES[m[1]] ? m[1] : null;
}

/** What a link into a view points at: "#/secrets/db-pass" -> "db-pass" (a card to show). */
function targetFromHash() {
  const m = window.location.hash.match(/^#\/[a-z-]+\/(.+)$/);
  if (!m) return null;
  try { return decodeURIComponent(m[1]); } catch { return null; }
}

function leaveCurrent() {
  if (state.current) {
    state.current.controller.abort();
    if (typeof state.current.cleanup === 'function') state.current.cleanup();
  }
  state.current = null;
}

function setChrome(signedIn) {
  nav.hidden = !signedIn;
  account.hidden = !signedIn;
  if (!signedIn) whoami.textContent = '';
}

/** The phone shell's menu (CSS shows the button and hides the nav below 560 px). */
function setMenu(open) {
  nav.classList.toggle('open', open);
  menuButton.setAttribute('aria-expanded', String(open));
}

function markNav(route) {
  for (const a of nav.querySelectorAll('a[data-route]')) {
    if (a.dataset.route === route) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

function sessionView(id, title, paragraphs, extra) {
  leaveCurrent();
  setChrome(false);
  clear(main);
  document.title = `${title} · Friend Portal`;
  const box = h('section', { class: 'card session-card', id, testid: id, 'aria-labelledby': `${id}-title` },
    h('h1', { id: `${id}-title`, class: 'view-title', tabindex: '-1' }, title),
    paragraphs.map((p) => h('p', {}, p)),
    extra);
  main.append(box);
  box.querySelector('h1').focus();
}

function draftBox(draft) {
  if (!draft || !draft.text) return null;
  const area = h('textarea', { id: 'expired-draft', readOnly: true, rows: '8', class: 'editor', testid: 'expired-draft' });
  area.value = draft.text;
  return h('div', { class: 'field notice notice-warn' },
    h('label', { for: 'expired-draft' }, `Your unsaved changes to ${draft.label} were not saved. Copy them before you leave this page:`),
    area);
}

const CHAT_KEY = 'portal.chat';

/** The chat apps a friend may have, and a link that opens each (not a chat: just the app). */
const CHAT_APPS = {
  signal: ['Signal', 'sgnl://'],
  whatsapp: ['WhatsApp', 'whatsapp://'],
  discord: ['Discord', 'discord://'],
};

/** The friend's preferred chat app, remembered from their last visit (not a secret). */
function rememberedChat() {
  try { return window.localStorage.getItem(CHAT_KEY); } catch { return null; }
}

/**
 * The way forward from a link that cannot sign in: ask the agent, in the chat app, for a new
 * one. The agent sends it there, so whoever holds the old link gets nothing new from it.
 */
function askAgentBox() {
  const mine = rememberedChat();
  const apps = CHAT_APPS[mine] ? [mine] : Object.keys(CHAT_APPS);
  return h('div', { class: 'stack ask-agent', testid: 'ask-agent' },
    h('p', {}, 'Ask your agent for a new link: write to it in the chat app where you got this one. The new link is sent to you there, and only there.'),
    h('div', { class: 'actions' }, apps.map((c) => h('a', {
      class: 'btn btn-primary', href: CHAT_APPS[c][1], testid: `ask-agent-${c}`,
    }, `Open ${CHAT_APPS[c][0]}`))));
}

/** The pages of a link that cannot sign in, by the exchange's error code: plain words only. */
const LINK_PAGES = {
  link_expired: ['link-expired', 'This link has expired', ['Links work for a few days after your agent sends them, and this one is older.']],
  link_used: ['link-used', 'This link was already used', ['Each link signs in one browser, once. Someone (probably you) already opened this one.']],
  link_revoked: ['link-revoked', 'This link was cancelled', ['It was ended before it was opened.']],
  link_unknown: ['link-unknown', 'This link does not work', ['It may have been copied only in part. Check that you opened the whole link.']],
};

function showAuthView() {
  const link = LINK_PAGES[state.authView];
  if (link) {
    const [id, title, paragraphs] = link;
    sessionView(id, title, paragraphs, askAgentBox());
  } else if (state.authView === 'link-failed') {
    sessionView('link-failed', 'Could not open your link', [
      'The portal could not be reached just now. Check your connection and open the link again.',
    ]);
  } else if (state.authView === 'expired') {
    const r = state.authReason;
    sessionView('expired', 'You have been signed out', [
      'Your session has expired or was ended, for example from another device.',
    ], [
      askAgentBox(),
      draftBox(state.draft),
      // For whoever helps: what the server said, folded away.
      r && r.message ? h('details', { class: 'error-details' }, h('summary', {}, 'Details'),
        h('p', { class: 'hint', testid: 'expired-reason' }, `${r.message}${r.code ? ` (${r.code})` : ''}`)) : null,
    ]);
  } else if (state.authView === 'signed-out') {
    sessionView('signed-out', 'You are signed out', [
      'This browser no longer holds your portal session.',
      'To come back, open a new link from your agent.',
    ], state.authReason ? h('p', { class: 'notice notice-warn', testid: 'signed-out-warning' }, state.authReason) : null);
  } else {
    sessionView('no-session', 'Open the link your agent sent you', [
      'The Friend Portal has no passwords. Ask your agent for a portal link and open it in this browser: it signs you in for 30 days.',
    ]);
  }
}

/**
 * Opens a magic link's token: trades it for this browser's own session. A link already used
 * by this very browser (it holds a session) just continues; any other failure gets its page.
 */
async function openLink(token) {
  try {
    session.set(await exchangeLink(token));
    state.authView = null;
  } catch (e) {
    if (e.code === 'link_used' && session.get()) return;
    session.clear();
    state.authView = LINK_PAGES[e.code] ? e.code : e.status === 0 ? 'link-failed' : 'link_unknown';
  }
}

onUnauthorized((err) => {
  state.mePromise = null;
  // Unsaved text in an editor must not vanish with the session: show it on the expired page.
  const cur = state.current;
  if (cur) state.draft = cur.draft ? cur.draft() : null;
  if (err.code === 'no_session') {
    state.authView = state.authView || 'no-session';
  } else {
    state.authView = 'expired';
    state.authReason = err;
  }
  showAuthView();
});

async function render() {
  if (!session.get()) {
    state.authView = state.authView || 'no-session';
    showAuthView();
    return;
  }
  const route = routeFromHash();
  if (!route) {
    window.history.replaceState(null, '', `${window.location.pathname}${window.location.search}#/${DEFAULT_ROUTE}`);
  }
  const name = route || DEFAULT_ROUTE;
  const def = ROUTES[name];
  leaveCurrent();
  setChrome(true);
  setMenu(false);
  clearToast();
  markNav(name);
  document.title = `${def.title} · Friend Portal`;
  clear(main);
  const root = h('div', { class: 'view-root', testid: `view-${name}` });
  main.append(root);
  const controller = new AbortController();
  const current = { route: name, controller, dirty: () => false, draft: null, cleanup: null };
  state.current = current;
  state.currentHash = window.location.hash;
  const ctx = {
    signal: controller.signal,
    me,
    target: targetFromHash(),
    setDirty(fn) { current.dirty = fn; },
    setDraft(fn) { current.draft = fn; },
    onLeave(fn) { current.cleanup = fn; },
  };
  const focusHeading = !state.firstRender;
  state.firstRender = false;
  try {
    def.render(root, ctx);
  } catch (e) {
    if (!isSilent(e)) throw e;
  }
  if (focusHeading) {
    const heading = root.querySelector('h1');
    if (heading) heading.focus();
  }
}

async function onHashChange() {
  if (!session.get()) { render(); return; }
  const cur = state.current;
  const here = `${window.location.pathname}${window.location.search}`;
  if (state.leaving) {
    // A confirmation is already open: remember the latest target and stay put.
    state.leaving.target = window.location.hash;
    window.history.replaceState(null, '', `${here}${state.currentHash}`);
    return;
  }
  if (cur && cur.dirty() && window.location.hash !== state.currentHash) {
    state.leaving = { target: window.location.hash };
    window.history.replaceState(null, '', `${here}${state.currentHash}`);
    let leave;
    try {
      leave = await confirmDialog({
        title: 'Leave without saving?',
        message: 'You have changes that are not saved yet. If you leave this page now they are lost.',
        confirmLabel: 'Discard changes',
        danger: true,
      });
    } finally {
      const { target } = state.leaving;
      state.leaving = null;
      if (leave) {
        cur.dirty = () => false;
        window.history.pushState(null, '', `${here}${target}`);
      }
    }
    if (!leave) return;
  }
  render();
}

async function logout(ev) {
  const button = ev.currentTarget;
  setMenu(false);
  const sure = await confirmDialog({
    title: 'Sign out of this browser?',
    message: 'To come back, you will need a new link from your agent.',
    confirmLabel: 'Sign out',
  });
  if (!sure) return;
  button.disabled = true;
  let warning = null;
  try {
    await api.del('/session', { noAuthRedirect: true });
  } catch (e) {
    if (e.status !== 401) {
      warning = 'The portal could not confirm the sign-out. This browser has forgotten the session anyway; it stays valid on the portal until it expires, so ask your agent to end it if you are worried.';
    }
  } finally {
    button.disabled = false;
  }
  session.clear();
  state.mePromise = null;
  state.authView = 'signed-out';
  state.authReason = warning;
  showAuthView();
}

async function boot() {
  // Magic link: /portal?s=<token>. Keep the token, then take it out of the address bar and
  // out of the history entry before anything else happens, then spend it.
  const params = new URLSearchParams(window.location.search);
  const token = params.get('s');
  if (token !== null) {
    params.delete('s');
    const query = params.toString();
    window.history.replaceState(null, '', `${window.location.pathname}${query ? `?${query}` : ''}${window.location.hash || `#/${DEFAULT_ROUTE}`}`);
    if (token.trim()) await openLink(token.trim());
  }

  document.getElementById('logout').addEventListener('click', logout);
  // On a phone, Sign out sits at the end of the menu, away from the Menu button.
  document.getElementById('nav-logout').addEventListener('click', logout);
  menuButton.addEventListener('click', () => {
    const open = !nav.classList.contains('open');
    setMenu(open);
    if (open) {
      const here = nav.querySelector('a[aria-current="page"]') || nav.querySelector('a');
      if (here) here.focus();
    }
  });
  // Choosing a section closes the menu, also when it is the section already open.
  nav.addEventListener('click', (ev) => { if (ev.target.closest('a')) setMenu(false); });
  nav.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && nav.classList.contains('open')) {
      setMenu(false);
      menuButton.focus();
    }
  });
  // The skip link must not change the hash (that is the router's): move focus by hand.
  document.querySelector('.skip-link').addEventListener('click', (ev) => {
    ev.preventDefault();
    (main.querySelector('h1') || main).focus();
  });
  window.addEventListener('hashchange', onHashChange);
  window.addEventListener('beforeunload', (ev) => {
    if (state.current && state.current.dirty()) {
      ev.preventDefault();
      ev.returnValue = '';
    }
  });
  // Signed out in another tab: follow along.
  window.addEventListener('storage', (ev) => {
    if (ev.key === 'portal.session' && !ev.newValue && state.current) {
      state.authView = 'signed-out';
      state.authReason = null;
      showAuthView();
    }
  });

  render();
  if (session.get()) {
    me().then((profile) => {
      whoami.textContent = profile && profile.display_name ? `Signed in as ${profile.display_name}` : '';
    }).catch((e) => {
      if (!isSilent(e)) toast(`Could not load your profile. ${plainError(e)}`, 'error');
    });
  }
}

boot();

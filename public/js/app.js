// The portal shell: session, navigation and a hash router that renders one page module at a time.
import { api, setCsrfToken } from './api.js';
import { h, clear, errorAlert } from './ui.js';

const routes = [
  { pattern: /^\/login$/, page: 'login', title: 'Sign in', public: true },
  { pattern: /^\/catalog$/, page: 'catalog', title: 'API catalog', public: true },
  { pattern: /^\/catalog\/([0-9a-fA-F-]{36})$/, page: 'api-detail', title: 'API', public: true, params: ['id'] },
  { pattern: /^\/apps$/, page: 'apps', title: 'My applications' },
  { pattern: /^\/apps\/([0-9a-fA-F-]{36})$/, page: 'app-detail', title: 'Application', params: ['id'] },
  { pattern: /^\/approvals$/, page: 'approvals', title: 'Approvals' },
  { pattern: /^\/publish$/, page: 'publisher', title: 'My APIs' },
  { pattern: /^\/publish\/([0-9a-fA-F-]{36})$/, page: 'api-manage', title: 'Manage API', params: ['id'] },
  { pattern: /^\/analytics$/, page: 'analytics', title: 'Analytics' },
  { pattern: /^\/logs$/, page: 'logs', title: 'Call log' },
  { pattern: /^\/audit$/, page: 'audit', title: 'Audit log' },
  { pattern: /^\/teams$/, page: 'teams', title: 'Teams' },
  { pattern: /^\/tenant$/, page: 'tenant', title: 'Tenant settings' },
  { pattern: /^\/account$/, page: 'account', title: 'Account' },
];

export const session = { me: null, pending: 0 };

export async function refreshSession() {
  // The session cookie is HttpOnly; this companion cookie only says "probably signed in", so
  // signed-out visitors do not cause a 401 on every page load.
  if (!document.cookie.split('; ').includes('portico_signed_in=1')) {
    session.me = null;
    setCsrfToken(null);
    renderChrome();
    return;
  }
  try {
    session.me = await api('/me');
    setCsrfToken(session.me.csrfToken);
  } catch {
    session.me = null;
    setCsrfToken(null);
    document.cookie = 'portico_signed_in=; Max-Age=0; Path=/; SameSite=Strict';
  }
  renderChrome();
}

export function navigate(path) {
  if (location.hash === `#${path}`) route(); else location.hash = path;
}

function isMaintainer() {
  const me = session.me;
  return !!me && (me.tenant?.role === 'admin' || me.teams.some((team) => team.role === 'maintainer'));
}

function isAdmin() { return session.me?.tenant?.role === 'admin'; }

function navLink(path, label, extra) {
  const current = (location.hash.replace(/^#/, '') || '/catalog').split('?')[0];
  const active = current === path || (path !== '/catalog' && current.startsWith(`${path}/`)) || (path === '/catalog' && current.startsWith('/catalog'));
  return h('a', { href: `#${path}`, 'aria-current': active ? 'page' : undefined }, label, extra || null);
}

function renderChrome() {
  const sidebar = document.getElementById('sidebar');
  const me = session.me;
  const groups = [h('div.group', h('div.group-title', 'Discover'), navLink('/catalog', 'API catalog'))];
  if (me) {
    groups.push(h('div.group', h('div.group-title', 'Consume'), navLink('/apps', 'My applications')));
    if (isMaintainer()) {
      groups.push(h('div.group', h('div.group-title', 'Publish'), navLink('/publish', 'My APIs'),
        navLink('/approvals', 'Approvals', session.pending ? h('span.count', { 'aria-label': `${session.pending} pending` }, String(session.pending)) : null)));
    }
    groups.push(h('div.group', h('div.group-title', 'Insights'), navLink('/analytics', 'Analytics'), navLink('/logs', 'Call log'), navLink('/audit', 'Audit log')));
    groups.push(h('div.group', h('div.group-title', 'Organisation'), navLink('/teams', 'Teams'), isAdmin() ? navLink('/tenant', 'Tenant settings') : null,
      navLink('/account', 'Account & tokens')));
  }
  clear(sidebar, groups);
  const area = document.getElementById('session-area');
  if (me) {
    const out = h('button.btn.small', { type: 'button' }, 'Sign out');
    out.addEventListener('click', async () => {
      try { await api('/auth/logout', { method: 'POST' }); } catch { /* already signed out */ }
      session.me = null;
      setCsrfToken(null);
      renderChrome();
      navigate('/catalog');
    });
    clear(area, h('span.who.muted.small', `${me.user.displayName}${me.tenant ? ` · ${me.tenant.name}` : ''}`), out);
  } else {
    clear(area, h('a.btn.small.primary', { href: '#/login' }, 'Sign in'));
  }
}

async function updatePendingCount() {
  if (!isMaintainer()) return;
  try {
    const inbox = await api('/subscriptions/inbox', { params: { limit: 100 } });
    const count = inbox.items.length;
    if (count !== session.pending) {
      session.pending = count;
      renderChrome();
    }
  } catch { /* the badge is a convenience */ }
}

let generation = 0;
async function route() {
  const [path, queryString] = (location.hash.replace(/^#/, '') || '/catalog').split('?');
  const main = document.getElementById('main');
  const match = routes.map((r) => ({ r, m: r.pattern.exec(path) })).find((x) => x.m);
  document.getElementById('sidebar').classList.remove('open');
  document.getElementById('menu-toggle').setAttribute('aria-expanded', 'false');
  renderChrome();
  if (!match) {
    clear(main, h('div.empty', h('div.title', 'Page not found'), h('p', 'There is nothing at this address.'), h('a.btn', { href: '#/catalog' }, 'Go to the catalog')));
    document.title = 'Not found · Portico';
    return;
  }
  const { r, m } = match;
  if (!r.public && !session.me) {
    sessionStorage.setItem('portico.after-login', path);
    navigate('/login');
    return;
  }
  const params = Object.fromEntries([...new URLSearchParams(queryString || '')].concat((r.params || []).map((name, index) => [name, m[index + 1]])));
  const mine = ++generation;
  document.title = `${r.title} · Portico`;
  clear(main, h('div.loading-page', { role: 'status' }, 'Loading…'));
  try {
    const module = await import(`./pages/${r.page}.js`);
    if (mine !== generation) return;
    const view = h('div');
    await module.render(view, params, { session, refreshSession, navigate });
    if (mine !== generation) return;
    clear(main, view);
    const heading = main.querySelector('h1');
    if (heading) { heading.setAttribute('tabindex', '-1'); heading.focus({ preventScroll: true }); }
    window.scrollTo(0, 0);
  } catch (error) {
    if (mine !== generation) return;
    if (error.status === 401) {
      await refreshSession();
      navigate('/login');
      return;
    }
    clear(main, h('h1', r.title), errorAlert(error));
  }
  updatePendingCount();
}

document.getElementById('menu-toggle').addEventListener('click', () => {
  const sidebar = document.getElementById('sidebar');
  const open = sidebar.classList.toggle('open');
  document.getElementById('menu-toggle').setAttribute('aria-expanded', String(open));
});
window.addEventListener('hashchange', route);
refreshSession().then(route);

import { api } from '../api.js';
import { h, clear, empty, errorAlert, fmtDate } from '../ui.js';

export async function render(root, _params, { session }) {
  const admin = session.me.tenant?.role === 'admin';
  const action = h('select', { id: 'audit-action', 'aria-label': 'Action' },
    [['', 'All actions'], ['auth', 'Sign-ins'], ['api', 'APIs'], ['version', 'Versions'], ['plan', 'Plans'], ['application', 'Applications'], ['key', 'Keys'],
      ['subscription', 'Subscriptions'], ['team', 'Teams'], ['tenant', 'Tenant'], ['token', 'Personal tokens']].map(([v, l]) => h('option', { value: v }, l)));
  const target = h('input', { type: 'search', id: 'audit-target', placeholder: 'Target id', 'aria-label': 'Target id' });
  const from = h('input', { type: 'date', id: 'audit-from', 'aria-label': 'From' });
  const to = h('input', { type: 'date', id: 'audit-to', 'aria-label': 'To' });
  const results = h('div', { 'aria-live': 'polite' });
  root.append(h('div.page-head', h('div', h('h1', 'Audit log'),
    h('p.lead', admin ? 'Every change and security-relevant action in the tenant.' : 'Your own actions (tenant admins see everyone\'s).'))),
    h('form.search-bar', { role: 'search', onsubmit: (e) => { e.preventDefault(); load(); } }, action, target, from, to, h('button.btn', { type: 'submit' }, 'Filter')),
    results);
  action.addEventListener('change', () => load());

  async function load(cursor) {
    const params = { action: action.value, targetId: target.value.trim(), limit: 50, cursor,
      from: from.value ? new Date(`${from.value}T00:00:00`).toISOString() : undefined,
      to: to.value ? new Date(new Date(`${to.value}T00:00:00`).getTime() + 86400000).toISOString() : undefined };
    if (!cursor) clear(results, h('div.skeleton', { style: 'min-height:120px' }));
    try {
      const page = await api('/audit-events', { params });
      if (!cursor && !page.items.length) { clear(results, empty('No events match')); return; }
      let body = results.querySelector('tbody');
      if (!cursor || !body) {
        body = h('tbody');
        clear(results, h('div.table-wrap', h('table', h('thead', h('tr', h('th', 'When'), h('th', 'Who'), h('th', 'Action'), h('th', 'Target'), h('th', 'Change'))), body)));
      }
      results.querySelector('.more')?.remove();
      for (const event of page.items) {
        const change = event.before || event.after
          ? h('details', h('summary', 'Show'), h('pre', { style: 'max-width:420px;white-space:pre-wrap' }, JSON.stringify({ before: event.before, after: event.after }, null, 2)))
          : '—';
        body.append(h('tr', h('td', fmtDate(event.createdAt)), h('td', event.actorLabel), h('td', h('code', event.action)),
          h('td', event.targetType, h('div.muted.small.mono', event.targetId)), h('td', change)));
      }
      if (page.nextCursor) {
        const more = h('button.btn.more', { type: 'button', style: 'margin-top:.75rem' }, 'Older events');
        more.addEventListener('click', () => load(page.nextCursor));
        results.append(more);
      }
    } catch (error) {
      clear(results, errorAlert(error));
    }
  }
  await load();
}

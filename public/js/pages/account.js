import { api } from '../api.js';
import { h, clear, empty, errorAlert, field, fmtDate, copyButton, toast, busy, badge, showFieldErrors, clearFieldErrors } from '../ui.js';

export async function render(root, _params, { session }) {
  const me = session.me;
  const tokens = h('div');
  const secret = h('div', { 'aria-live': 'polite' });
  const form = h('form.card', { novalidate: true, id: 'token-form' }, h('h2', 'New personal API token'),
    h('p.muted.small', 'For scripts and CI: send it as Authorization: Bearer <token>. It acts as you, in this tenant.'), h('div.form-alert'),
    h('div.form-grid', field('Name', 'name', { required: true, placeholder: 'deploy pipeline' }), field('Expires', 'expiresAt', { type: 'date' })),
    h('button.btn.primary', { type: 'submit' }, 'Create token'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    const data = Object.fromEntries(new FormData(form).entries());
    const body = { name: data.name, expiresAt: data.expiresAt ? new Date(`${data.expiresAt}T00:00:00Z`).toISOString() : undefined };
    try {
      const created = await api('/me/tokens', { method: 'POST', body });
      clear(secret, h('div.alert.success', h('strong', 'Copy the token now — it is shown once.'), h('div.secret', { style: 'margin-top:.5rem' }, h('code', created.secret), copyButton(created.secret))));
      form.reset();
      load();
    } catch (error) { showFieldErrors(form, error); }
  });
  root.append(h('div.page-head', h('div', h('h1', 'Account'), h('p.lead', `${me.user.displayName} · ${me.user.email}`))),
    h('div.card', h('h2', 'Memberships'), h('p', 'Tenants: ', me.tenants.map((t) => h('span', `${t.name} (${t.role}) `))),
      h('p', 'Teams: ', me.teams.length ? me.teams.map((t) => h('span', `${t.name} (${t.role}) `)) : h('span.muted', 'none'))),
    h('h2', 'Personal API tokens'), secret, tokens, form);
  async function load() {
    try {
      const list = (await api('/me/tokens')).items;
      clear(tokens, list.length ? h('div.table-wrap', { style: 'margin-bottom:1rem' }, h('table', h('thead', h('tr', h('th', 'Name'), h('th', 'Token'), h('th', 'Created'), h('th', 'Last used'), h('th', 'Status'), h('th', ''))),
        h('tbody', list.map((t) => {
          const revoke = h('button.btn.small.danger', { type: 'button' }, 'Revoke');
          revoke.addEventListener('click', async () => { await busy(revoke, () => api(`/me/tokens/${t.id}`, { method: 'DELETE' })); toast('Token revoked'); load(); });
          return h('tr', h('td', t.name), h('td', h('code', `${t.prefix}…`)), h('td', fmtDate(t.createdAt)), h('td', fmtDate(t.lastUsedAt)),
            h('td', badge(t.revokedAt ? 'revoked' : 'active', t.revokedAt ? 'revoked' : 'active')), h('td', t.revokedAt ? '' : revoke));
        }))))
        : empty('No tokens'));
    } catch (error) { clear(tokens, errorAlert(error)); }
  }
  await load();
}

import { api, all } from '../api.js';
import { h, clear, errorAlert, field, showFieldErrors, clearFieldErrors, toast, badge, fmtDate, busy, confirmDialog } from '../ui.js';

export async function render(root, _params, { session, refreshSession }) {
  const tenantId = session.me.tenant?.id;
  if (!tenantId || session.me.tenant.role !== 'admin') {
    root.append(h('h1', 'Tenant settings'), h('div.alert.info', 'Only tenant admins manage the tenant.'));
    return;
  }
  const tenant = await api(`/tenants/${tenantId}`);
  const rename = h('form.card', { novalidate: true, id: 'tenant-form' }, h('h2', 'Tenant'), h('div.form-alert'),
    h('div.form-grid', field('Name', 'name', { value: tenant.name, required: true }), field('Slug', 'slug', { value: tenant.slug, hint: 'Used at sign-in; cannot change.' })),
    h('button.btn.primary', { type: 'submit' }, 'Save'));
  rename.querySelector('[name=slug]').setAttribute('readonly', '');
  rename.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFieldErrors(rename);
    try {
      await api(`/tenants/${tenantId}`, { method: 'PATCH', body: { name: new FormData(rename).get('name') } });
      toast('Saved');
      refreshSession();
    } catch (error) { showFieldErrors(rename, error); }
  });
  const members = h('div');
  const invite = h('form.card', { novalidate: true, id: 'member-form' }, h('h2', 'Add a member'), h('div.form-alert'),
    h('div.form-grid', field('E-mail', 'email', { type: 'email', required: true }), field('Name', 'displayName'),
      field('Initial password', 'password', { type: 'password', hint: 'Needed when the person has no account yet (10+ characters).', autocomplete: 'new-password' }),
      field('Role', 'role', { options: [['member', 'Member'], ['admin', 'Admin']] })),
    h('button.btn.primary', { type: 'submit' }, 'Add member'));
  invite.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFieldErrors(invite);
    const data = Object.fromEntries(new FormData(invite).entries());
    if (!data.password) delete data.password;
    try {
      await api(`/tenants/${tenantId}/members`, { method: 'POST', body: data });
      invite.reset();
      toast('Member added');
      load();
    } catch (error) { showFieldErrors(invite, error); }
  });
  root.append(h('div.page-head', h('div', h('h1', 'Tenant settings'), h('p.lead', `Created ${fmtDate(tenant.createdAt, false)}`))), rename,
    h('h2', 'Members'), members, invite);

  async function load() {
    try {
      const list = await all(`/tenants/${tenantId}/members`);
      clear(members, h('div.table-wrap', { style: 'margin-bottom:1rem' }, h('table', h('thead', h('tr', h('th', 'Member'), h('th', 'Role'), h('th', ''))),
        h('tbody', list.map((m) => {
          const toggle = h('button.btn.small', { type: 'button' }, m.role === 'admin' ? 'Make member' : 'Make admin');
          toggle.addEventListener('click', async () => {
            await busy(toggle, () => api(`/tenants/${tenantId}/members/${m.user.id}`, { method: 'PATCH', body: { role: m.role === 'admin' ? 'member' : 'admin' } }));
            load();
          });
          const remove = h('button.btn.small.danger', { type: 'button' }, 'Remove');
          remove.addEventListener('click', async () => {
            if (!(await confirmDialog({ title: `Remove ${m.user.displayName}?`, body: h('p', 'They lose access to the tenant, its teams and sessions at once.'), confirmLabel: 'Remove', danger: true }))) return;
            await busy(remove, () => api(`/tenants/${tenantId}/members/${m.user.id}`, { method: 'DELETE' }));
            load();
          });
          return h('tr', h('td', m.user.displayName, h('div.muted.small', m.user.email)), h('td', badge(m.role === 'admin' ? 'active' : 'draft', m.role)),
            h('td', h('div.actions', toggle, remove)));
        })))));
    } catch (error) { clear(members, errorAlert(error)); }
  }
  await load();
}

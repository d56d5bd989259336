import { api, all } from '../api.js';
import { h, clear, empty, errorAlert, field, showFieldErrors, clearFieldErrors, toast, busy, confirmDialog, badge } from '../ui.js';

export async function render(root, _params, { session, refreshSession }) {
  const admin = session.me.tenant?.role === 'admin';
  const list = h('div');
  root.append(h('div.page-head', h('div', h('h1', 'Teams'), h('p.lead', 'Teams own APIs and applications. Maintainers publish and approve; developers build applications.'))), list);
  if (admin) {
    const form = h('form.card', { novalidate: true, id: 'team-form', style: 'margin-top:1rem' }, h('h2', 'New team'), h('div.form-alert'),
      h('div.form-grid', field('Name', 'name', { required: true }), field('Description', 'description')),
      h('button.btn.primary', { type: 'submit' }, 'Create team'));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearFieldErrors(form);
      try {
        await api('/teams', { method: 'POST', body: Object.fromEntries(new FormData(form).entries()) });
        form.reset();
        toast('Team created');
        load();
      } catch (error) { showFieldErrors(form, error); }
    });
    root.append(form);
  }
  const myRoles = Object.fromEntries(session.me.teams.map((t) => [t.id, t.role]));

  async function load() {
    try {
      const teams = await all('/teams');
      if (!teams.length) { clear(list, empty('No teams yet', admin ? 'Create the first team below.' : 'Ask a tenant admin to create one.')); return; }
      const cards = await Promise.all(teams.map(async (team) => {
        const canManage = admin || myRoles[team.id] === 'maintainer';
        const members = await all(`/teams/${team.id}/members`).catch(() => []);
        const rows = members.map((m) => {
          const actions = h('div.actions');
          if (canManage) {
            const remove = h('button.btn.small.danger', { type: 'button' }, 'Remove');
            remove.addEventListener('click', async () => {
              if (!(await confirmDialog({ title: `Remove ${m.user.displayName} from ${team.name}?`, body: h('p', 'They lose the team\'s roles at once.'), confirmLabel: 'Remove', danger: true }))) return;
              await busy(remove, () => api(`/teams/${team.id}/members/${m.user.id}`, { method: 'DELETE' }));
              load();
            });
            actions.append(remove);
          }
          return h('tr', h('td', m.user.displayName, h('div.muted.small', m.user.email)), h('td', badge(m.role === 'maintainer' ? 'active' : 'draft', m.role)), h('td', actions));
        });
        let add = null;
        if (canManage) {
          add = h('form.row', { novalidate: true, style: 'margin-top:.75rem' },
            h('input', { name: 'email', type: 'email', placeholder: 'member@company.com', 'aria-label': `E-mail of the member to add to ${team.name}`, style: 'flex:1 1 200px' }),
            h('select', { name: 'role', 'aria-label': 'Role' }, h('option', { value: 'developer' }, 'Developer'), h('option', { value: 'maintainer' }, 'Maintainer')),
            h('button.btn.small', { type: 'submit' }, 'Add member'));
          add.addEventListener('submit', async (event) => {
            event.preventDefault();
            try {
              await api(`/teams/${team.id}/members`, { method: 'POST', body: Object.fromEntries(new FormData(add).entries()) });
              toast('Member added');
              await refreshSession();
              load();
            } catch (error) { toast(error.errors?.[0] ? `${error.errors[0].field} ${error.errors[0].message}` : error.message, 'error'); }
          });
        }
        return h('div.card', { 'data-team': team.slug }, h('div.row', h('h2', { style: 'margin:0' }, team.name), myRoles[team.id] ? badge('active', `you: ${myRoles[team.id]}`) : null),
          team.description ? h('p.muted', team.description) : null,
          members.length ? h('div.table-wrap', h('table', h('thead', h('tr', h('th', 'Member'), h('th', 'Role'), h('th', ''))), h('tbody', rows))) : h('p.muted', 'No members.'),
          add);
      }));
      clear(list, h('div.stack', cards));
    } catch (error) {
      clear(list, errorAlert(error));
    }
  }
  await load();
}

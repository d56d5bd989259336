import { api, all } from '../api.js';
import { h, clear, empty, errorAlert, field, fmtDate, showFieldErrors, clearFieldErrors, toast } from '../ui.js';

export async function render(root, _params, { session, navigate }) {
  const teams = session.me.teams;
  const list = h('div');
  root.append(h('div.page-head', h('div', h('h1', 'My applications'), h('p.lead', 'Applications hold keys and subscriptions. Each belongs to one of your teams.'))));

  if (teams.length) {
    const form = h('form.card', { novalidate: true, id: 'new-app-form' },
      h('h2', 'New application'), h('div.form-alert'),
      h('div.form-grid',
        field('Name', 'name', { required: true, placeholder: 'Checkout service' }),
        field('Team', 'teamId', { options: teams.map((t) => [t.id, t.name]), required: true })),
      field('Description', 'description', { placeholder: 'What it does' }),
      h('button.btn.primary', { type: 'submit' }, 'Create application'));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearFieldErrors(form);
      try {
        const app = await api('/applications', { method: 'POST', body: Object.fromEntries(new FormData(form).entries()) });
        toast(`Created ${app.name}`);
        navigate(`/apps/${app.id}`);
      } catch (error) {
        showFieldErrors(form, error);
      }
    });
    root.append(list, form);
  } else {
    root.append(list, h('div.alert.info', 'You are not in a team yet, so you cannot create applications. Ask a tenant admin to add you to one.'));
  }

  try {
    const apps = await all('/applications');
    if (!apps.length) {
      clear(list, empty('No applications yet', 'Create one below, then request subscriptions from the catalog.'));
      return;
    }
    clear(list, h('div.table-wrap', { style: 'margin-bottom:1rem' }, h('table',
      h('thead', h('tr', h('th', 'Application'), h('th', 'Team'), h('th', 'Created'))),
      h('tbody', apps.map((app) => {
        const row = h('tr.clickable', { 'data-app': app.name },
          h('td', h('a', { href: `#/apps/${app.id}` }, app.name), app.description ? h('div.muted.small', app.description) : null),
          h('td', app.teamName), h('td', fmtDate(app.createdAt, false)));
        row.addEventListener('click', (e) => { if (e.target.tagName !== 'A') navigate(`/apps/${app.id}`); });
        return row;
      })))));
  } catch (error) {
    clear(list, errorAlert(error));
  }
}

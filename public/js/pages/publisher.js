import { api, all } from '../api.js';
import { h, clear, badge, empty, errorAlert, field, fmtDate, showFieldErrors, clearFieldErrors, toast } from '../ui.js';

export async function render(root, _params, { session, navigate }) {
  const maintained = session.me.tenant?.role === 'admin' ? session.me.teams : session.me.teams.filter((t) => t.role === 'maintainer');
  let teams = maintained;
  if (session.me.tenant?.role === 'admin') {
    try { teams = (await all('/teams')).map((t) => ({ id: t.id, name: t.name })); } catch { /* fall back to own teams */ }
  }
  const list = h('div');
  root.append(h('div.page-head', h('div', h('h1', 'My APIs'), h('p.lead', 'APIs your teams publish: versions, documentation, plans and their lifecycle.'))), list);
  if (teams.length) {
    const form = h('form.card', { novalidate: true, id: 'new-api-form', style: 'margin-top:1rem' },
      h('h2', 'New API'), h('div.form-alert'),
      h('div.form-grid',
        field('Name', 'name', { required: true, placeholder: 'Orders' }),
        field('Team', 'teamId', { options: teams.map((t) => [t.id, t.name]), required: true }),
        field('Visibility', 'visibility', { options: [['tenant', 'Tenant — everyone in the organisation'], ['public', 'Public — anyone, even signed out'], ['team', 'Team — only the owning team']] })),
      field('Description', 'description', { textarea: true, rows: 3 }),
      field('Tags', 'tags', { hint: 'Comma-separated, e.g. orders, commerce' }),
      h('button.btn.primary', { type: 'submit' }, 'Create API'));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearFieldErrors(form);
      const data = Object.fromEntries(new FormData(form).entries());
      data.tags = (data.tags || '').split(',').map((t) => t.trim()).filter(Boolean);
      try {
        const created = await api('/apis', { method: 'POST', body: data });
        toast(`Created ${created.name}`);
        navigate(`/publish/${created.id}`);
      } catch (error) {
        showFieldErrors(form, error);
      }
    });
    root.append(form);
  }
  try {
    const ids = new Set(teams.map((t) => t.id));
    const apis = (await all('/apis')).filter((a) => ids.has(a.teamId));
    clear(list, apis.length ? h('div.table-wrap', h('table',
      h('thead', h('tr', h('th', 'API'), h('th', 'Team'), h('th', 'Visibility'), h('th', 'Updated'))),
      h('tbody', apis.map((a) => h('tr', { 'data-api': a.slug }, h('td', h('a', { href: `#/publish/${a.id}` }, a.name), h('div.muted.small', a.slug)),
        h('td', a.teamName), h('td', badge(a.visibility === 'public' ? 'public' : 'draft', a.visibility)), h('td', fmtDate(a.updatedAt)))))))
      : empty('No APIs yet', teams.length ? 'Create your first API below.' : 'You are not a maintainer of any team.'));
  } catch (error) {
    clear(list, errorAlert(error));
  }
}

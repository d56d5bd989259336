import { api, all } from '../api.js';
import { h, clear, badge, fmtDate, fmtNumber, errorAlert, field, showFieldErrors, clearFieldErrors, empty, toast } from '../ui.js';
import { renderDocs } from '../openapi.js';

export function planLimits(plan) {
  const parts = [];
  if (plan.rateLimitPerSecond) parts.push(`${fmtNumber(plan.rateLimitPerSecond)} requests/second`);
  if (plan.rateLimitPerMinute) parts.push(`${fmtNumber(plan.rateLimitPerMinute)} requests/minute`);
  if (plan.quotaPerDay) parts.push(`${fmtNumber(plan.quotaPerDay)} requests/day`);
  if (plan.quotaPerMonth) parts.push(`${fmtNumber(plan.quotaPerMonth)} requests/month`);
  return parts.length ? parts : ['No limits'];
}

export async function render(root, { id }, { session }) {
  const detail = await api(`/catalog/${id}`);
  const entry = detail.api;
  root.append(
    h('div.page-head',
      h('div', h('p.muted.small', h('a', { href: '#/catalog' }, 'Catalog'), ' / ', entry.teamName),
        h('h1', entry.name),
        h('div.row', badge(entry.latestVersion.state, `${entry.latestVersion.version} · ${entry.latestVersion.state}`),
          entry.visibility === 'public' ? badge('public', 'public') : badge('draft', entry.visibility), entry.tags.map((t) => h('span.tag', t))))),
    h('p', entry.description || h('span.muted', 'No description.')));

  // Versions
  root.append(h('h2', 'Versions'), h('div.table-wrap', h('table',
    h('thead', h('tr', h('th', 'Version'), h('th', 'State'), h('th', 'Call it at'), h('th', 'Published'), h('th', 'Sunset'))),
    h('tbody', detail.versions.map((v) => h('tr', { 'data-version': v.version },
      h('td', h('strong', v.version)), h('td', badge(v.state)),
      h('td', v.state === 'retired' ? h('span.muted', 'gone') : h('code', v.gatewayUrl)),
      h('td', fmtDate(v.publishedAt, false)),
      h('td', v.sunsetAt ? h('span', { class: v.state === 'deprecated' ? 'badge deprecated' : '' }, fmtDate(v.sunsetAt, false)) : '—')))))));

  // Plans
  root.append(h('h2', 'Plans'), detail.plans.length ? h('div.grid.cards', detail.plans.map((plan) => h('div.card', { 'data-plan': plan.name },
    h('div.row', h('strong', plan.name), h('span.spacer'), plan.approvalRequired ? badge('pending', 'approval required') : badge('active', 'instant')),
    plan.description ? h('p.muted.small', plan.description) : null,
    h('ul.small', { style: 'margin:.25rem 0 0;padding-left:1.1rem' }, planLimits(plan).map((line) => h('li', line))))))
    : empty('No plans yet', 'The publishers have not opened a plan for this API.'));

  // Subscribe
  const subscribeBox = h('div');
  root.append(h('h2', 'Subscribe'), subscribeBox);
  if (!session.me) {
    subscribeBox.append(h('div.card', h('p', h('a', { href: '#/login' }, 'Sign in'), ' to request a subscription for one of your applications.')));
  } else {
    await renderSubscribe(subscribeBox, detail, session);
  }

  // Documentation
  const documented = detail.versions.filter((v) => v.hasOpenApi && v.state !== 'retired');
  const docs = h('div');
  root.append(h('h2', 'Documentation'));
  if (!documented.length) {
    root.append(empty('No documentation yet', 'The publishers have not imported an OpenAPI document.'));
    return;
  }
  const choose = h('select', { id: 'docs-version', 'aria-label': 'Documentation for version' },
    documented.map((v) => h('option', { value: v.id }, `${v.version} (${v.state})`)));
  root.append(h('div.row', h('label', { for: 'docs-version' }, 'Version'), choose), docs);
  async function showDocs() {
    const version = documented.find((v) => v.id === choose.value);
    clear(docs, h('div.skeleton', { style: 'min-height:80px' }));
    try {
      const doc = await api(`/catalog/${id}/versions/${version.id}/openapi`);
      clear(docs, renderDocs(doc, { gatewayUrl: version.gatewayUrl }));
    } catch (error) {
      clear(docs, errorAlert(error));
    }
  }
  choose.addEventListener('change', showDocs);
  await showDocs();
}

async function renderSubscribe(box, detail, session) {
  const open = detail.versions.filter((v) => v.state === 'published');
  if (!open.length) {
    box.append(h('div.alert.warning', 'No version of this API accepts new subscriptions (deprecated versions only serve existing subscribers).'));
    return;
  }
  if (!detail.plans.length) return;
  let apps = [];
  try { apps = await all('/applications'); } catch { /* shown below */ }
  if (!apps.length) {
    box.append(h('div.card', h('p', 'You need an application first. ', h('a', { href: '#/apps' }, 'Create one in My applications'), '.')));
    return;
  }
  const form = h('form.card', { novalidate: true, id: 'subscribe-form' },
    h('div.form-alert'),
    h('div.form-grid',
      field('Application', 'applicationId', { options: apps.map((a) => [a.id, `${a.name} (${a.teamName})`]), required: true }),
      field('Version', 'apiVersionId', { options: open.map((v) => [v.id, v.version]), required: true }),
      field('Plan', 'planId', { options: detail.plans.map((p) => [p.id, `${p.name}${p.approvalRequired ? ' — needs approval' : ''}`]), required: true })),
    field('Note to the publishers', 'note', { hint: 'Optional: what you will use the API for.', textarea: true, rows: 2 }),
    h('button.btn.primary', { type: 'submit' }, 'Request subscription'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    const data = Object.fromEntries(new FormData(form).entries());
    try {
      const subscription = await api('/subscriptions', { method: 'POST', body: data });
      const message = subscription.state === 'active'
        ? 'Subscription active. Create a key for the application and call the API.'
        : 'Request sent. The publishers will review it; you will see the decision under My applications.';
      clear(box, h('div.alert.success', { role: 'status' }, h('strong', subscription.state === 'active' ? 'Subscribed' : 'Requested'), h('div', message),
        h('a', { href: `#/apps/${subscription.applicationId}` }, `Open ${subscription.applicationName}`)));
      toast(subscription.state === 'active' ? 'Subscription active' : 'Subscription requested');
    } catch (error) {
      showFieldErrors(form, error);
    } finally {
      button.disabled = false;
    }
  });
  box.append(form);
}

import { api, all } from '../api.js';
import { h, clear, badge, empty, errorAlert, field, fmtDate, showFieldErrors, clearFieldErrors, toast, busy, confirmDialog } from '../ui.js';
import { planLimits } from './api-detail.js';

/** "get, post" → ["GET", "POST"]; nothing → null (every method). */
function methodList(text) {
  const methods = String(text || '').split(/[\s,]+/).filter(Boolean).map((m) => m.toUpperCase());
  return methods.length ? methods : null;
}

/** "https://a.example, https://b.example" → a CORS policy keeping the version's max age; nothing → null. */
function originList(text, current) {
  const origins = String(text || '').split(/[\s,]+/).filter(Boolean);
  return origins.length ? { allowedOrigins: origins, maxAgeSeconds: current?.maxAgeSeconds ?? 600 } : null;
}

export async function render(root, { id }) {
  const apiInfo = await api(`/apis/${id}`);
  const versionsBox = h('div');
  const editorBox = h('div');
  const plansBox = h('div');
  root.append(
    h('div.page-head',
      h('div', h('p.muted.small', h('a', { href: '#/publish' }, 'My APIs'), ' / ', apiInfo.teamName), h('h1', apiInfo.name),
        h('div.row', badge(apiInfo.visibility === 'public' ? 'public' : 'draft', apiInfo.visibility), apiInfo.tags.map((t) => h('span.tag', t)))),
      h('div.row', h('a.btn', { href: `#/catalog/${id}` }, 'View in catalog'), h('a.btn', { href: `#/analytics?apiId=${id}` }, 'Traffic'))),
    apiInfo.description ? h('p', apiInfo.description) : null,
    h('h2', 'Versions'), versionsBox, editorBox,
    h('h2', 'Plans'), plansBox);

  let versions = [];
  async function loadVersions() {
    try {
      versions = (await api(`/apis/${id}/versions`)).items;
    } catch (error) {
      clear(versionsBox, errorAlert(error));
      return;
    }
    const table = versions.length ? h('div.table-wrap', h('table',
      h('thead', h('tr', h('th', 'Version'), h('th', 'State'), h('th', 'Base path'), h('th', 'Upstream'), h('th', 'Docs'), h('th', 'Sunset'), h('th', 'Lifecycle'))),
      h('tbody', versions.map(versionRow)))) : empty('No versions yet', 'Create the first version below.');
    const newButton = h('button.btn.primary', { type: 'button', id: 'new-version' }, 'New version');
    newButton.addEventListener('click', () => showEditor(null));
    clear(versionsBox, table, h('div.row', { style: 'margin-top:.75rem' }, newButton));
  }

  async function activeSubscribers(versionId) {
    try {
      const subs = await all('/subscriptions', { scope: 'publisher', apiVersionId: versionId, state: 'active' }, 1000);
      return subs.length;
    } catch { return null; }
  }

  function versionRow(v) {
    const actions = h('div.actions');
    if (v.state === 'draft') {
      const edit = h('button.btn.small', { type: 'button' }, 'Edit');
      edit.addEventListener('click', () => showEditor(v));
      const publish = h('button.btn.small.primary', { type: 'button', 'data-action': 'publish' }, 'Publish');
      publish.addEventListener('click', async () => {
        const ok = await confirmDialog({ title: `Publish ${v.version}?`,
          body: h('div', h('p', `The gateway serves ${v.basePath} within a second, and the version appears in the catalog for subscriptions.`),
            h('p.muted', 'Its routing is frozen: later changes need a new version.')), confirmLabel: 'Publish' });
        if (!ok) return;
        await busy(publish, () => api(`/versions/${v.id}/publish`, { method: 'POST' }));
        toast(`Published ${v.version}`);
        loadVersions();
      });
      actions.append(edit, publish);
    } else if (v.state === 'published') {
      const deprecate = h('button.btn.small', { type: 'button', 'data-action': 'deprecate' }, 'Deprecate…');
      deprecate.addEventListener('click', async () => {
        const count = await activeSubscribers(v.id);
        const defaultSunset = new Date(Date.now() + 90 * 86400000).toISOString().slice(0, 10);
        const sunset = h('input', { type: 'date', id: 'sunset-date', name: 'sunsetAt', value: defaultSunset, required: true, min: new Date(Date.now() + 86400000).toISOString().slice(0, 10) });
        const successors = versions.filter((o) => o.state === 'published' && o.id !== v.id);
        const successor = h('select', { id: 'successor', name: 'successorVersionId' }, h('option', { value: '' }, 'None'), successors.map((o) => h('option', { value: o.id }, o.version)));
        const problem = h('div');
        const ok = await confirmDialog({
          title: `Deprecate ${v.version}?`,
          body: h('div', problem,
            h('p', count === null ? 'Existing subscribers keep working until the sunset date.' : `${count} active subscription${count === 1 ? '' : 's'} keep working until the sunset date; every response carries Deprecation and Sunset headers.`),
            h('p', 'No new subscriptions are accepted for this version.'),
            h('div.field', h('label', { for: 'sunset-date' }, 'Sunset date'), sunset),
            h('div.field', h('label', { for: 'successor' }, 'Successor version'), h('span.hint', 'Sent as a Link header so clients find the replacement.'), successor)),
          confirmLabel: 'Deprecate' });
        if (!ok) return;
        try {
          await busy(deprecate, () => api(`/versions/${v.id}/deprecate`, { method: 'POST',
            body: { sunsetAt: new Date(`${sunset.value}T00:00:00Z`).toISOString(), successorVersionId: successor.value || undefined } }));
          toast(`Deprecated ${v.version}`);
          loadVersions();
        } catch { /* toast shown */ }
      });
      actions.append(deprecate);
    } else if (v.state === 'deprecated') {
      const retire = h('button.btn.small.danger', { type: 'button', 'data-action': 'retire' }, 'Retire…');
      retire.addEventListener('click', async () => {
        const count = await activeSubscribers(v.id);
        const ok = await confirmDialog({ title: `Retire ${v.version}?`,
          body: h('div', h('p', `The gateway answers 410 Gone for ${v.basePath} from now on${count ? `, and ${count} active subscription${count === 1 ? '' : 's'} stop working` : ''}.`),
            h('p', h('strong', 'This cannot be undone.'))), confirmLabel: 'Retire version', danger: true });
        if (!ok) return;
        await busy(retire, () => api(`/versions/${v.id}/retire`, { method: 'POST' }));
        toast(`Retired ${v.version}`);
        loadVersions();
      });
      actions.append(retire);
    }
    const targets = v.routing.targets.map((t) => `${t.url}${v.routing.targets.length > 1 ? ` (${t.weight})` : ''}`).join(', ');
    return h('tr', { 'data-version': v.version },
      h('td', h('strong', v.version)), h('td', badge(v.state)), h('td', h('code', v.basePath), v.host ? h('div.muted.small', v.host) : null),
      h('td', h('span.small', targets), h('div.muted.small', v.routing.loadBalancing.replace('_', ' '))),
      h('td', v.hasOpenApi ? badge('ok', 'OpenAPI') : h('span.muted', '—')),
      h('td', v.sunsetAt ? fmtDate(v.sunsetAt, false) : '—'), h('td', actions));
  }

  function targetRow(target = { url: '', weight: 100 }, index) {
    const row = h('div.row.target-row', { style: 'margin-bottom:.5rem' },
      h('input', { name: 'targetUrl', 'data-field': `routing.targets[${index}].url`, value: target.url, placeholder: 'http://orders.internal:8080', 'aria-label': 'Target URL', style: 'flex:3 1 240px' }),
      h('input', { name: 'targetWeight', 'data-field': `routing.targets[${index}].weight`, type: 'number', min: 0, max: 10000, value: target.weight, 'aria-label': 'Weight', style: 'flex:0 1 100px' }));
    const remove = h('button.btn.small', { type: 'button', 'aria-label': 'Remove target' }, 'Remove');
    remove.addEventListener('click', () => row.remove());
    row.append(remove);
    return h('div.field', row);
  }

  function showEditor(version) {
    const routing = version?.routing || { targets: [{ url: '', weight: 100 }], loadBalancing: 'round_robin', connectTimeoutMs: 2000, readTimeoutMs: 30000, retries: 1,
      stripPrefix: true, healthCheck: { intervalSeconds: 10, timeoutMs: 2000, unhealthyThreshold: 3, ejectSeconds: 30 } };
    const targets = h('div', routing.targets.map((t, i) => targetRow(t, i)));
    const addTarget = h('button.btn.small', { type: 'button' }, 'Add target');
    addTarget.addEventListener('click', () => targets.append(targetRow(undefined, targets.children.length)));
    const fault = routing.faultInjection || {};
    const form = h('form.card', { novalidate: true, id: 'version-form' },
      h('h2', version ? `Edit draft ${version.version}` : 'New version'), h('div.form-alert'),
      h('div.form-grid',
        version ? null : field('Version', 'version', { required: true, placeholder: 'v1', hint: 'Letters, digits, . _ -' }),
        field('Base path', 'basePath', { required: true, value: version?.basePath || `/${apiInfo.slug}/`, hint: 'Where the gateway serves it, e.g. /orders/v1' }),
        field('Host', 'host', { value: version?.host || '', hint: 'Optional: only requests for this host name.' })),
      h('fieldset', h('legend', 'Upstream targets'), h('p.hint', 'URL and weight of each server behind this version.'), h('div.field', { 'data-field': 'routing.targets' }), targets, addTarget),
      h('fieldset', h('legend', 'Traffic'),
        h('div.form-grid',
          field('Load balancing', 'loadBalancing', { field: 'routing.loadBalancing', value: routing.loadBalancing,
            options: [['round_robin', 'Round-robin'], ['weighted', 'Weighted'], ['least_connections', 'Least connections'], ['ip_hash', 'IP hash (sticky)']] }),
          field('Connect timeout (ms)', 'connectTimeoutMs', { field: 'routing.connectTimeoutMs', type: 'number', value: routing.connectTimeoutMs }),
          field('Read timeout (ms)', 'readTimeoutMs', { field: 'routing.readTimeoutMs', type: 'number', value: routing.readTimeoutMs }),
          field('Retries', 'retries', { field: 'routing.retries', type: 'number', value: routing.retries, hint: 'Idempotent requests, on another target' }),
          field('Methods', 'methods', { field: 'routing.methods', value: (routing.methods || []).join(', '), placeholder: 'GET, POST',
            hint: 'Optional: only these (GET implies HEAD); others get 405. Empty: every method.' }),
          field('Browser origins (CORS)', 'corsOrigins', { field: 'routing.cors.allowedOrigins', value: (routing.cors?.allowedOrigins || []).join(', '),
            placeholder: 'https://app.example.com', hint: 'Optional: pages on these origins (or *) may call it from a browser.' })),
        h('label.checkbox', h('input', { type: 'checkbox', name: 'stripPrefix', checked: routing.stripPrefix }), 'Strip the base path before forwarding')),
      h('fieldset', h('legend', 'Health'),
        h('div.form-grid',
          field('Check path', 'hcPath', { field: 'routing.healthCheck.path', value: routing.healthCheck.path || '', hint: 'Optional active check, e.g. /health' }),
          field('Interval (s)', 'hcInterval', { field: 'routing.healthCheck.intervalSeconds', type: 'number', value: routing.healthCheck.intervalSeconds }),
          field('Eject after failures', 'hcThreshold', { field: 'routing.healthCheck.unhealthyThreshold', type: 'number', value: routing.healthCheck.unhealthyThreshold }),
          field('Eject for (s)', 'hcEject', { field: 'routing.healthCheck.ejectSeconds', type: 'number', value: routing.healthCheck.ejectSeconds }))),
      h('fieldset', h('legend', 'Fault injection'), h('p.hint', 'For resilience testing: delay or fail a share of calls.'),
        h('div.form-grid',
          field('Delay %', 'delayPercent', { field: 'routing.faultInjection.delayPercent', type: 'number', step: 'any', value: fault.delayPercent || 0 }),
          field('Delay (ms)', 'delayMs', { field: 'routing.faultInjection.delayMs', type: 'number', value: fault.delayMs || 0 }),
          field('Abort %', 'abortPercent', { field: 'routing.faultInjection.abortPercent', type: 'number', step: 'any', value: fault.abortPercent || 0 }),
          field('Abort status', 'abortStatus', { field: 'routing.faultInjection.abortStatus', type: 'number', value: fault.abortStatus || 503 }))),
      h('div.row', h('button.btn.primary', { type: 'submit' }, version ? 'Save draft' : 'Create draft'), h('button.btn', { type: 'button', onclick: () => clear(editorBox) }, 'Close')));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearFieldErrors(form);
      const data = new FormData(form);
      const urls = data.getAll('targetUrl');
      const weights = data.getAll('targetWeight');
      const number = (name) => Number(data.get(name));
      const body = {
        basePath: data.get('basePath'), host: data.get('host') || null,
        routing: {
          targets: urls.map((url, i) => ({ url, weight: Number(weights[i]) })),
          loadBalancing: data.get('loadBalancing'), connectTimeoutMs: number('connectTimeoutMs'), readTimeoutMs: number('readTimeoutMs'),
          retries: number('retries'), stripPrefix: form.querySelector('[name=stripPrefix]').checked,
          methods: methodList(data.get('methods')),
          cors: originList(data.get('corsOrigins'), routing.cors),
          healthCheck: { path: data.get('hcPath') || undefined, intervalSeconds: number('hcInterval'), timeoutMs: routing.healthCheck.timeoutMs || 2000,
            unhealthyThreshold: number('hcThreshold'), ejectSeconds: number('hcEject') },
          faultInjection: { delayPercent: number('delayPercent'), delayMs: number('delayMs'), abortPercent: number('abortPercent'), abortStatus: number('abortStatus') },
        },
      };
      if (!version) body.version = data.get('version');
      try {
        const saved = version ? await api(`/versions/${version.id}`, { method: 'PATCH', body }) : await api(`/apis/${id}/versions`, { method: 'POST', body });
        toast(version ? 'Draft saved' : `Created ${saved.version}`);
        await loadVersions();
        showEditor(saved);
      } catch (error) {
        showFieldErrors(form, error);
      }
    });
    clear(editorBox, form, version ? openAPIImporter(version) : null);
    form.querySelector('input').focus();
  }

  function openAPIImporter(version) {
    const result = h('div', { 'aria-live': 'polite' });
    const file = h('input', { type: 'file', id: 'openapi-file', accept: '.json,application/json' });
    const text = h('textarea', { id: 'openapi-text', name: 'document', rows: 10, placeholder: '{ "openapi": "3.1.0", "info": { … }, "paths": { … } }' });
    file.addEventListener('change', async () => {
      if (file.files[0]) text.value = await file.files[0].text();
    });
    const form = h('form.card', { novalidate: true, id: 'openapi-form' },
      h('h2', `OpenAPI document for ${version.version}`),
      h('p.muted.small', version.hasOpenApi ? 'A document is imported; importing again replaces it.' : 'Upload or paste an OpenAPI 3.0 or 3.1 document (JSON). The catalog renders it as documentation.'),
      h('div.field', h('label', { for: 'openapi-file' }, 'Upload a file'), file),
      h('div.field', h('label', { for: 'openapi-text' }, 'Or paste it'), text),
      result,
      h('button.btn.primary', { type: 'submit' }, 'Import'));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clear(result);
      const button = form.querySelector('button[type=submit]');
      try {
        const imported = await busy(button, () => api(`/versions/${version.id}/openapi`, { method: 'PUT', body: text.value || '{}' }));
        clear(result, h('div.alert.success', `Imported “${imported.title}” ${imported.documentVersion} with ${imported.operationCount} operation${imported.operationCount === 1 ? '' : 's'}.`));
        loadVersions();
      } catch (error) {
        clear(result, h('div.alert.error', { role: 'alert' }, h('strong', error.title), error.errors.length
          ? h('ul', error.errors.map((e) => h('li', h('code', e.field.replace(/^document\.?/, '') || '(document)'), ' ', e.message)))
          : h('div', error.message)));
      }
    });
    return form;
  }

  async function loadPlans() {
    let plans;
    try {
      plans = (await api(`/apis/${id}/plans`)).items;
    } catch (error) {
      clear(plansBox, errorAlert(error));
      return;
    }
    const rows = plans.map((plan) => {
      const actions = h('div.actions');
      if (plan.state === 'active') {
        const close = h('button.btn.small.danger', { type: 'button' }, 'Close');
        close.addEventListener('click', async () => {
          const ok = await confirmDialog({ title: `Close ${plan.name}?`, body: h('p', 'Existing subscriptions keep their limits; nobody can subscribe to this plan any more.'), confirmLabel: 'Close plan', danger: true });
          if (!ok) return;
          await busy(close, () => api(`/plans/${plan.id}/close`, { method: 'POST' }));
          loadPlans();
        });
        actions.append(close);
      }
      return h('tr', { 'data-plan': plan.name }, h('td', h('strong', plan.name), plan.description ? h('div.muted.small', plan.description) : null),
        h('td', h('span.small', planLimits(plan).join(', '))), h('td', plan.approvalRequired ? 'yes' : 'no'), h('td', badge(plan.state)), h('td', actions));
    });
    const form = h('form.card', { novalidate: true, id: 'plan-form', style: 'margin-top:1rem' },
      h('h3', 'New plan'), h('div.form-alert'),
      h('div.form-grid',
        field('Name', 'name', { required: true, placeholder: 'Gold' }),
        field('Requests / second', 'rateLimitPerSecond', { type: 'number', min: 1 }),
        field('Requests / minute', 'rateLimitPerMinute', { type: 'number', min: 1 }),
        field('Quota / day', 'quotaPerDay', { type: 'number', min: 1 }),
        field('Quota / month', 'quotaPerMonth', { type: 'number', min: 1 })),
      field('Description', 'description'),
      h('label.checkbox', h('input', { type: 'checkbox', name: 'approvalRequired' }), 'Subscriptions need approval'),
      h('div', { style: 'margin-top:.75rem' }, h('button.btn.primary', { type: 'submit' }, 'Create plan')));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearFieldErrors(form);
      const data = new FormData(form);
      const body = { name: data.get('name'), description: data.get('description'), approvalRequired: form.querySelector('[name=approvalRequired]').checked };
      for (const key of ['rateLimitPerSecond', 'rateLimitPerMinute', 'quotaPerDay', 'quotaPerMonth']) {
        if (data.get(key)) body[key] = Number(data.get(key));
      }
      try {
        await api(`/apis/${id}/plans`, { method: 'POST', body });
        toast(`Created plan ${body.name}`);
        loadPlans();
      } catch (error) {
        showFieldErrors(form, error);
      }
    });
    clear(plansBox, plans.length ? h('div.table-wrap', h('table', h('thead', h('tr', h('th', 'Plan'), h('th', 'Limits'), h('th', 'Approval'), h('th', 'State'), h('th', ''))),
      h('tbody', rows))) : empty('No plans yet', 'Consumers subscribe to a plan; create one.'), form);
  }

  await Promise.all([loadVersions(), loadPlans()]);
}

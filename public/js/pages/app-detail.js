import { api, all } from '../api.js';
import { h, clear, badge, empty, errorAlert, fmtDate, fmtRelative, confirmDialog, copyButton, toast, busy } from '../ui.js';

export async function render(root, { id }) {
  const app = await api(`/applications/${id}`);
  const keysBox = h('div');
  const secretBox = h('div', { 'aria-live': 'polite' });
  const subsBox = h('div');
  root.append(
    h('div.page-head',
      h('div', h('p.muted.small', h('a', { href: '#/apps' }, 'My applications')), h('h1', app.name), h('p.lead', `${app.teamName}${app.description ? ` · ${app.description}` : ''}`)),
      h('a.btn', { href: `#/analytics?applicationId=${app.id}` }, 'Traffic of this application')),
    h('h2', 'Keys'),
    h('p.muted.small', 'Each application has a primary and a secondary key slot. Rotate one slot while clients use the other, and nothing breaks. Keys are shown once: Portico stores only their SHA-256.'),
    secretBox, keysBox,
    h('h2', 'Subscriptions'), subsBox);

  function showSecret(issued, verb) {
    clear(secretBox, h('div.alert.success', { role: 'status' },
      h('strong', `${verb} the ${issued.key.slot} key. Copy it now — it will not be shown again.`),
      h('div.secret', { style: 'margin-top:.5rem' }, h('code#new-secret', issued.secret), copyButton(issued.secret)),
      h('p.small', { style: 'margin:.5rem 0 0' }, 'Try it: ', h('code', `curl -H "X-API-Key: ${issued.secret}" <gateway URL of the API>/…`))));
    secretBox.querySelector('.secret code').focus?.();
  }

  async function loadKeys() {
    let keys;
    try {
      keys = await api(`/applications/${id}/keys`, { params: { includeRevoked: 'true' } });
    } catch (error) {
      clear(keysBox, errorAlert(error));
      return;
    }
    const live = keys.items.filter((k) => k.status !== 'revoked');
    const freeSlots = ['primary', 'secondary'].filter((slot) => !live.some((k) => k.slot === slot));
    const rows = keys.items.map((key) => {
      const actions = h('div.actions');
      if (key.status !== 'revoked') {
        const rotate = h('button.btn.small', { type: 'button' }, 'Rotate');
        rotate.addEventListener('click', async () => {
          const ok = await confirmDialog({ title: `Rotate the ${key.slot} key?`, body: h('p', `${key.prefix}… stops working immediately and a new key takes its slot. Switch your clients to the other slot first if they must not fail.`), confirmLabel: 'Rotate' });
          if (!ok) return;
          const issued = await busy(rotate, () => api(`/keys/${key.id}/rotate`, { method: 'POST', body: {} }));
          showSecret(issued, 'Rotated');
          toast('Key rotated');
          loadKeys();
        });
        const toggle = h('button.btn.small', { type: 'button' }, key.status === 'active' ? 'Disable' : 'Enable');
        toggle.addEventListener('click', async () => {
          await busy(toggle, () => api(`/keys/${key.id}/${key.status === 'active' ? 'disable' : 'enable'}`, { method: 'POST' }));
          toast(key.status === 'active' ? 'Key disabled' : 'Key enabled');
          loadKeys();
        });
        const revoke = h('button.btn.small.danger', { type: 'button' }, 'Revoke');
        revoke.addEventListener('click', async () => {
          const ok = await confirmDialog({ title: 'Revoke this key?', body: h('p', `${key.prefix}… will be refused by the gateway within a second. This cannot be undone.`), confirmLabel: 'Revoke key', danger: true });
          if (!ok) return;
          await busy(revoke, () => api(`/keys/${key.id}/revoke`, { method: 'POST' }));
          toast('Key revoked');
          loadKeys();
        });
        actions.append(rotate, toggle, revoke);
      }
      return h('tr', { 'data-key': key.prefix },
        h('td', h('code', `${key.prefix}…`)), h('td', key.slot), h('td', badge(key.expired ? 'revoked' : key.status, key.expired ? 'expired' : key.status)),
        h('td', fmtDate(key.createdAt)), h('td', key.expiresAt ? fmtDate(key.expiresAt) : 'never'), h('td', actions));
    });
    const create = freeSlots.map((slot) => {
      const button = h('button.btn.primary', { type: 'button', 'data-slot': slot }, `Create ${slot} key`);
      button.addEventListener('click', async () => {
        const issued = await busy(button, () => api(`/applications/${id}/keys`, { method: 'POST', body: { slot } }));
        showSecret(issued, 'Created');
        loadKeys();
      });
      return button;
    });
    clear(keysBox,
      keys.items.length ? h('div.table-wrap', h('table', h('thead', h('tr', h('th', 'Key'), h('th', 'Slot'), h('th', 'Status'), h('th', 'Created'), h('th', 'Expires'), h('th', 'Actions'))),
        h('tbody', rows))) : empty('No keys yet', 'Create a key to call the APIs this application subscribes to.'),
      create.length ? h('div.row', { style: 'margin-top:.75rem' }, create) : null);
  }

  async function loadSubscriptions() {
    try {
      const subs = await all('/subscriptions', { applicationId: id });
      if (!subs.length) {
        clear(subsBox, empty('No subscriptions', 'Find an API in the catalog and request a plan.', h('a.btn', { href: '#/catalog' }, 'Browse the catalog')));
        return;
      }
      clear(subsBox, h('div.table-wrap', h('table',
        h('thead', h('tr', h('th', 'API'), h('th', 'Version'), h('th', 'Plan'), h('th', 'State'), h('th', 'Requested'), h('th', 'Decision'), h('th', ''))),
        h('tbody', subs.map((s) => {
          const actions = h('div.actions');
          if (['pending', 'active', 'suspended'].includes(s.state)) {
            const cancel = h('button.btn.small.danger', { type: 'button' }, s.state === 'pending' ? 'Withdraw' : 'Cancel');
            cancel.addEventListener('click', async () => {
              const ok = await confirmDialog({ title: `${s.state === 'pending' ? 'Withdraw the request' : 'Cancel the subscription'}?`,
                body: h('p', `${app.name} will no longer be able to call ${s.apiName} ${s.version}.`), confirmLabel: 'Yes, cancel', danger: true });
              if (!ok) return;
              await busy(cancel, () => api(`/subscriptions/${s.id}/cancel`, { method: 'POST', body: {} }));
              toast('Subscription cancelled');
              loadSubscriptions();
            });
            actions.append(cancel);
          }
          return h('tr', { 'data-subscription': `${s.apiName} ${s.planName}` },
            h('td', h('a', { href: `#/catalog/${s.apiId}` }, s.apiName)), h('td', s.version), h('td', s.planName), h('td', badge(s.state)),
            h('td', fmtRelative(s.requestedAt)),
            h('td', s.decidedAt ? h('span', `${s.decidedByName || ''} ${fmtRelative(s.decidedAt)}`, s.decisionReason ? h('div.muted.small', `“${s.decisionReason}”`) : null) : '—'),
            h('td', actions));
        })))));
    } catch (error) {
      clear(subsBox, errorAlert(error));
    }
  }
  await Promise.all([loadKeys(), loadSubscriptions()]);
}

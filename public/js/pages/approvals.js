import { api, all } from '../api.js';
import { h, clear, badge, empty, errorAlert, fmtRelative, fmtDate, confirmDialog, toast, busy } from '../ui.js';

export async function render(root) {
  const inbox = h('div');
  const history = h('div');
  root.append(
    h('div.page-head', h('div', h('h1', 'Approvals'), h('p.lead', 'Subscription requests to APIs your teams publish. Approve, or reject with a reason the requester will see.'))),
    h('h2', 'Waiting for a decision'), inbox,
    h('h2', 'Decisions'), history);

  async function load() {
    try {
      const pending = await all('/subscriptions/inbox');
      if (!pending.length) {
        clear(inbox, empty('Nothing to decide', 'New requests for plans that need approval appear here.'));
      } else {
        clear(inbox, h('div.table-wrap', h('table',
          h('thead', h('tr', h('th', 'Requested'), h('th', 'Application'), h('th', 'By'), h('th', 'API'), h('th', 'Plan'), h('th', 'Note'), h('th', 'Decision'))),
          h('tbody', pending.map(row)))));
      }
      const decided = (await api('/subscriptions', { params: { scope: 'publisher', limit: 50 } })).items.filter((s) => s.state !== 'pending');
      clear(history, decided.length ? h('div.table-wrap', h('table',
        h('thead', h('tr', h('th', 'Application'), h('th', 'API'), h('th', 'Plan'), h('th', 'State'), h('th', 'Decided'), h('th', 'Reason'))),
        h('tbody', decided.map((s) => h('tr', h('td', s.applicationName, h('div.muted.small', s.teamName)), h('td', `${s.apiName} ${s.version}`), h('td', s.planName),
          h('td', badge(s.state)), h('td', s.decidedAt ? `${s.decidedByName || ''} · ${fmtDate(s.decidedAt)}` : '—'), h('td', s.decisionReason || '—'))))))
        : empty('No decisions yet'));
    } catch (error) {
      clear(inbox, errorAlert(error));
    }
  }

  function row(s) {
    const approve = h('button.btn.small.primary', { type: 'button' }, 'Approve');
    approve.addEventListener('click', async () => {
      await busy(approve, () => api(`/subscriptions/${s.id}/approve`, { method: 'POST', body: {} }));
      toast(`Approved ${s.applicationName}`);
      load();
    });
    const reject = h('button.btn.small.danger', { type: 'button' }, 'Reject…');
    reject.addEventListener('click', async () => {
      const reason = h('textarea', { id: 'reject-reason', name: 'reason', rows: 3, required: true, 'aria-describedby': 'reject-hint' });
      const ok = await confirmDialog({
        title: `Reject ${s.applicationName}?`,
        body: h('div', h('p', `Their request for ${s.planName} on ${s.apiName} ${s.version} will be closed.`),
          h('div.field', h('label', { for: 'reject-reason' }, 'Reason'), h('span.hint#reject-hint', 'Shown to the requester.'), reason)),
        confirmLabel: 'Reject', danger: true });
      if (!ok) return;
      try {
        await busy(reject, () => api(`/subscriptions/${s.id}/reject`, { method: 'POST', body: { reason: reason.value } }));
        toast(`Rejected ${s.applicationName}`);
        load();
      } catch { /* shown as a toast */ }
    });
    return h('tr', { 'data-request': `${s.applicationName} ${s.planName}` },
      h('td', h('span', { title: fmtDate(s.requestedAt) }, fmtRelative(s.requestedAt))),
      h('td', h('strong', s.applicationName), h('div.muted.small', s.teamName)), h('td', s.requestedByName || '—'),
      h('td', `${s.apiName} ${s.version}`), h('td', s.planName), h('td', s.requestNote || h('span.muted', '—')),
      h('td', h('div.actions', approve, reject)));
  }
  await load();
}

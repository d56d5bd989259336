import { api } from '../api.js';
import { h, clear, badge, empty, errorAlert, fmtNumber } from '../ui.js';
import { ranges, scopeOptions, scopeSelect, scopeParams } from './analytics.js';

export async function render(root, query, { session }) {
  const options = await scopeOptions(session);
  const initial = query.scope ?? (options.admin ? '' : options.apis[0] ? `api:${options.apis[0].id}` : options.apps[0] ? `app:${options.apps[0].id}` : null);
  root.append(h('div.page-head', h('div', h('h1', 'Call log'), h('p.lead', 'Every call through the gateway. Open one for its details.'))));
  if (initial === null) {
    root.append(empty('Nothing to show yet', 'The call log covers APIs you publish and your applications.'));
    return;
  }
  const scope = scopeSelect(options, initial);
  const range = h('select', { id: 'range', 'aria-label': 'Time range' }, ranges.map(([value, label]) => h('option', { value, selected: value === (query.range || '24h') }, label)));
  const status = h('select', { id: 'status', 'aria-label': 'Status' }, [['', 'Any status'], ['2', '2xx'], ['4', '4xx'], ['5', '5xx']].map(([v, l]) => h('option', { value: v }, l)));
  const path = h('input', { type: 'search', id: 'path', placeholder: 'Path starts with…', 'aria-label': 'Path prefix' });
  const exportLink = h('a.btn', { href: '#', download: 'portico-calls.csv', id: 'export' }, 'Export CSV');
  const results = h('div', { 'aria-live': 'polite' });
  const detail = h('div');
  root.append(h('form.search-bar', { role: 'search', onsubmit: (e) => { e.preventDefault(); load(); } }, scope, range, status, path, h('button.btn', { type: 'submit' }, 'Search'), exportLink),
    detail, results);
  for (const control of [scope, range, status]) control.addEventListener('change', () => load());

  function params() {
    const p = scopeParams(scope.value, range.value);
    if (status.value) p.statusClass = status.value;
    if (path.value.trim()) p.path = path.value.trim();
    return p;
  }

  async function load(cursor, append = false) {
    const p = params();
    exportLink.setAttribute('href', `/api/v1/logs/export.csv?${new URLSearchParams(p)}`);
    if (!append) clear(results, h('div.skeleton', { style: 'min-height:120px' }));
    try {
      const page = await api('/logs', { params: { ...p, limit: 50, cursor } });
      if (!append && !page.items.length) {
        clear(results, empty('No calls match', 'Widen the time range or clear the filters.'));
        return;
      }
      let body = results.querySelector('tbody');
      if (!append || !body) {
        body = h('tbody');
        clear(results, h('div.table-wrap', h('table', h('thead', h('tr', h('th', 'Time'), h('th', 'Method'), h('th', 'Path'), h('th', 'Status'), h('th', 'API'),
          h('th', 'Application'), h('th', 'Latency'))), body)));
      }
      results.querySelector('.more')?.remove();
      for (const call of page.items) {
        const row = h('tr.clickable', { tabindex: 0, 'data-request-id': call.requestId },
          h('td', new Date(call.timestamp).toLocaleString()), h('td', h(`span.method.${call.method.toLowerCase()}`, call.method)), h('td', h('code', call.path)),
          h('td', badge(call.status >= 500 ? 'error' : call.status >= 400 ? 'pending' : 'ok', String(call.status))), h('td', call.apiName || '—'),
          h('td', call.applicationName || '—'), h('td', `${fmtNumber(call.totalMs, 1)} ms`));
        const open = () => showDetail(call);
        row.addEventListener('click', open);
        row.addEventListener('keydown', (e) => { if (e.key === 'Enter') open(); });
        body.append(row);
      }
      if (page.nextCursor) {
        const more = h('button.btn.more', { type: 'button', style: 'margin-top:.75rem' }, 'Older calls');
        more.addEventListener('click', () => load(page.nextCursor, true));
        results.append(more);
      }
    } catch (error) {
      clear(results, errorAlert(error));
    }
  }

  async function showDetail(call) {
    try {
      const full = await api(`/logs/${encodeURIComponent(call.requestId)}`, { params: { ts: call.timestamp } });
      const rows = [
        ['Request id', h('code', full.requestId)], ['Time', new Date(full.timestamp).toLocaleString()], ['Method and path', h('code', `${full.method} ${full.path}`)],
        ['Status', String(full.status)], ['API', `${full.apiName || '—'} ${full.version || ''}`], ['Application', full.applicationName || '—'],
        ['Key', full.keyPrefix ? h('code', `${full.keyPrefix}…`) : '—'], ['Upstream', full.upstreamTarget || '—'], ['Attempts', String(full.attempts)],
        ['Total latency', `${fmtNumber(full.totalMs, 2)} ms`], ['Upstream latency', full.upstreamMs === undefined || full.upstreamMs === null ? '—' : `${fmtNumber(full.upstreamMs, 2)} ms`],
        ['Bytes in / out', `${fmtNumber(full.bytesIn)} / ${fmtNumber(full.bytesOut)}`], ['Client', full.clientIp || '—'], ['User agent', full.userAgent || '—'],
        ['Error', full.errorKind || '—'],
      ];
      const close = h('button.btn.small', { type: 'button' }, 'Close');
      close.addEventListener('click', () => detail.replaceChildren());
      clear(detail, h('section.card#call-detail', { 'aria-label': 'Call details', style: 'margin-bottom:1rem' },
        h('div.row', h('h2', { style: 'margin:0' }, 'Call details'), h('span.spacer'), close),
        h('dl', { style: 'display:grid;grid-template-columns:max-content 1fr;gap:.35rem 1rem;margin:.75rem 0 0' },
          rows.flatMap(([label, value]) => [h('dt.muted', label), h('dd', { style: 'margin:0' }, value)]))));
      detail.querySelector('h2').setAttribute('tabindex', '-1');
      detail.querySelector('h2').focus();
    } catch (error) {
      clear(detail, errorAlert(error));
    }
  }
  await load();
}

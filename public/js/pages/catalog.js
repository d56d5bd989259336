import { api } from '../api.js';
import { h, clear, badge, empty, errorAlert, fmtDate, skeleton } from '../ui.js';

export async function render(root, _params, { session }) {
  const saved = new URLSearchParams(sessionStorage.getItem('portico.catalog') || '');
  const search = h('input', { type: 'search', id: 'catalog-search', name: 'q', placeholder: 'Search by name, tag or description', value: saved.get('q') || '',
    'aria-label': 'Search APIs' });
  const tagSelect = h('select', { id: 'catalog-tag', name: 'tag', 'aria-label': 'Filter by tag' }, h('option', { value: '' }, 'All tags'));
  const deprecated = h('input', { type: 'checkbox', id: 'catalog-deprecated', checked: saved.get('dep') === '1' });
  const results = h('div', { 'aria-live': 'polite' });
  const more = h('div.row', { style: 'justify-content:center;margin-top:1rem' });

  root.append(
    h('div.page-head', h('div', h('h1', 'API catalog'),
      h('p.lead', session.me ? 'APIs you can subscribe to. Open one for its documentation, plans and versions.' : 'Public APIs. Sign in to see your organisation\'s APIs and to subscribe.'))),
    h('form.search-bar', { role: 'search', onsubmit: (e) => { e.preventDefault(); load(); } }, search, tagSelect,
      h('label.checkbox', { for: 'catalog-deprecated' }, deprecated, 'Show deprecated')),
    results, more);

  try {
    const tags = await api('/catalog/tags');
    for (const t of tags.items) tagSelect.append(h('option', { value: t.tag, selected: saved.get('tag') === t.tag }, `${t.tag} (${t.count})`));
  } catch { /* the tag filter is optional */ }

  let timer;
  search.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(load, 250); });
  tagSelect.addEventListener('change', load);
  deprecated.addEventListener('change', load);

  async function load(cursor) {
    const params = { q: search.value.trim(), tag: tagSelect.value, includeDeprecated: deprecated.checked ? 'true' : undefined, limit: 24, cursor };
    sessionStorage.setItem('portico.catalog', new URLSearchParams({ q: params.q, tag: params.tag, dep: deprecated.checked ? '1' : '' }).toString());
    if (!cursor) clear(results, skeleton(6));
    clear(more);
    try {
      const page = await api('/catalog', { params });
      const grid = cursor ? results.querySelector('.grid') : h('div.grid.cards');
      if (!cursor) clear(results, grid);
      if (!cursor && page.items.length === 0) {
        clear(results, empty('No APIs found', params.q || params.tag ? 'Try another search or tag.' : 'Nothing has been published yet.'));
        return;
      }
      for (const api of page.items) grid.append(card(api));
      if (page.nextCursor) {
        const button = h('button.btn', { type: 'button' }, 'Load more');
        button.addEventListener('click', () => load(page.nextCursor));
        more.append(button);
      }
    } catch (error) {
      clear(results, errorAlert(error));
    }
  }
  await load();
}

function card(api) {
  const latest = api.latestVersion;
  return h('a.card.api-card', { href: `#/catalog/${api.id}`, 'data-api': api.slug },
    h('div.row', h('span.name', api.name), h('span.spacer'), badge(latest.state, `${latest.version} · ${latest.state}`)),
    h('div.desc', api.description || 'No description.'),
    h('div.meta', h('span', api.teamName), api.visibility === 'public' ? badge('public', 'public') : null,
      latest.state === 'deprecated' && latest.sunsetAt ? h('span', `sunset ${fmtDate(latest.sunsetAt, false)}`) : null),
    api.tags.length ? h('div.meta', api.tags.map((tag) => h('span.tag', tag))) : null);
}

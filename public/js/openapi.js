// Renders an OpenAPI 3.0/3.1 document: operations grouped by tag, parameters, request and
// response schemas, and an example curl against the gateway with a key placeholder.
import { h } from './ui.js';

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options', 'trace'];

function resolve(doc, node, depth = 0) {
  if (!node || typeof node !== 'object' || depth > 20) return node;
  if (node.$ref && typeof node.$ref === 'string' && node.$ref.startsWith('#/')) {
    const target = node.$ref.slice(2).split('/').reduce((acc, key) => (acc ? acc[key.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined), doc);
    return target ? resolve(doc, target, depth + 1) : node;
  }
  return node;
}

/** A compact, readable outline of a JSON schema. */
function outline(doc, schema, indent = '', depth = 0, seen = new Set()) {
  schema = resolve(doc, schema);
  if (!schema || typeof schema !== 'object') return 'any';
  if (depth > 6 || seen.has(schema)) return '…';
  seen = new Set(seen).add(schema);
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : schema.type;
  if (schema.enum) return `${type || 'value'} (${schema.enum.map((v) => JSON.stringify(v)).join(', ')})`;
  for (const key of ['oneOf', 'anyOf', 'allOf']) {
    if (Array.isArray(schema[key])) return schema[key].map((s) => outline(doc, s, indent, depth + 1, seen)).join(key === 'allOf' ? ' & ' : ' | ');
  }
  if (type === 'array' || schema.items) return `array of ${outline(doc, schema.items, indent, depth + 1, seen)}`;
  if (type === 'object' || schema.properties) {
    const props = Object.entries(schema.properties || {});
    if (!props.length) return 'object';
    const required = new Set(schema.required || []);
    const lines = props.map(([name, prop]) => {
      const p = resolve(doc, prop);
      const desc = p && p.description ? `  // ${p.description}` : '';
      return `${indent}  ${name}${required.has(name) ? '' : '?'}: ${outline(doc, prop, `${indent}  `, depth + 1, seen)}${desc}`;
    });
    return `{\n${lines.join('\n')}\n${indent}}`;
  }
  return (type || 'any') + (schema.format ? ` (${schema.format})` : '');
}

export function renderDocs(doc, { gatewayUrl }) {
  const groups = new Map();
  for (const [path, item] of Object.entries(doc.paths || {})) {
    for (const method of METHODS) {
      const op = item && item[method];
      if (!op) continue;
      const tags = op.tags && op.tags.length ? op.tags : ['default'];
      for (const tag of tags) {
        if (!groups.has(tag)) groups.set(tag, []);
        groups.get(tag).push({ path, method, op, shared: item.parameters || [] });
      }
    }
  }
  const tagInfo = Object.fromEntries((doc.tags || []).map((t) => [t.name, t.description]));
  const sections = [];
  for (const [tag, ops] of groups) {
    sections.push(h('section', h('h3', tag), tagInfo[tag] ? h('p.muted', tagInfo[tag]) : null, ops.map((o) => operation(doc, o, gatewayUrl))));
  }
  return h('div.docs',
    h('div.row', h('strong', doc.info?.title || 'API'), h('span.badge', `OpenAPI ${doc.openapi}`), doc.info?.version ? h('span.muted.small', `document version ${doc.info.version}`) : null),
    doc.info?.description ? h('p', doc.info.description) : null,
    sections.length ? sections : h('p.muted', 'The document lists no operations.'));
}

function operation(doc, { path, method, op, shared }, gatewayUrl) {
  const parameters = [...shared, ...(op.parameters || [])].map((p) => resolve(doc, p));
  const body = resolve(doc, op.requestBody);
  const bodySchema = body && body.content ? (body.content['application/json'] || Object.values(body.content)[0])?.schema : null;
  const examplePath = path.replace(/\{([^}]+)\}/g, (_, name) => `{${name}}`);
  const query = parameters.filter((p) => p && p.in === 'query' && p.required).map((p) => `${p.name}=…`).join('&');
  let curl = `curl -X ${method.toUpperCase()} '${gatewayUrl}${examplePath}${query ? `?${query}` : ''}' \\\n  -H 'X-API-Key: <your key>'`;
  if (bodySchema) curl += ` \\\n  -H 'Content-Type: application/json' \\\n  -d '{…}'`;
  return h('details.op',
    h('summary', h(`span.method.${method}`, method.toUpperCase()), h('code', path), h('span.muted.small', op.summary || '')),
    h('div.body',
      op.description ? h('p', op.description) : null,
      parameters.length ? [h('h4', 'Parameters'), h('div.table-wrap', h('table',
        h('thead', h('tr', h('th', 'Name'), h('th', 'In'), h('th', 'Type'), h('th', 'Description'))),
        h('tbody', parameters.map((p) => h('tr', h('td', h('code', p.name), p.required ? h('span.muted', ' *') : null), h('td', p.in),
          h('td', h('code', outline(doc, p.schema))), h('td', p.description || '')))))) ] : null,
      bodySchema ? [h('h4', 'Request body'), h('pre.schema', outline(doc, bodySchema))] : null,
      h('h4', 'Responses'),
      Object.entries(op.responses || {}).map(([code, raw]) => {
        const response = resolve(doc, raw);
        const schema = response && response.content ? (response.content['application/json'] || Object.values(response.content)[0])?.schema : null;
        return h('div', h('div.row', h(`span.badge.${code.startsWith('2') ? 'ok' : code.startsWith('4') || code.startsWith('5') ? 'error' : ''}`, code),
          h('span', response?.description || '')), schema ? h('pre.schema', outline(doc, schema)) : null);
      }),
      h('h4', 'Example'), h('pre', curl)));
}

// Small DOM helpers: element builder, formatting, toasts, dialogs, form errors, empty states.

/** h('div.card#id', {attrs}, ...children) */
export function h(tag, attrs, ...children) {
  const [name, ...rest] = tag.split(/(?=[.#])/);
  const node = document.createElement(name || 'div');
  for (const part of rest) {
    if (part.startsWith('.')) node.classList.add(part.slice(1));
    else node.id = part.slice(1);
  }
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2).toLowerCase(), value);
    else if (key === 'class') node.className = value;
    else if (key === 'html') node.innerHTML = value;
    else if (value === true) node.setAttribute(key, '');
    else node.setAttribute(key, value);
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

export function fmtDate(value, withTime = true) {
  if (!value) return '—';
  const date = new Date(value);
  return withTime ? date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : date.toLocaleDateString(undefined, { dateStyle: 'medium' });
}

export function fmtRelative(value) {
  if (!value) return '—';
  const seconds = (Date.now() - new Date(value).getTime()) / 1000;
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  const steps = [[60, 'second'], [3600, 'minute'], [86400, 'hour'], [2592000, 'day'], [31536000, 'month'], [Infinity, 'year']];
  let divisor = 1;
  for (const [limit, unit] of steps) {
    if (Math.abs(seconds) < limit) return rtf.format(-Math.round(seconds / divisor), unit);
    divisor = limit;
  }
  return fmtDate(value);
}

export function fmtNumber(value, digits = 0) {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  return Number(value).toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function badge(state, label) { return h(`span.badge.${state}`, label || state); }

export function toast(message, kind = 'info') {
  const node = h(`div.toast${kind === 'error' ? '.error' : ''}`, message);
  document.getElementById('toasts').append(node);
  setTimeout(() => node.remove(), 5000);
}

/** A problem document (ApiError) as an alert, listing field errors. */
export function errorAlert(error) {
  const list = (error.errors || []).map((e) => h('li', h('code', e.field), ' ', e.message));
  return h('div.alert.error', { role: 'alert' }, h('strong', error.title || 'Something went wrong'), error.message && error.message !== error.title ? h('div', error.message) : null,
    list.length ? h('ul', list) : null);
}

/** Marks the fields named in a problem document and shows their messages next to them. */
export function showFieldErrors(form, error) {
  form.querySelectorAll('.field-error').forEach((node) => node.remove());
  form.querySelectorAll('.field.invalid').forEach((node) => node.classList.remove('invalid'));
  const unplaced = [];
  for (const item of error.errors || []) {
    const input = form.querySelector(`[data-field="${CSS.escape(item.field)}"]`) || form.querySelector(`[name="${CSS.escape(item.field)}"]`);
    const field = input && input.closest('.field');
    if (field) {
      field.classList.add('invalid');
      const id = `${input.id || input.name}-error`;
      field.append(h('div.field-error', { id }, item.message));
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', id);
    } else {
      unplaced.push(item);
    }
  }
  const box = form.querySelector('.form-alert');
  if (box) clear(box, errorAlert({ ...error, errors: unplaced }));
  const first = form.querySelector('[aria-invalid="true"]');
  if (first) first.focus();
}

export function clearFieldErrors(form) {
  form.querySelectorAll('.field-error').forEach((node) => node.remove());
  form.querySelectorAll('.invalid').forEach((node) => node.classList.remove('invalid'));
  form.querySelectorAll('[aria-invalid]').forEach((node) => node.removeAttribute('aria-invalid'));
  const box = form.querySelector('.form-alert');
  if (box) box.replaceChildren();
}

let fieldCounter = 0;
/** A labelled input: field('Name', 'name', {required: true, hint: '…'}) */
export function field(label, name, options = {}) {
  const id = `f-${name.replace(/[^a-zA-Z0-9]/g, '-')}-${++fieldCounter}`;
  let control;
  const common = { id, name, 'data-field': options.field || name, required: options.required, placeholder: options.placeholder,
    'aria-describedby': options.hint ? `${id}-hint` : undefined, autocomplete: options.autocomplete };
  if (options.options) {
    control = h('select', common, options.options.map(([value, text]) => h('option', { value, selected: String(options.value) === String(value) }, text)));
  } else if (options.textarea) {
    control = h('textarea', { ...common, rows: options.rows || 6 }, options.value || '');
  } else {
    control = h('input', { ...common, type: options.type || 'text', value: options.value ?? '', min: options.min, max: options.max, step: options.step,
      maxlength: options.maxlength, pattern: options.pattern });
  }
  return h('div.field', h('label', { for: id }, label, options.required ? h('span.muted', ' *') : null),
    options.hint ? h('span.hint', { id: `${id}-hint` }, options.hint) : null, control);
}

export function empty(title, text, action) {
  return h('div.empty', h('div.title', title), text ? h('p', text) : null, action || null);
}

export function skeleton(count = 3) {
  return h('div.grid.cards', { 'aria-busy': 'true', 'aria-label': 'Loading' }, Array.from({ length: count }, () => h('div.skeleton')));
}

/** A modal dialog; resolves with true (confirmed) or false. `body` may contain inputs. */
export function confirmDialog({ title, body, confirmLabel = 'Confirm', danger = false }) {
  return new Promise((resolve) => {
    const confirm = h(`button.btn${danger ? '.danger' : '.primary'}`, { type: 'submit', value: 'confirm' }, confirmLabel);
    const dialog = h('dialog', { 'aria-labelledby': 'dialog-title' },
      h('form', { method: 'dialog' },
        h('div.dialog-body', h('h2#dialog-title', { style: 'margin-top:0' }, title), body),
        h('div.dialog-actions', h('button.btn', { type: 'submit', value: 'cancel' }, 'Cancel'), confirm)));
    document.body.append(dialog);
    dialog.addEventListener('close', () => {
      const ok = dialog.returnValue === 'confirm';
      dialog.remove();
      resolve(ok);
    });
    dialog.showModal();
    (dialog.querySelector('input, textarea, select') || confirm).focus();
  });
}

export function copyButton(text, label = 'Copy') {
  const button = h('button.btn.small', { type: 'button' }, label);
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = 'Copied';
    } catch {
      const range = document.createRange();
      range.selectNodeContents(button.previousElementSibling || button);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      button.textContent = 'Selected — press Ctrl+C';
    }
    setTimeout(() => { button.textContent = label; }, 2000);
  });
  return button;
}

/** Runs an async action from a button, disabling it meanwhile; shows errors as toasts. */
export async function busy(button, action) {
  if (button) button.disabled = true;
  try {
    return await action();
  } catch (error) {
    toast(error.message || 'Something went wrong', 'error');
    throw error;
  } finally {
    if (button) button.disabled = false;
  }
}

export function formData(form) {
  return Object.fromEntries(new FormData(form).entries());
}

import { api, setCsrfToken } from '../api.js';
import { h, field, clearFieldErrors, showFieldErrors } from '../ui.js';

export async function render(root, _params, { session, refreshSession, navigate }) {
  if (session.me) {
    navigate('/catalog');
    return;
  }
  const form = h('form.card', { novalidate: true, style: 'max-width: 420px' },
    h('div.form-alert'),
    field('E-mail', 'email', { type: 'email', required: true, autocomplete: 'username' }),
    field('Password', 'password', { type: 'password', required: true, autocomplete: 'current-password' }),
    field('Tenant', 'tenant', { hint: 'Optional: the slug of the tenant to work in, if you belong to several.' }),
    h('button.btn.primary', { type: 'submit' }, 'Sign in'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    const data = Object.fromEntries(new FormData(form).entries());
    if (!data.tenant) delete data.tenant;
    try {
      const result = await api('/auth/login', { method: 'POST', body: data });
      setCsrfToken(result.csrfToken);
      await refreshSession();
      const next = sessionStorage.getItem('portico.after-login') || '/catalog';
      sessionStorage.removeItem('portico.after-login');
      navigate(next);
    } catch (error) {
      showFieldErrors(form, error);
    } finally {
      button.disabled = false;
    }
  });
  root.append(
    h('div.page-head', h('div', h('h1', 'Sign in'), h('p.lead', 'Sign in to subscribe to APIs, manage your keys and publish your own.'))),
    form,
    h('p.muted.small', { style: 'margin-top:1rem' }, 'Just browsing? The ', h('a', { href: '#/catalog' }, 'catalog'), ' lists public APIs without an account.'));
}

import { api, ApiError } from '../api';
import { field, h, replaceChildren } from '../dom';
import { go, type Page } from '../router';
import { RETURN_KEY, state } from '../state';

/**
 * Sign in with a dashboard login (created with `agentsudo-server user create <email>`).
 *
 * @example
 * ```ts
 * router.add('/login', loginPage, false);
 * ```
 */
export const loginPage: Page = (main) => {
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true });
  const password = h('input', {
    type: 'password',
    name: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const message = h('p', { class: 'form-error', role: 'alert', 'aria-live': 'assertive' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h(
    'form',
    {
      class: 'card login-card',
      'aria-labelledby': 'login-title',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        message.textContent = '';
        submit.disabled = true;
        try {
          state.user = (await api.login(email.value.trim(), password.value)).user;
          state.projects = (await api.projects()).projects;
          const back = sessionStorage.getItem(RETURN_KEY);
          sessionStorage.removeItem(RETURN_KEY);
          const only = state.projects.length === 1 ? state.projects[0] : undefined;
          go(
            back && back.startsWith('/projects')
              ? back
              : only
                ? `/projects/${encodeURIComponent(only.id)}/feed`
                : '/projects',
          );
        } catch (error) {
          message.textContent =
            error instanceof ApiError && error.status === 401
              ? 'Wrong email or password.'
              : (error as Error).message;
          password.select();
        } finally {
          submit.disabled = false;
        }
      },
    },
    h(
      'div',
      { class: 'brand login-brand' },
      h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, '✓'),
      'AgentSudo',
    ),
    h('h1', { id: 'login-title' }, 'Sign in to the dashboard'),
    field('Email', email),
    field('Password', password),
    message,
    submit,
    h(
      'p',
      { class: 'muted' },
      'No login yet? Create one on the server: ',
      h('code', {}, 'agentsudo-server user create you@example.com'),
    ),
  );
  replaceChildren(main, form);
  email.focus();
};

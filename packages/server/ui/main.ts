import { api, ApiError, UNAUTHORIZED_EVENT } from './api';
import { stopWatchingApprovals } from './approval-watch';
import { h, replaceChildren } from './dom';
import { notice, shell } from './layout';
import { agentsPage } from './pages/agents';
import { analyticsPage } from './pages/analytics';
import { approvalsPage } from './pages/approvals';
import { auditPage } from './pages/audit';
import { eventPage } from './pages/event';
import { feedPage } from './pages/feed';
import { loginPage } from './pages/login';
import { projectsPage } from './pages/projects';
import { settingsPage } from './pages/settings';
import { go, hashQuery, Router, type Page, type PageHandle } from './router';
import { RETURN_KEY, state } from './state';

const router = new Router()
  .add('/login', loginPage, false)
  .add('/', projectsPage)
  .add('/projects', projectsPage)
  .add('/projects/:project/feed', feedPage)
  .add('/projects/:project/approvals', approvalsPage)
  .add('/projects/:project/analytics', analyticsPage)
  .add('/projects/:project/audit', auditPage)
  .add('/projects/:project/events/:event', eventPage)
  .add('/projects/:project/agents', agentsPage)
  .add('/projects/:project/settings', settingsPage);

const app = document.getElementById('app')!;
/** What the page on screen asked to be told (see PageHandle). */
let shown: PageHandle = {};

async function signedIn(): Promise<boolean> {
  if (state.user) return true;
  try {
    state.user = (await api.me()).user;
    state.projects = (await api.projects()).projects;
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return false;
    throw error;
  }
}

/** The hash of the page on screen, so the next one knows where it came from. */
let shownPath: string | undefined;

async function render(): Promise<void> {
  // Only the query changed (back or forward between a page's filters): a page that keeps
  // its state there follows it in place. The same address again means "draw it anew".
  const hash = location.hash.slice(1);
  if (shown.query && shownPath !== hash && shownPath?.split('?')[0] === hash.split('?')[0]) {
    shownPath = hash;
    shown.query(hashQuery());
    return;
  }
  shown.leave?.();
  shown = {};
  // Drawn again at the same address (a new time zone, say): still came from where it did.
  if (shownPath !== hash) state.previousPath = shownPath;
  shownPath = hash;
  const matched = router.match(location.hash);
  if (!matched) return go('/projects');
  const { route, params } = matched;
  if (!route.shell) {
    const main = h('main', { id: 'main', class: 'bare', tabindex: '-1' });
    replaceChildren(app, main);
    shown = run(route.page, main, params);
    return;
  }
  try {
    if (!(await signedIn())) {
      sessionStorage.setItem(RETURN_KEY, location.hash.slice(1));
      return go('/login');
    }
  } catch (error) {
    replaceChildren(app, notice('error', `The server did not answer: ${(error as Error).message}`));
    app.removeAttribute('aria-busy');
    return;
  }
  // An event's page belongs to the audit log: the picker keeps it, the tab shows it.
  const path = location.hash.split('?')[0].split('/')[3] ?? '';
  const section = path === 'events' ? 'audit' : path;
  const { root, main } = shell(params, section);
  replaceChildren(app, root);
  shown = run(route.page, main, params);
}

function run(page: Page, main: HTMLElement, params: Record<string, string>): PageHandle {
  const answer = page(main, params);
  const handle = typeof answer === 'function' ? { leave: answer } : (answer ?? {});
  // Drawn: what `go()` marked busy is the new page now (which may mark its own parts busy).
  app.removeAttribute('aria-busy');
  // Move focus to the new content so keyboard and screen-reader users start there.
  if (document.activeElement === document.body || !document.activeElement?.closest('#app')) {
    main.focus({ preventScroll: true });
  }
  return handle;
}

window.addEventListener('hashchange', () => void render());
window.addEventListener(UNAUTHORIZED_EVENT, () => {
  state.user = undefined;
  stopWatchingApprovals();
  if (location.hash.startsWith('#/login')) return;
  // Come back here after signing in again.
  sessionStorage.setItem(RETURN_KEY, location.hash.slice(1));
  go('/login');
});
void render();

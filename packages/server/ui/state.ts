import type { Project } from './api';

/**
 * What the app remembers while the tab is open. New API keys are kept only here, in
 * memory, so the setup snippet can show the real key right after it was created; they are
 * never written to storage and are gone on reload, as the server shows a key only once.
 *
 * @example
 * ```ts
 * state.newKeys.set(project.id, apiKey);
 * ```
 */
export const state = {
  user: undefined as { id: string; email: string } | undefined,
  projects: [] as Project[],
  newKeys: new Map<string, string>(),
  /** The in-app page shown before this one (its hash path), if any: where "Back" goes. */
  previousPath: undefined as string | undefined,
};

/**
 * A project's name for headings, its id when the list has not loaded.
 *
 * @example
 * ```ts
 * projectName('prj_1'); // 'checkout'
 * ```
 */
export function projectName(projectId: string): string {
  return state.projects.find((p) => p.id === projectId)?.name ?? projectId;
}

/**
 * Session-storage key of the page to return to after signing in.
 *
 * @example
 * ```ts
 * sessionStorage.setItem(RETURN_KEY, location.hash.slice(1));
 * ```
 */
export const RETURN_KEY = 'agentsudo.return';

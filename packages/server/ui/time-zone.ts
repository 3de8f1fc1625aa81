/**
 * Which clock the dashboard shows times in: the viewer's own zone or UTC. UTC is what logs,
 * servers and teammates in other zones compare against; the choice is kept in this
 * browser's local storage, so it holds across reloads and tabs.
 *
 * @example
 * ```ts
 * const choice: TimeZoneChoice = 'utc';
 * ```
 */
export type TimeZoneChoice = 'local' | 'utc';

/**
 * Local-storage key of the viewer's time zone choice.
 *
 * @example
 * ```ts
 * localStorage.getItem(TIME_ZONE_KEY); // 'utc' or 'local'
 * ```
 */
export const TIME_ZONE_KEY = 'agentsudo.timeZone';

/** The choice for this tab when storage cannot be used (storage turned off, private modes). */
let fallback: TimeZoneChoice = 'local';

/**
 * The viewer's time zone choice; local until they pick UTC.
 *
 * @example
 * ```ts
 * if (timeZoneChoice() === 'utc') label.textContent = 'UTC';
 * ```
 */
export function timeZoneChoice(): TimeZoneChoice {
  try {
    const stored = localStorage.getItem(TIME_ZONE_KEY);
    return stored === 'utc' || stored === 'local' ? stored : fallback;
  } catch {
    return fallback;
  }
}

/**
 * Remembers the viewer's time zone choice (pages drawn from now on use it).
 *
 * @example
 * ```ts
 * setTimeZoneChoice('utc');
 * ```
 */
export function setTimeZoneChoice(choice: TimeZoneChoice): void {
  fallback = choice;
  try {
    localStorage.setItem(TIME_ZONE_KEY, choice);
  } catch {
    // Storage refused: the choice holds for this tab only.
  }
}

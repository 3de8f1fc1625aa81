/**
 * Keeps only the newest of overlapping loads. A page that reloads on a filter change, a
 * live push and a timer can have several requests in flight; an older answer that arrives
 * last must not draw over the newer one.
 *
 * @example
 * const history = latestOnly();
 * async function draw() {
 *   const current = history.begin();
 *   const rows = await api.approvals(project, filter.value);
 *   if (!current()) return; // a newer draw started while this one waited
 *   render(rows);
 * }
 * // On leaving the page: history.cancel(), so no answer in flight draws.
 */
export function latestOnly(): { begin(): () => boolean; cancel(): void } {
  let generation = 0;
  return {
    begin() {
      const mine = ++generation;
      return () => mine === generation;
    },
    cancel() {
      generation++;
    },
  };
}

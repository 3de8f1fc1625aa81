/**
 * What an element may contain: nodes, text, nothing, or lists of those.
 *
 * @example
 * ```ts
 * const children: Child[] = ['Agent ', h('strong', {}, name), cond && h('em', {}, 'new')];
 * ```
 */
export type Child = Node | string | number | null | undefined | false | Child[];

/**
 * Attributes, `on…` listeners, and `class` of an element built by {@link h}.
 *
 * @example
 * ```ts
 * const props: Props = { class: 'primary', disabled: true, onclick: () => save() };
 * ```
 */
export type Props = Record<string, string | number | boolean | null | undefined | EventListener>;

function append(parent: Node, child: Child): void {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) {
    for (const c of child) append(parent, c);
  } else if (child instanceof Node) {
    parent.appendChild(child);
  } else {
    parent.appendChild(document.createTextNode(String(child)));
  }
}

function applyProps(el: Element, props: Props | undefined): void {
  if (!props) return;
  for (const [name, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') {
      el.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === 'value' && 'value' in el) {
      (el as HTMLInputElement).value = String(value);
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
}

/**
 * Builds an HTML element. Text is always inserted as text nodes, never parsed as HTML, so
 * agent names and scopes from events cannot inject markup.
 *
 * @example
 * ```ts
 * h('button', { class: 'primary', onclick: () => save() }, 'Save');
 * ```
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props?: Props,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  applyProps(el, props);
  append(el, children);
  return el;
}

/**
 * Builds an SVG element (charts).
 *
 * @example
 * ```ts
 * svg('rect', { x: 0, y: 0, width: 10, height: 20 });
 * ```
 */
export function svg(tag: string, props?: Props, ...children: Child[]): SVGElement {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  applyProps(el, props);
  append(el, children);
  return el;
}

/**
 * Replaces everything inside `parent`.
 *
 * @example
 * ```ts
 * replaceChildren(main, h('p', {}, 'Loading…'));
 * ```
 */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.textContent = '';
  append(parent, children);
}

/**
 * A labelled form field: the label is tied to the control for screen readers and clicks.
 *
 * @example
 * ```ts
 * field('Agent', h('input', { name: 'agent' }));
 * ```
 */
export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  const id = control.id || `f-${label.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${++fieldCounter}`;
  control.id = id;
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    control,
    hint ? h('small', {}, hint) : null,
  );
}
let fieldCounter = 0;

/**
 * An option list for a `<select>`, marking the current value selected.
 *
 * @example
 * ```ts
 * h('select', { name: 'outcome' }, options([['', 'All'], ['denied', 'Denied']], 'denied'));
 * ```
 */
export function options(
  choices: ReadonlyArray<readonly [string, string]>,
  selected: string,
): HTMLOptionElement[] {
  return choices.map(([value, label]) => h('option', { value, selected: value === selected }, label));
}

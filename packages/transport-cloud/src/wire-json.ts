/**
 * A batch as JSON, with the events that could be encoded. An event whose metadata cannot
 * become JSON (a circular reference, a BigInt, a `toJSON` that throws, nesting deep enough
 * to overflow the stack) is left out and counted in `unserializable`, so it can never
 * take its batch, the spool or the delivery loop down with it.
 *
 * @example
 * ```ts
 * const { json, items, unserializable } = encodeBatch(batch);
 * ```
 */
export interface EncodedBatch {
  /** A JSON array of `items`. */
  readonly json: string;
  /** The events in `json`, in order (positions match the server's `events[i]`). */
  readonly items: object[];
  readonly unserializable: number;
}

/**
 * Encodes a batch as one JSON array. One stringify of the whole array is several times
 * faster than one per event, so events are encoded one by one only when that fails.
 *
 * @example
 * ```ts
 * encodeBatch([{ a: 1 }]).json; // '[{"a":1}]'
 * ```
 */
export function encodeBatch(items: object[]): EncodedBatch {
  try {
    return { json: JSON.stringify(items), items, unserializable: 0 };
  } catch {
    const { parts, kept } = encodeEach(items);
    return { json: `[${parts.join(',')}]`, items: kept, unserializable: items.length - kept.length };
  }
}

/**
 * Encodes events as JSON Lines (one object per line), leaving out the ones that cannot be
 * encoded (see {@link EncodedBatch}).
 *
 * @example
 * ```ts
 * encodeLines([{ a: 1 }, { b: 2 }]); // { text: '{"a":1}\n{"b":2}\n', count: 2, unserializable: 0 }
 * ```
 */
export function encodeLines(items: readonly object[]): {
  text: string;
  count: number;
  unserializable: number;
} {
  const { parts } = encodeEach(items);
  const text = parts.length ? `${parts.join('\n')}\n` : '';
  return { text, count: parts.length, unserializable: items.length - parts.length };
}

function encodeEach(items: readonly object[]): { parts: string[]; kept: object[] } {
  const parts: string[] = [];
  const kept: object[] = [];
  for (const item of items) {
    let json: string | undefined;
    try {
      json = JSON.stringify(item);
    } catch {
      continue;
    }
    // A top-level toJSON may turn an event into undefined or a non-object: not an event.
    if (json === undefined || json[0] !== '{') continue;
    parts.push(json);
    kept.push(item);
  }
  return { parts, kept };
}

/**
 * What stderr says when events could not be encoded (the same wherever it happens).
 *
 * @example
 * ```ts
 * unserializableMessage(2); // '2 event(s) could not be turned into JSON (circular or BigInt metadata?) and were dropped'
 * ```
 */
export function unserializableMessage(count: number): string {
  return `${count} event(s) could not be turned into JSON (circular or BigInt metadata?) and were dropped`;
}

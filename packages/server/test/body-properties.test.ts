import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { DENIAL_REASONS, SUDO_ACTIONS } from '@agentsudo/core';
import { backends, startServer, wire, type TestServer, jsonOf } from './helpers';

/** Stands for metadata nested `levels` deep; spliced into the body as text (see bodyText). */
class Deep {
  constructor(readonly levels: number) {}
}

/** The JSON of a body, with each Deep written out: too deep for JSON.stringify itself. */
function bodyText(body: unknown): string {
  return JSON.stringify(body, (_k, v: unknown) => (v instanceof Deep ? `@@deep:${v.levels}@@` : v)).replace(
    /"@@deep:(\d+)@@"/g,
    (_m, n: string) => '{"a":'.repeat(Number(n)) + '{}' + '}'.repeat(Number(n)),
  );
}

const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('', ' ', '\u0000', 'a\u0000b', '\uD800', 'x'.repeat(600), '*a*a*a*a*a*a*a*a*a*b'),
);
const hostileValue = fc.oneof(
  hostileString,
  fc.jsonValue({ maxDepth: 3 }),
  fc.integer({ min: 1, max: 3000 }).map((n) => new Deep(n)),
);
const timestamp = fc.oneof(
  fc
    .date({ min: new Date(0), max: new Date('9999-12-31T00:00:00Z'), noInvalidDate: true })
    .map((d) => d.toISOString()),
  fc.constantFrom(
    '2026-11-26T12:53:24.156322Z',
    '2026-02-30T00:00:00Z',
    '2026-01-01 12:00:00',
    '1969-12-31T23:59:59Z',
  ),
  hostileString,
);

/** A wire event whose fields are sometimes right and sometimes anything at all. */
function eventArb(tag: string, i: number) {
  const maybe = <T>(good: fc.Arbitrary<T>) =>
    fc.oneof({ weight: 6, arbitrary: good }, { weight: 1, arbitrary: hostileValue });
  return fc
    .record(
      {
        timestamp: maybe(timestamp),
        agent_name: maybe(fc.constantFrom('SupportBot', 'Billing')),
        action: maybe(fc.constantFrom(...SUDO_ACTIONS, 'permission_denied', 'callback_approved')),
        allowed: maybe(fc.boolean()),
        scope: maybe(fc.constantFrom('read:customers', 'write:*', 'a'.repeat(512))),
        metadata: maybe(
          fc.oneof(
            fc.constant(null),
            fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
          ),
        ),
        session_id: maybe(fc.constant('s-1')),
        reason: maybe(fc.constantFrom(...DENIAL_REASONS, null)),
        approval_id: maybe(fc.constantFrom('apr_1', 'a'.repeat(256))),
        decided_by: maybe(fc.constant('ops@example.com')),
        extra: hostileValue,
      },
      { requiredKeys: [] },
    )
    .map((fields) => ({ ...wire({ event_id: `${tag}-${i}` }), ...fields }));
}

const batchArb = (tag: string) =>
  fc
    .integer({ min: 1, max: 6 })
    .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => eventArb(tag, i))));

const QUERY_KEYS = [
  'agent',
  'scope',
  'function',
  'session',
  'q',
  'allowed',
  'outcome',
  'action',
  'reason',
  'approval_id',
  'from',
  'to',
  'limit',
  'cursor',
  'bucket',
  'format',
  'last_event_id',
];
const queryArb = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constantFrom(...QUERY_KEYS), fc.string({ maxLength: 8 })),
      fc.oneof(
        hostileString,
        fc.constantFrom(
          'true',
          'false',
          '2026-01-01',
          '2026-01-01T00:00:00Z',
          '0',
          '-1',
          '1001',
          'csv',
          'hour',
          'read:*',
          'budget',
          'apr_1',
        ),
      ),
    ),
    { maxLength: 5 },
  )
  .map((pairs) => new URLSearchParams(pairs).toString());

describe.each(backends())('no body or query makes a 5xx, on $name', (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startServer(await backend.fresh());
  });
  afterAll(async () => {
    await t.server.close();
    await backend.cleanup();
  });

  /** Events of this batch that were stored, found by the tag in their ids. */
  const storedWith = async (tag: string) =>
    (await t.read(`/api/projects/${t.projectId}/events?q=${tag}&limit=1000`)).body.events.length;

  test('any batch of events, right or wrong in any field, is stored whole (2xx) or not at all (4xx)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constant(null).chain(() => {
          const tag = randomUUID();
          return batchArb(tag).map((batch) => ({ tag, batch }));
        }),
        async ({ tag, batch }) => {
          const res = await t.ingest(bodyText(batch));
          await res.arrayBuffer();
          expect(res.status < 500).toBe(true);
          const stored = await storedWith(tag);
          if (res.status === 200) expect(stored).toBe(batch.length);
          else {
            expect(res.status).toBeGreaterThanOrEqual(400);
            expect(stored).toBe(0);
          }
        },
      ),
      { numRuns: 120 },
    );
  }, 120_000);

  test('any body at all answers 2xx or 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({ json: fc.jsonValue({ maxDepth: 4 }) }),
          fc.record({ deepMetadata: fc.integer({ min: 1, max: 5000 }) }),
          fc.record({ text: fc.string({ maxLength: 60 }) }),
        ),
        async (body) => {
          const text =
            'json' in body
              ? bodyText(body.json)
              : 'deepMetadata' in body
                ? bodyText([{ ...wire(), metadata: new Deep(body.deepMetadata) }])
                : body.text;
          const res = await t.ingest(text);
          await res.arrayBuffer();
          expect(res.status < 500).toBe(true);
        },
      ),
      { numRuns: 120 },
    );
  }, 120_000);

  test('any query string on the read API answers 2xx or 4xx', async () => {
    await t.ingest([wire(), wire({ allowed: false, scope: 'write:refunds' })]);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('events', 'stats', 'agents', 'export'),
        queryArb,
        async (path, query) => {
          const res = await fetch(`${t.url}/api/projects/${t.projectId}/${path}?${query}`, {
            headers: { authorization: `Bearer ${t.readToken}` },
          });
          await res.arrayBuffer();
          expect(res.status < 500).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  }, 120_000);

  test('any event id in the address of one event answers 2xx or 4xx', async () => {
    const [stored] = (await t.read(`/api/projects/${t.projectId}/events?limit=1`)).body.events;
    // Every byte percent-encoded, so any text (NUL, lone surrogates, slashes) reaches the router.
    const encoded = (s: string) =>
      [...Buffer.from(s)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          hostileString.map(encoded),
          fc.stringMatching(/^[%0-9A-Fa-z.]{1,24}$/),
          fc.constant(encodeURIComponent(stored.event_id)),
        ),
        async (segment) => {
          const res = await fetch(`${t.url}/api/projects/${t.projectId}/events/${segment}`, {
            headers: { authorization: `Bearer ${t.readToken}` },
          });
          await res.arrayBuffer();
          expect(res.status < 500).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  }, 120_000);

  test('metadata nested deeper than 32 levels answers 400 invalid_event naming the limit; 32 is fine', async () => {
    const deep = await t.ingest(bodyText([wire({ metadata: new Deep(5000) })]));
    expect(deep.status).toBe(400);
    const body = await jsonOf(deep);
    expect(body).toMatchObject({ error: 'invalid_event', field: 'events[0].metadata' });
    expect(body.message).toContain('more than 32 levels');
    // The metadata object is level 1, so Deep(31) plus the innermost {} is 32 levels.
    expect((await t.ingest(bodyText([wire({ metadata: new Deep(31) })]))).status).toBe(200);
    expect((await t.ingest(bodyText([wire({ metadata: new Deep(32) })]))).status).toBe(400);
  });

  test('a NUL character in any query value answers 400 naming the parameter', async () => {
    for (const query of ['events?agent=a%00b', 'export?scope=%00', 'stats?from=%00']) {
      const { status, body } = await t.read(`/api/projects/${t.projectId}/${query}`);
      expect([status, body.error]).toEqual([400, 'invalid_query']);
      expect(body.message).toMatch(/^Query parameter (agent|scope|from)=.*NUL/);
    }
  });
});

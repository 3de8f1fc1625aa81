import { startServer, tempDir, type TestServer } from './helpers';

/**
 * Path parameters and query strings have JSON schemas. A value that fails one answers 400 in
 * the server's { error, message, field } shape, naming the parameter and the value, as the
 * semantic checks of query.ts do.
 */
const temp = tempDir();
let t: TestServer;

beforeAll(async () => {
  t = await startServer({ db: `${temp.dir}/parameters.db` });
});
afterAll(async () => {
  await t?.server.close();
  temp.remove();
});

const read = async (
  path: string,
  headers: Record<string, string> = { authorization: `Bearer ${t.readToken}` },
) => {
  const res = await fetch(`${t.url}${path}`, { headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

test('a query parameter given twice answers 400 invalid_query naming it and both values', async () => {
  for (const route of ['events', 'export', 'stats', 'approvals']) {
    const name = route === 'stats' ? 'bucket' : route === 'approvals' ? 'status' : 'agent';
    const { status, body } = await read(`/api/projects/${t.projectId}/${route}?${name}=a&${name}=b`);
    expect([route, status, body]).toEqual([
      route,
      400,
      {
        error: 'invalid_query',
        message: `Query parameter ${name}=["a","b"] is invalid: give the parameter once.`,
        field: name,
      },
    ]);
  }
  // The SDK's grants listing, with its ingest key.
  const grants = await read('/api/grants?agent_name=a&agent_name=b', { 'x-api-key': t.apiKey });
  expect(grants).toEqual({
    status: 400,
    body: {
      error: 'invalid_query',
      message: 'Query parameter agent_name=["a","b"] is invalid: give the parameter once.',
      field: 'agent_name',
    },
  });
});

test('a query value over 512 characters answers 400 with its start and the limit', async () => {
  const long = 'x'.repeat(600);
  const { status, body } = await read(`/api/projects/${t.projectId}/events?q=${long}`);
  expect([status, body]).toEqual([
    400,
    {
      error: 'invalid_query',
      message: `Query parameter q="${'x'.repeat(20)}…" is invalid: at most 512 characters.`,
      field: 'q',
    },
  ]);
});

test('the semantic checks still speak after the schema: a bad limit, time or format names what to use', async () => {
  const limit = await read(`/api/projects/${t.projectId}/events?limit=5000`);
  expect([limit.status, limit.body.message]).toEqual([
    400,
    'Query parameter limit="5000" is invalid: use a whole number from 1 to 1000.',
  ]);
  const format = await read(`/api/projects/${t.projectId}/export?format=xml`);
  expect([format.status, format.body.message]).toEqual([
    400,
    `Query parameter format="xml" is invalid: use 'csv' or 'jsonl'.`,
  ]);
});

test('unknown query parameters are left alone, as before', async () => {
  const { status } = await read(`/api/projects/${t.projectId}/events?_=1700000000000`);
  expect(status).toBe(200);
});

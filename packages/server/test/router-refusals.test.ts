import { startServer, tempDir, type TestServer } from './helpers';

/**
 * Some addresses are refused by the router before any route runs: a path parameter over 512
 * characters, a path that is not valid percent-encoding. They answer 400 `invalid_path` in
 * the server's { error, message } shape like every other refusal, and do not repeat the
 * address back.
 */
const temp = tempDir();
let t: TestServer;

beforeAll(async () => {
  t = await startServer({ db: `${temp.dir}/router.db` });
});
afterAll(async () => {
  await t?.server.close();
  temp.remove();
});

const answer = async (path: string) => {
  const res = await fetch(`${t.url}${path}`, { headers: { authorization: `Bearer ${t.readToken}` } });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
};

test('a project id over 512 characters answers 400 invalid_path, without the address in it', async () => {
  const long = 'p'.repeat(4000);
  const got = await answer(`/api/projects/${long}/events`);
  expect({ status: got.status, type: got.type, body: JSON.parse(got.body) }).toEqual({
    status: 400,
    type: 'application/json; charset=utf-8',
    body: {
      error: 'invalid_path',
      message:
        'A path parameter is over 512 characters; address projects, events and approvals by their ids.',
    },
  });
  expect(got.body).not.toContain('pppp');
});

test('an event id over 512 characters answers the same', async () => {
  const got = await answer(`/api/projects/${t.projectId}/events/${'e'.repeat(513)}`);
  expect([got.status, JSON.parse(got.body).error]).toEqual([400, 'invalid_path']);
});

test('a path that is not valid percent-encoding answers 400 invalid_path', async () => {
  const got = await answer(`/api/projects/${t.projectId}/events/%E0%A4%A`);
  expect({ status: got.status, body: JSON.parse(got.body) }).toEqual({
    status: 400,
    body: {
      error: 'invalid_path',
      message:
        'The path is not valid percent-encoding (a % not followed by two hex digits of UTF-8); encode it with encodeURIComponent.',
    },
  });
});

test('an event id of 512 characters still reaches its route, which answers for it', async () => {
  const got = await answer(`/api/projects/${t.projectId}/events/${'e'.repeat(512)}`);
  expect(got.status).toBe(400);
  expect(JSON.parse(got.body)).toMatchObject({ field: 'eventId' });
});

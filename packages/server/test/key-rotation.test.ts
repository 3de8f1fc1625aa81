import { createServer, type AgentSudoServer } from '../src';
import { backends, wire } from './helpers';

const ROTATIONS = 12;

describe.each(backends())('concurrent key rotations on $name', (backend) => {
  const servers: AgentSudoServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });
  afterAll(() => backend.cleanup());

  async function ingestWith(url: string, apiKey: string): Promise<number> {
    const res = await fetch(`${url}/api/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
      body: JSON.stringify([wire()]),
    });
    await res.arrayBuffer();
    return res.status;
  }

  test(`${ROTATIONS} rotations at once leave exactly one active ingest key, issued by one of them`, async () => {
    const options = await backend.fresh();
    // Two instances on PostgreSQL (rotations from both at once); one owns a SQLite file.
    const instances = options.databaseUrl ? 2 : 1;
    for (let i = 0; i < instances; i++) servers.push(await createServer({ ...options, port: 0 }));
    const { project, apiKey: first } = await servers[0].admin.createProject('rotating');

    const rotations = await Promise.all(
      Array.from({ length: ROTATIONS }, (_, i) => servers[i % instances].admin.rotateKey(project.id)),
    );

    const keys = await servers[0].storage.accounts.listKeys(project.id);
    const active = keys.filter((k) => k.kind === 'ingest' && !k.revokedAt);
    expect(active).toHaveLength(1);
    // Every other key was revoked by exactly one rotation, and each rotation reports what it revoked.
    const revoked = rotations.flatMap((r) => r.revoked).sort();
    expect(revoked).toEqual(
      keys
        .filter((k) => k.revokedAt)
        .map((k) => k.prefix)
        .sort(),
    );
    const url = await servers[0].listen();
    const survivors = rotations.filter((r) => r.apiKey.startsWith(active[0].prefix));
    expect(survivors).toHaveLength(1);
    expect(await ingestWith(url, survivors[0].apiKey)).toBe(200);
    expect(await ingestWith(url, first)).toBe(401);
  });
});

import { createServer, openStorage, type EventQueries, type EventRecord, type Storage } from '../src';
import { backends, wire } from './helpers';

describe.each(backends())('export streaming on $name', (backend) => {
  afterAll(() => backend.cleanup());

  test('the first rows reach the client while later pages are still unread', async () => {
    const storage = await openStorage(await backend.fresh());
    // Holds the export after its first page until the client has rows in hand: a server
    // that read the whole log before answering would never send them, and time out here.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let atGate!: () => void;
    const AT_GATE = Symbol('at the gate');
    const reachedGate = new Promise<typeof AT_GATE>((resolve) => (atGate = () => resolve(AT_GATE)));
    let pagesRead = 0;
    const events: EventQueries = Object.create(storage.events);
    events.stream = async function* (projectId, filter, pageSize = 1000) {
      let n = 0;
      for await (const e of storage.events.stream(projectId, filter, pageSize)) {
        if (n++ % pageSize === 0) {
          pagesRead++;
          if (pagesRead === 2) {
            atGate();
            await gate;
          }
        }
        yield e as EventRecord;
      }
    };
    const gated: Storage = { ...storage, events };
    const server = await createServer({ storage: gated, port: 0 });
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    try {
      const { project, apiKey } = await server.admin.createProject('export');
      const { token } = await server.admin.createReadToken(project.id);
      const url = await server.listen();
      for (let i = 0; i < 3; i++) {
        const events = Array.from({ length: 1000 }, (_, j) => wire({ agent_name: `A-${i * 1000 + j}` }));
        const res = await fetch(`${url}/api/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
          body: JSON.stringify(events),
        });
        expect(res.status).toBe(200);
      }
      const res = await fetch(`${url}/api/projects/${project.id}/export?format=jsonl`, {
        headers: { authorization: `Bearer ${token}` },
        // A server that read the whole log first would send nothing until the gate opens.
        signal: AbortSignal.timeout(10_000),
      });
      reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      // Read until the server waits at the gate with rows already delivered. The read in
      // flight when it gets there stays pending (nothing more comes until the gate opens),
      // so it races the gate instead of being awaited alone.
      let pending = reader.read();
      let gateSeen = false;
      while (!(gateSeen && text.split('\n').length > 100)) {
        const next = await (gateSeen ? pending : Promise.race([pending, reachedGate]));
        if (next === AT_GATE) {
          gateSeen = true;
          continue;
        }
        if (next.done) break;
        text += decoder.decode(next.value, { stream: true });
        pending = reader.read();
      }
      expect(text.split('\n').length).toBeGreaterThan(100);
      expect(pagesRead).toBe(2); // the second page is waiting at the gate
      release();
      for (let next = await pending; !next.done; next = await reader.read()) {
        text += decoder.decode(next.value, { stream: true });
      }
      const rows = text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(rows).toHaveLength(3000);
      expect(new Set(rows.map((r) => r.agent_name)).size).toBe(3000);
      expect(pagesRead).toBe(3);
    } finally {
      release();
      await reader?.cancel().catch(() => undefined);
      await server.close();
      await storage.close();
    }
  });
});

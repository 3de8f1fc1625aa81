import { Admin, openStorage, type Storage } from '../src';
import { backends } from './helpers';

describe.each(backends())('a project and its first ingest key on $name', (backend) => {
  let storage: Storage | undefined;
  afterEach(async () => {
    await storage?.close();
    storage = undefined;
  });
  afterAll(() => backend.cleanup());

  test('a rotation that lands while the project is being created leaves exactly one active ingest key', async () => {
    storage = await openStorage(await backend.fresh());
    // The project row is stored; the creation then waits until the rotation has run, as it
    // may when another instance or the CLI rotates the moment the project appears.
    const { accounts } = storage;
    const store = accounts.createProject.bind(accounts);
    let stored!: () => void;
    const projectStored = new Promise<void>((resolve) => (stored = resolve));
    let rotated!: () => void;
    const rotationDone = new Promise<void>((resolve) => (rotated = resolve));
    accounts.createProject = async (project) => {
      await store(project);
      stored();
      await rotationDone;
    };
    const admin = new Admin(storage);

    const creating = admin.createProject('shop');
    await projectStored;
    const rotation = await admin.rotateKey('shop');
    rotated();
    const { project, apiKey } = await creating;

    const active = (await storage.accounts.listKeys(project.id)).filter(
      (k) => k.kind === 'ingest' && !k.revokedAt,
    );
    expect(active).toHaveLength(1);
    // Like two rotations: the later one, the creation's first key, revokes the earlier.
    expect(apiKey.startsWith(active[0].prefix)).toBe(true);
    expect(rotation.apiKey.startsWith(active[0].prefix)).toBe(false);
  }, 60_000);
});

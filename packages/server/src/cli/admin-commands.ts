import { command, printable } from '@agentsudo/command-line';
import { Admin } from '../admin';
import { openStorage } from '../storage/open';
import { STORAGE_OPTIONS, storageFrom } from './storage-flags';

/**
 * Runs `work` with an {@link Admin} on the storage the options name, closing it afterwards.
 *
 * @example
 * ```ts
 * await withAdmin(values, async (admin) => print(await admin.listProjects()));
 * ```
 */
export async function withAdmin<T>(
  values: { db?: string; 'database-url'?: string },
  work: (admin: Admin) => Promise<T>,
): Promise<T> {
  const storage = await openStorage(storageFrom(values));
  try {
    return await work(new Admin(storage));
  } finally {
    await storage.close();
  }
}

/**
 * One line to stdout, its control characters shown as escapes ({@link printable}): lines
 * carry values others typed (a login's email, a project's name).
 *
 * @example
 * ```ts
 * out('Project checkout created.');
 * ```
 */
export function out(line: string): void {
  process.stdout.write(printable(line) + '\n');
}

const PROJECT = { name: 'project', description: "the project's name or id (prj_…)" } as const;

/**
 * The project, key and read-token commands of `agentsudo-server`.
 *
 * @example
 * ```sh
 * agentsudo-server project create checkout
 * ```
 */
export const projectCommands = [
  command(
    {
      name: 'project create',
      summary: 'create a project and print its API key (shown once)',
      details:
        'Creates a project and prints its ingest API key (as_…) once: store it where your\n' +
        'agents read it (AGENTSUDO_API_KEY). Only its hash is kept.',
      arguments: [{ name: 'name', description: "1-100 letters, digits, spaces, '.', '_' or '-'" }],
      options: { ...STORAGE_OPTIONS },
    },
    async ({ values, positionals: [name] }) =>
      withAdmin(values, async (admin) => {
        const { project, apiKey } = await admin.createProject(name);
        out(`Project ${project.name} (${project.id}) created.`);
        out(`API key (shown once, store it now): ${apiKey}`);
      }),
  ),
  command(
    {
      name: 'project list',
      summary: 'list projects and the prefixes of their keys',
      options: { ...STORAGE_OPTIONS },
    },
    async ({ values }) =>
      withAdmin(values, async (admin) => {
        for (const p of await admin.listProjects()) {
          out(`${p.id}  ${p.name}`);
          for (const k of p.keys)
            out(
              `    ${k.prefix}…  ${k.kind}${k.revokedAt ? `  revoked ${new Date(k.revokedAt).toISOString()}` : ''}`,
            );
        }
      }),
  ),
  command(
    {
      name: 'key rotate',
      summary: "issue a new API key; the project's old ones stop working",
      details:
        'Issues a new ingest API key for the project (shown once) and revokes its previous\n' +
        'ones at once, on every running server.',
      arguments: [PROJECT],
      options: { ...STORAGE_OPTIONS },
    },
    async ({ values, positionals: [project] }) =>
      withAdmin(values, async (admin) => {
        const rotated = await admin.rotateKey(project);
        out(`New API key for ${rotated.project.name} (shown once): ${rotated.apiKey}`);
        if (rotated.revoked.length) out(`Revoked: ${rotated.revoked.map((p) => `${p}…`).join(', ')}`);
      }),
  ),
  command(
    {
      name: 'key revoke',
      summary: 'revoke an API key or read token by its prefix',
      arguments: [
        {
          name: 'key-prefix',
          description:
            "the start of the key as 'project list' shows it (at least\n6 characters), or the whole key",
        },
      ],
      options: { ...STORAGE_OPTIONS },
    },
    async ({ values, positionals: [prefix] }) =>
      withAdmin(values, async (admin) => {
        const k = await admin.revokeKey(prefix);
        out(`Revoked ${k.kind} key ${k.prefix}… of project ${k.projectId}.`);
      }),
  ),
  command(
    {
      name: 'token create',
      summary: "create a read token for the project's read API (shown once)",
      details:
        "Creates a read token (asr_…) for scripts that read the project's events through\n" +
        'the read API (Authorization: Bearer asr_…). It cannot send events.',
      arguments: [PROJECT],
      options: { ...STORAGE_OPTIONS },
    },
    async ({ values, positionals: [project] }) =>
      withAdmin(values, async (admin) => {
        const created = await admin.createReadToken(project);
        out(`Read token for ${created.project.name} (shown once): ${created.token}`);
      }),
  ),
];

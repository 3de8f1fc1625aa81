import { createInterface } from 'node:readline';
import { command } from '@agentsudo/command-line';
import { MIN_PASSWORD_LENGTH } from '../auth/passwords';
import { STORAGE_OPTIONS } from './storage-flags';
import { out, withAdmin } from './admin-commands';

const EMAIL = { name: 'email', description: "the login's email address" } as const;

async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Password (input is shown; prefer piping it in): ');
  const rl = createInterface({ input: process.stdin });
  for await (const line of rl) {
    rl.close();
    return line;
  }
  return '';
}

/**
 * The dashboard login commands of `agentsudo-server`.
 *
 * @example
 * ```sh
 * agentsudo-server user create ops@example.com
 * ```
 */
export const userCommands = [
  command(
    {
      name: 'user create',
      summary: 'create a dashboard login',
      details: `Creates a dashboard login. The password (at least ${MIN_PASSWORD_LENGTH} characters) is read from stdin.`,
      arguments: [EMAIL],
      options: {
        password: {
          type: 'string',
          value: 'P',
          description: 'the password (visible to other users in ps; prefer stdin)',
        },
        ...STORAGE_OPTIONS,
      },
    },
    async ({ values, positionals: [email] }) =>
      withAdmin(values, async (admin) => {
        const user = await admin.createUser(email, values.password ?? (await readPassword()));
        out(`User ${user.email} created.`);
      }),
  ),
];

import { readdirSync } from 'node:fs';
import { runCli } from './cli-process';
import { tempDir } from './helpers';

const dir = tempDir();
afterAll(() => dir.remove());

const cli = (...args: string[]) => runCli(dir.dir, args);
const VERSION = (require('../package.json') as { version: string }).version;

/** The commands the program's help lists, as the words to type: ['start', 'user create', …]. */
function listedCommands(help: string): string[] {
  const section = help.split('\nCommands:\n')[1].split('\n\n')[0];
  return section
    .split('\n')
    .filter((line) => /^ {2}\S/.test(line)) // not a description continued on its own line
    .map((line) => line.trim().split(/ {2,}/)[0].replace(/ <.*$/, ''));
}

/** The options a command's help explains: the `--name` of each line under "Options:". */
function explainedOptions(help: string): Array<{ name: string; description: string }> {
  const section = help.split('\nOptions:\n')[1];
  return section
    .split('\n')
    .map((line) => /^ {2}(?:-\w, )?(--[\w-]+)(?: \S+)?(?: {2,}(.*))?$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ name: m[1], description: m[2] ?? '' }));
}

describe('agentsudo-server --help and --version', () => {
  test('--version prints the package version', () => {
    for (const flag of ['--version', '-v'])
      expect(cli(flag)).toEqual({ status: 0, stdout: `${VERSION}\n`, stderr: '' });
  });

  test('--help lists every command; each command answers --help with its options explained', () => {
    const help = cli('--help');
    expect(help.status).toBe(0);
    const commands = listedCommands(help.stdout);
    expect(commands).toEqual(
      expect.arrayContaining(['start', 'project create', 'key rotate', 'user create']),
    );
    for (const command of commands) {
      const own = cli(...command.split(' '), '--help');
      expect({ command, status: own.status, stderr: own.stderr }).toEqual({ command, status: 0, stderr: '' });
      expect(own.stdout.startsWith(`Usage: agentsudo-server ${command}`)).toBe(true);
      const options = explainedOptions(own.stdout);
      expect(options.map((o) => o.name)).toContain('--help');
      // Every option has words after it, on its line or the next.
      for (const o of options) {
        const line = own.stdout.split('\n').findIndex((l) => l.includes(o.name));
        expect({
          command,
          option: o.name,
          text: (o.description || own.stdout.split('\n')[line + 1]).trim(),
        }).toEqual({
          command,
          option: o.name,
          text: expect.stringMatching(/^\S.{5,}/),
        });
      }
      // `help <command>` says the same.
      expect(cli('help', ...command.split(' ')).stdout).toBe(own.stdout);
    }
    expect(explainedOptions(cli('start', '--help').stdout).map((o) => o.name)).toEqual(
      expect.arrayContaining([
        '--port',
        '--host',
        '--db',
        '--database-url',
        '--retention-days',
        '--trust-proxy',
      ]),
    );
    expect(explainedOptions(cli('user', 'create', '-h').stdout).map((o) => o.name)).toContain('--db');
  });

  test('a group of commands answers --help with its commands', () => {
    const help = cli('project', '--help');
    expect(help.status).toBe(0);
    expect(listedCommands(help.stdout)).toEqual(['project create', 'project list']);
  });

  test('an unknown option gets one line naming it and pointing to --help, exit code 2, on every command', () => {
    for (const command of listedCommands(cli('--help').stdout)) {
      const words = command.split(' ');
      const res = cli(...words, '--bogus');
      expect({ command, ...res }).toEqual({
        command,
        status: 2,
        stdout: '',
        stderr: `agentsudo-server ${command}: unknown option '--bogus'; see 'agentsudo-server ${command} --help'\n`,
      });
    }
    expect(cli('--bogus').stderr).toBe(
      "agentsudo-server: unknown option '--bogus'; see 'agentsudo-server --help'\n",
    );
    expect(cli('start', '-x').stderr).toBe(
      "agentsudo-server start: unknown option '-x'; see 'agentsudo-server start --help'\n",
    );
  });

  test('other mistakes are one line too, and none shows parseArgs advice', () => {
    const mistakes = [
      {
        args: ['frobnicate'],
        line: "agentsudo-server: unknown command 'frobnicate'; see 'agentsudo-server --help'",
      },
      {
        args: ['user', 'frob'],
        line: "agentsudo-server user: unknown command 'user frob'; see 'agentsudo-server user --help'",
      },
      {
        args: ['start', '--port'],
        line: "agentsudo-server start: --port needs a value (--port N); see 'agentsudo-server start --help'",
      },
      {
        args: ['start', '--port', '--db', 'x.db'],
        line: "agentsudo-server start: --port needs a value (--port N); see 'agentsudo-server start --help'",
      },
      {
        args: ['start', '--port', '-1'],
        line: "agentsudo-server start: --port must be a whole number from 0 to 65535, got '-1'; see 'agentsudo-server start --help'",
      },
      {
        args: ['start', '--port', 'eighty'],
        line: "agentsudo-server start: --port must be a whole number from 0 to 65535, got 'eighty'; see 'agentsudo-server start --help'",
      },
      {
        args: ['project', 'create'],
        line: expect.stringMatching(
          /^agentsudo-server project create: missing <name>: .*; see 'agentsudo-server project create --help'$/,
        ),
      },
      {
        args: ['project', 'list', 'extra'],
        line: "agentsudo-server project list: unexpected argument 'extra'; see 'agentsudo-server project list --help'",
      },
    ];
    for (const { args, line } of mistakes) {
      const res = cli(...args);
      expect({ args, status: res.status, lines: res.stderr.split('\n') }).toEqual({
        args,
        status: 2,
        lines: [line, ''],
      });
      expect(res.stderr).not.toContain('positional argument');
    }
    // Refused before any database is opened.
    expect(readdirSync(dir.dir)).toEqual([]);
  });
});

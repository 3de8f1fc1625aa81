import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createEvent, FileTransport, type SudoEvent } from 'agentsudo';
import { BIN, requireBuild, run } from './dist';
import { testTempDir } from '../../../test-support/temp-dir';

const dir = testTempDir('agentsudo-cli-');
const file = join(dir, 'audit.jsonl');

const at = (timestamp: string, fields: Partial<SudoEvent>): SudoEvent => ({
  ...createEvent({ agentName: 'SupportBot', action: 'permission_check', allowed: true, ...fields }),
  timestamp,
});

beforeAll(async () => {
  requireBuild();
  const log = new FileTransport({ filename: file });
  log.log(at('2026-03-01T09:00:00.000Z', { scope: 'read:customers', functionName: 'getCustomer' }));
  log.log(
    at('2026-03-01T10:00:00.000Z', { scope: 'write:refunds', allowed: false, functionName: 'processRefund' }),
  );
  log.log(
    at('2026-03-02T09:00:00.000Z', {
      agentName: 'BillingBot',
      scope: 'write:invoices',
      functionName: 'bill',
    }),
  );
  log.log(
    at('2026-03-03T09:00:00.000Z', {
      scope: 'delete:customers',
      action: 'audit_violation',
      allowed: false,
      functionName: 'deleteCustomer',
    }),
  );
  await log.close();
});

/** The command as a user runs it: the package's bin, through its shebang. */
const agentsudo = (...args: string[]) => run(BIN, args);

describe('agentsudo logs', () => {
  test('reads --since without a zone as UTC, like the table, whatever the machine zone', async () => {
    const inNewYork = (...args: string[]) => run(BIN, args, { ...process.env, TZ: 'America/New_York' });
    const zoneless = await inNewYork('logs', file, '--since', '2026-03-01T10:00:00', '--json');
    const utc = await inNewYork('logs', file, '--since', '2026-03-01T10:00:00Z', '--json');
    expect(zoneless.code).toBe(0);
    expect(zoneless.stdout.trim().split('\n')).toHaveLength(3);
    expect(zoneless.stdout).toBe(utc.stdout);
  });

  test('prints every event as a table, then a count', async () => {
    const { code, stdout, stderr } = await agentsudo('logs', file);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toBe(
      [
        'TIME                      AGENT       OUTCOME  SCOPE             FUNCTION',
        '2026-03-01T09:00:00.000Z  SupportBot  allowed  read:customers    getCustomer',
        '2026-03-01T10:00:00.000Z  SupportBot  denied   write:refunds     processRefund',
        '2026-03-02T09:00:00.000Z  BillingBot  allowed  write:invoices    bill',
        '2026-03-03T09:00:00.000Z  SupportBot  audit    delete:customers  deleteCustomer',
        '',
        '4 events, 2 refused',
        '',
      ].join('\n'),
    );
  });

  test('control characters in event names show as escapes: a name cannot fake or hide a row', async () => {
    const hostile = join(dir, 'hostile.jsonl');
    const log = new FileTransport({ filename: hostile });
    log.log(
      at('2026-03-04T09:00:00.000Z', {
        agentName: 'Bot\u001b[8m',
        scope: 'write:\u001b]0;x\u0007refunds',
        functionName: 'f\r\nFAKE 2026-03-04 SupportBot allowed',
      }),
    );
    await log.close();
    const { code, stdout } = await agentsudo('logs', hostile);
    expect(code).toBe(0);
    // eslint-disable-next-line no-control-regex -- no control character may reach the terminal
    expect(stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
    expect(stdout.split('\n')[1]).toBe(
      '2026-03-04T09:00:00.000Z  Bot\\x1b[8m  allowed  write:\\x1b]0;x\\x07refunds  f\\r\\nFAKE 2026-03-04 SupportBot allowed',
    );
  });

  test('--agent, --scope, --denied and --since narrow the rows', async () => {
    const rows = async (...args: string[]) =>
      (await agentsudo('logs', file, ...args)).stdout
        .split('\n')
        .filter((l) => l.startsWith('2026'))
        .map((l) => l.split(/\s+/)[3]);
    expect(await rows('--agent', 'BillingBot')).toEqual(['write:invoices']);
    expect(await rows('--scope', 'write:*')).toEqual(['write:refunds', 'write:invoices']);
    expect(await rows('--denied')).toEqual(['write:refunds', 'delete:customers']);
    expect(await rows('--since', '2026-03-02')).toEqual(['write:invoices', 'delete:customers']);
    expect(await rows('--denied', '--agent', 'SupportBot', '--since', '2026-03-02T00:00:00Z')).toEqual([
      'delete:customers',
    ]);
  });

  test('--agent finds names that contain it, ignoring case, as the dashboard does; --agent-exact takes the exact name', async () => {
    const agents = async (...args: string[]) =>
      (await agentsudo('logs', file, ...args)).stdout
        .split('\n')
        .filter((l) => l.startsWith('2026'))
        .map((l) => l.split(/\s+/)[1]);
    expect(await agents('--agent', 'Support')).toEqual(['SupportBot', 'SupportBot', 'SupportBot']);
    expect(await agents('--agent', 'support')).toEqual(['SupportBot', 'SupportBot', 'SupportBot']);
    expect(await agents('--agent', 'BOT')).toEqual(['SupportBot', 'SupportBot', 'BillingBot', 'SupportBot']);
    expect(await agents('--agent-exact', 'Support')).toEqual([]);
    expect(await agents('--agent-exact', 'supportbot')).toEqual([]);
    expect(await agents('--agent-exact', 'SupportBot')).toEqual(['SupportBot', 'SupportBot', 'SupportBot']);
  });

  test('--json prints the matching events in their wire form', async () => {
    const { stdout } = await agentsudo('logs', file, '--denied', '--json');
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.action, l.scope])).toEqual([
      ['permission_check', 'write:refunds'],
      ['audit_violation', 'delete:customers'],
    ]);
  });

  test('says so when nothing matches', async () => {
    const { code, stdout } = await agentsudo('logs', file, '--agent', 'NobodyBot');
    expect({ code, stdout }).toEqual({ code: 0, stdout: 'No events match.\n' });
  });

  test('a missing file exits 1 naming the path', async () => {
    const missing = join(dir, 'missing.jsonl');
    const { code, stderr } = await agentsudo('logs', missing);
    expect(code).toBe(1);
    expect(stderr).toContain(`Cannot read the audit log at '${missing}': ENOENT`);
  });

  test('bad arguments exit 2 with one line naming the mistake and pointing to --help', async () => {
    const mistakes: Array<[string[], string]> = [
      [['logs', file, '--bogus'], "agentsudo logs: unknown option '--bogus'; see 'agentsudo logs --help'"],
      [['logs', file, '-x'], "agentsudo logs: unknown option '-x'; see 'agentsudo logs --help'"],
      [
        ['logs', file, '--agent'],
        "agentsudo logs: --agent needs a value (--agent TEXT); see 'agentsudo logs --help'",
      ],
      [
        ['logs', file, '--denied=yes'],
        "agentsudo logs: --denied takes no value; see 'agentsudo logs --help'",
      ],
      [
        ['logs', file, 'other.jsonl'],
        "agentsudo logs: unexpected argument 'other.jsonl'; see 'agentsudo logs --help'",
      ],
      [['frobnicate'], "agentsudo: unknown command 'frobnicate'; see 'agentsudo --help'"],
      [['--bogus'], "agentsudo: unknown option '--bogus'; see 'agentsudo --help'"],
    ];
    for (const [args, line] of mistakes) {
      const res = await agentsudo(...args);
      expect({ args, code: res.code, stdout: res.stdout, stderr: res.stderr }).toEqual({
        args,
        code: 2,
        stdout: '',
        stderr: `${line}\n`,
      });
    }
    const badTime = await agentsudo('logs', file, '--since', 'yesterday');
    expect(badTime.code).toBe(2);
    expect(badTime.stderr).toMatch(
      /^agentsudo logs: .*'since': "yesterday" is not a time.*; see 'agentsudo logs --help'\n$/,
    );
    const noFile = await agentsudo('logs');
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toMatch(/^agentsudo logs: missing <file>: the audit log, e\.g\. .*\n$/);
    for (const res of [badTime, noFile]) expect(res.stderr).not.toContain('positional argument');
  });

  test('the package bin is an executable node script with --help and --version', async () => {
    expect(readFileSync(BIN, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    expect(statSync(BIN).mode & 0o111).not.toBe(0);
    const help = await run(BIN, ['--help']); // through the shebang, as npx runs it
    expect(help).toMatchObject({ code: 0, stdout: expect.stringMatching(/^agentsudo \d+\.\d+\.\d+: /) });
    expect(help.stdout).toMatch(/\n {2}logs <file> +print a JSON Lines audit log as a table\n/);
    const version = await run(BIN, ['--version']);
    expect(version).toEqual({ code: 0, stdout: `${require('../package.json').version}\n`, stderr: '' });
  });

  test('logs --help explains every option it takes', async () => {
    for (const args of [
      ['logs', '--help'],
      ['logs', file, '-h'],
      ['help', 'logs'],
    ]) {
      const help = await agentsudo(...args);
      expect({ args, code: help.code, stderr: help.stderr }).toEqual({ args, code: 0, stderr: '' });
      expect(help.stdout.startsWith('Usage: agentsudo logs <file> [options]\n')).toBe(true);
      for (const [option, words] of [
        ['--agent TEXT', 'contains TEXT, ignoring case'],
        ['--agent-exact NAME', 'named exactly NAME'],
        ['--scope PATTERN', 'wildcard'],
        ['--denied', 'only refusals'],
        ['--since ISO', 'at or after'],
        ['--until ISO', 'before this time'],
        ['--rotated', 'rotated files'],
        ['--json', 'JSON Lines'],
        ['-h, --help', 'show this help'],
      ])
        expect(help.stdout).toMatch(new RegExp(`\\n  ${option} +[^\\n]*${words}`));
    }
  });
});

describe('agentsudo logs | head -1', () => {
  // Far more output than a pipe holds, so the command is still writing when head exits.
  const big = join(dir, 'big.jsonl');
  beforeAll(async () => {
    const log = new FileTransport({ filename: big });
    for (let i = 0; i < 20_000; i++) {
      log.log(at('2026-03-01T09:00:00.000Z', { scope: 'read:customers', functionName: 'getCustomer' }));
    }
    await log.close();
  });

  /** Runs `agentsudo <args> | head -1` in bash; the command's exit status ends stderr. */
  const pipedToHead = (...args: string[]) =>
    run('bash', ['-c', '"$@" | head -1; echo "exit status ${PIPESTATUS[0]}" >&2', 'bash', BIN, ...args]);

  test.each([[[]], [['--json']]])(
    'closing the pipe early ends the command quietly (logs FILE %j)',
    async (extra: string[]) => {
      const { code, stdout, stderr } = await pipedToHead('logs', big, ...extra);
      expect(code).toBe(0);
      expect(stdout.split('\n')).toHaveLength(2); // head's one line
      expect(stderr).toBe('exit status 0\n');
    },
  );
});

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, requireBuild, run } from './dist';
import { testTempDir } from '../../../test-support/temp-dir';

const dir = testTempDir('agentsudo-policy-cli-');
const good = join(dir, 'agentsudo.policy.yaml');
const bad = join(dir, 'bad.policy.yaml');

beforeAll(() => {
  requireBuild();
  writeFileSync(
    good,
    `agents:
  RefundBot:
    scopes: [read:orders, write:refunds]
    limits: { write:refunds: { max: 10, per: 1h } }
    budgets: { "write:*": { max: 500, per: 1d } }
  SupportBot:
    scopes: ["read:*"]
approval: [write:refunds]
guards:
  write:refunds: [promptInjection]
`,
  );
  writeFileSync(
    bad,
    'agents:\n  RefundBot:\n    scopes: [write:refunds]\n    limits: { write:refunds: { max: 10, per: 1 h } }\n',
  );
});

/** The command as a user runs it: the package's bin, through its shebang. */
const agentsudo = (...args: string[]) => run(BIN, args);

describe('agentsudo policy check', () => {
  test('says a good file is good, with exit code 0', async () => {
    expect(await agentsudo('policy', 'check', good)).toEqual({
      code: 0,
      stdout: `${good}: ok, 2 agents\n`,
      stderr: '',
    });
  });

  test('prints the first mistake as FILE:LINE:COL: path: problem fix, with exit code 1', async () => {
    const { code, stdout, stderr } = await agentsudo('policy', 'check', bad);

    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(stderr).toBe(
      `${bad}:4:46: agents.RefundBot.limits.write:refunds.per: "1 h" is not a duration; use '30s', '15m', '1h', '1d' (or 'ms') or a whole number of milliseconds. A rate limit counts calls.\n`,
    );
  });

  test('a file that is not there is exit code 1 too, and a missing argument is a usage error (2)', async () => {
    expect(await agentsudo('policy', 'check', join(dir, 'none.yaml'))).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/none\.yaml:1:1: .*ENOENT/),
    });
    expect(await agentsudo('policy', 'check')).toMatchObject({ code: 2 });
  });
});

describe('agentsudo policy explain', () => {
  test('prints the decision and why: the granting pattern, approval, limits, budgets and guards', async () => {
    const { code, stdout, stderr } = await agentsudo(
      'policy',
      'explain',
      good,
      '--agent',
      'RefundBot',
      '--scope',
      'write:refunds',
    );

    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toBe(
      [
        'RefundBot calling write:refunds: allowed, within the limits below',
        '  scope:      granted by "write:refunds" (agents.RefundBot.scopes)',
        '  approval:   a refusal (scope or when) goes to the approver (approval: "write:refunds")',
        '  rate limit: 10 calls per 1h (agents.RefundBot.limits.write:refunds)',
        '  budget:     500 of cost per 1d (agents.RefundBot.budgets.write:*)',
        '  guards:     promptInjection (guards.write:refunds[0])',
        '',
      ].join('\n'),
    );
  });

  test('says a scope the agent lacks is refused, and whether an approver may allow it', async () => {
    const lacking = await agentsudo(
      'policy',
      'explain',
      good,
      '--agent',
      'SupportBot',
      '--scope',
      'write:refunds',
    );
    const plain = await agentsudo(
      'policy',
      'explain',
      good,
      '--agent',
      'SupportBot',
      '--scope',
      'delete:orders',
    );

    expect(lacking.stdout).toMatch(
      /^SupportBot calling write:refunds: refused \(scope\), unless an approver allows it\n {2}scope: +not granted: none of \["read:\*"\] matches write:refunds\n/,
    );
    expect(plain.stdout).toMatch(
      /^SupportBot calling delete:orders: refused \(scope\)\n[^]*approval: +not listed[^]*limits: +none\n {2}guards: +none\n$/,
    );
  });

  test('an unknown agent is exit code 1 naming the agents there are; a missing --scope is 2', async () => {
    const unknown = await agentsudo('policy', 'explain', good, '--agent', 'Nobody', '--scope', 'read:x');

    expect(unknown).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(
        /:1:1: agents: the policy has no agent named "Nobody"\. Use one of: RefundBot, SupportBot/,
      ),
    });
    expect(await agentsudo('policy', 'explain', good, '--agent', 'RefundBot')).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--scope SCOPE is required/),
    });
  });
});

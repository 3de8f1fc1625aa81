import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { PermissionDeniedError, PolicyError, sudo } from '@agentsudo/core';
import { loadPolicy, watchPolicy, type Policy, type PolicyWatch } from '../src/policy';
import { testTempDir } from '../../../test-support/temp-dir';

const dir = testTempDir('agentsudo-policy-');
let n = 0;
/** A fresh policy file holding `text`. */
const policyFile = (text: string) => {
  const file = join(dir, `policy-${++n}.yaml`);
  writeFileSync(file, text);
  return file;
};

const REFUNDS = `agents:
  RefundBot:
    scopes: [read:orders, write:refunds]
    limits:
      write:refunds: { max: 10, per: 1h }
    budgets:
      write:refunds: { max: 500, per: 1d }
approval: [write:refunds]
guards:
  write:refunds:
    - promptInjection
    - deny.pattern: { pattern: '\\bDROP\\s+TABLE\\b', flags: i }
`;

/** Waits until `condition()` holds, checking every 20 ms, for at most `ms`. */
async function waitFor(condition: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The error loading `text` throws. */
function loadError(text: string): PolicyError {
  const file = policyFile(text);
  try {
    loadPolicy(file);
  } catch (err) {
    if (err instanceof PolicyError) return err;
    throw err;
  }
  throw new Error(`${file} loaded`);
}

describe('loadPolicy', () => {
  test('returns real agents, which scopes need approval and the guards for a scope', () => {
    const policy = loadPolicy(policyFile(REFUNDS));
    const refund = sudo('write:refunds', (orderId: string, _note: string) => `refunded ${orderId}`, {
      name: 'refund',
      guards: policy.guardsFor('write:refunds'),
      cost: () => 20,
    });

    const bot = policy.agent('RefundBot');
    expect(bot.limits).toEqual({ 'write:refunds': { max: 10, per: '1h' } });
    expect(policy.needsApproval('write:refunds')).toBe(true);
    expect(policy.needsApproval('read:orders')).toBe(false);
    expect(policy.guardsFor('write:refunds').map((g) => g.name)).toEqual([
      'prompt_injection',
      'deny_pattern',
    ]);
    expect(bot.startSession(() => refund('o-1', 'damaged in transit'))).toBe('refunded o-1');
    expect(() => bot.startSession(() => refund('o-2', "'; drop table orders; --"))).toThrow(
      expect.objectContaining({ reason: 'guardrail' }),
    );
  });

  test('names the file, line and column of a bad value, its path and the fix', () => {
    const error = loadError(REFUNDS.replace('per: 1h', 'per: 1 hour'));

    expect(error.message).toMatch(
      /^.*policy-\d+\.yaml:5:38: agents\.RefundBot\.limits\.write:refunds\.per: "1 hour" is not a duration; use '30s'/,
    );
    expect(error).toMatchObject({ line: 5, column: 38 });
  });

  test('names an unknown key where it is written', () => {
    const error = loadError(REFUNDS.replace('    budgets:', '    budget:'));

    expect(error).toMatchObject({ line: 6, column: 5 });
    expect(error.message).toMatch(/agent 'RefundBot' has an unknown key "budget"\. The keys it may have are/);
  });

  test("refuses a guard's bad option at the option, with the guard's own words", () => {
    const error = loadError(`${REFUNDS}  read:*:\n    - pii: { mode: warn }\n`);

    expect(error).toMatchObject({ line: 14, column: 20 });
    expect(error.message).toMatch(/guards\.read:\*\[0\]\.pii\.mode: pii: mode "warn" is not usable/);
  });

  test('refuses an option the guard does not take, rather than ignoring it', () => {
    const error = loadError(`${REFUNDS}  read:*:\n    - pii: { action: flag }\n`);

    expect(error).toMatchObject({ line: 14, column: 14 });
    expect(error.message).toMatch(
      /guards\.read:\*\[0\]\.pii\.action: pii has an unknown key "action"\. The keys it may have are: mode, kinds/,
    );
  });

  test('refuses a pattern that can backtrack catastrophically when it loads, not on a call', () => {
    const error = loadError(REFUNDS.replace("'\\bDROP\\s+TABLE\\b'", () => "'(a+)+$'"));

    expect(error).toMatchObject({ line: 12 });
    expect(error.message).toMatch(
      /\["deny\.pattern"\]\.pattern: deny\.pattern: \/\(a\+\)\+\$\/i can backtrack/,
    );
  });

  test('names the YAML mistake, a key given twice, and a file that is missing', () => {
    expect(loadError('agents:\n  A: { scopes: [] }\n  A: { scopes: [] }\n').message).toMatch(
      /:3:3: .*not valid YAML.*unique/i,
    );
    expect(() => loadPolicy(join(dir, 'nowhere.yaml'))).toThrow(
      /nowhere\.yaml:1:1: .*cannot read the policy file \(ENOENT\)/,
    );
  });

  test('refuses YAML aliases that would expand without bound', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++)
      bomb.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(', ')}]`,
      );
    const error = loadError(`${bomb.join('\n')}\nagents: { A: { scopes: [] } }\n`);

    expect(error.message).toMatch(/cannot be read as data.*alias/i);
  });

  test('an unknown agent names the agents the file has', () => {
    const policy = loadPolicy(policyFile(REFUNDS));

    expect(() => policy.agent('SupportBot')).toThrow(
      /:1:1: agents: the policy has no agent named "SupportBot"\. Use one of: RefundBot/,
    );
  });

  test('approver() asks the approver only for the scopes under approval:', async () => {
    const policy = loadPolicy(
      policyFile(REFUNDS.replace('approval: [write:refunds]', 'approval: ["write:*"]')),
    );
    const asked: string[] = [];
    const onDeny = policy.approver(({ scope }) => (asked.push(scope), true));
    const agent = loadPolicy(policyFile('agents: { Bot: { scopes: [] } }\n')).agent('Bot');
    const write = sudo('write:notes', () => 'written', { name: 'write', onDeny });
    const remove = sudo('delete:notes', () => 'deleted', { name: 'remove', onDeny });

    expect(await agent.startSession(() => write())).toBe('written');
    await expect(agent.startSession(async () => remove())).rejects.toBeInstanceOf(PermissionDeniedError);
    expect(asked).toEqual(['write:notes']);
  });
});

describe('watchPolicy', () => {
  const A = 'agents:\n  Bot:\n    scopes: [read:orders]\n';
  const B = 'agents:\n  Bot:\n    scopes: [read:orders, write:refunds]\napproval: [write:refunds]\n';
  const BAD = 'agents:\n  Bot:\n    scopes: read:orders\n';
  let watcher: PolicyWatch | undefined;
  afterEach(() => watcher?.close());

  /** Watches a fresh file holding `text`, recording each report. */
  function watched(text: string) {
    const file = policyFile(text);
    const reports: Array<{ error?: PolicyError; policy?: Policy }> = [];
    watcher = watchPolicy(file, (error, policy) => reports.push({ error, policy }), { debounceMs: 20 });
    return { file, reports, watcher };
  }

  test('an edit applies to the next check', async () => {
    const { file, reports, watcher } = watched(A);
    expect(watcher.agent('Bot').hasScope('write:refunds')).toBe(false);

    writeFileSync(file, B);
    await waitFor(() => reports.length > 0);

    expect(reports[0].error).toBeUndefined();
    expect(watcher.agent('Bot').hasScope('write:refunds')).toBe(true);
    expect(watcher.current).toBe(reports[0].policy);
  });

  test('a bad edit keeps the last good policy and reports the error, with one line on stderr', async () => {
    const { file, reports, watcher } = watched(A);
    const good = watcher.current;
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    let lines: string[];
    try {
      writeFileSync(file, BAD);
      await waitFor(() => reports.length > 0);
      lines = stderr.mock.calls.map(([text]) => String(text));
    } finally {
      stderr.mockRestore();
    }

    expect(reports[0].error?.message).toMatch(
      /:3:13: agents\.Bot\.scopes: agent 'Bot' needs scopes: as a list/,
    );
    expect(watcher.current).toBe(good);
    expect(lines).toEqual([
      expect.stringMatching(/^agentsudo: the policy was not reloaded, the last good one stays: .*:3:13: /),
    ]);
  });

  test('a file replaced by rename, as editors save, is read again', async () => {
    const { file, reports, watcher } = watched(A);
    const next = `${file}.tmp`;
    writeFileSync(next, B);

    renameSync(next, file);
    await waitFor(() => reports.some((r) => r.policy?.needsApproval('write:refunds')));
    writeFileSync(`${file}.tmp`, A);
    renameSync(`${file}.tmp`, file);
    await waitFor(() => !watcher.current.needsApproval('write:refunds'));

    expect(watcher.agent('Bot').hasScope('write:refunds')).toBe(false);
  });

  test('an agent the edit did not change keeps its counters', async () => {
    const limited =
      'agents:\n  Bot:\n    scopes: [write:refunds]\n    limits: { write:refunds: { max: 1, per: 1h } }\n';
    const { file, reports, watcher } = watched(limited);
    const refund = sudo('write:refunds', () => 'refunded', { name: 'refund' });
    watcher.agent('Bot').startSession(() => refund());

    writeFileSync(file, `${limited}  Other:\n    scopes: []\n`);
    await waitFor(() => reports.length > 0);

    expect(() => watcher.agent('Bot').startSession(() => refund())).toThrow(
      expect.objectContaining({ reason: 'rate_limit' }),
    );
  });

  test('a check running during reloads sees one whole policy, and the last good edit wins (any sequence of edits)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ text: fc.constantFrom(A, B, BAD), rename: fc.boolean() }), {
          minLength: 1,
          maxLength: 4,
        }),
        async (edits) => {
          const { file, reports, watcher } = watched(A);
          let lastGood = A;
          let torn = 0;
          let checks = 0;
          // A check reads the policy once: its agent's scope and its approval list agree (A: neither, B: both).
          const checking = setInterval(() => {
            const policy = watcher.current;
            checks++;
            if (policy.agent('Bot').hasScope('write:refunds') !== policy.needsApproval('write:refunds'))
              torn++;
          }, 1);
          try {
            for (const { text, rename } of edits) {
              const before = reports.length;
              if (rename) {
                writeFileSync(`${file}.tmp`, text);
                renameSync(`${file}.tmp`, file);
              } else {
                writeFileSync(file, text);
              }
              if (text !== BAD) lastGood = text;
              await waitFor(() => reports.length > before);
              // Late events of this edit may reload it again; all that matters is what it holds.
              await waitFor(() => watcher.current.needsApproval('write:refunds') === (lastGood === B));
            }
          } finally {
            clearInterval(checking);
            watcher.close();
          }
          expect(torn).toBe(0);
          expect(checks).toBeGreaterThan(0);
          expect(reports.every((r) => (r.error === undefined) !== (r.policy === undefined))).toBe(true);
        },
      ),
      { numRuns: 12 },
    );
  }, 120_000);
});

import { Agent, PolicyError } from '@agentsudo/core';
import { parseMcpPolicy } from '../src/policy-file';
import { ToolTraffic } from '../src/tool-traffic';

const call = (name: string) => ({ jsonrpc: '2.0' as const, id: 1, method: 'tools/call', params: { name } });

describe('an MCP policy file', () => {
  it('gives each tool the scope of the first rule whose glob matches it', () => {
    const policy = parseMcpPolicy(
      'agents:\n  Bot:\n    scopes: [read:files]\ntools:\n  read_secret: admin:files\n  "read_*": read:files\n  "*_dir*": read:dirs\n  "*": admin:files\n',
      'first-match.yaml',
    );

    expect(policy.scopeOf('read_secret')).toBe('admin:files');
    expect(policy.scopeOf('read_text_file')).toBe('read:files');
    expect(policy.scopeOf('list_directory')).toBe('read:dirs');
    expect(policy.scopeOf('move_file')).toBe('admin:files');
  });

  it('matches globs literally apart from *, so a tool name with regex characters is no pattern', () => {
    const policy = parseMcpPolicy('agents:\n  Bot:\n    scopes: []\ntools:\n  "a.c": x:y\n', 'literal.yaml');

    expect(policy.scopeOf('a.c')).toBe('x:y');
    expect(policy.scopeOf('abc')).toBeUndefined();
  });

  it('refuses tools no rule matches, unless it says unlisted: allow', () => {
    const yaml = (unlisted: string) =>
      `agents:\n  Bot:\n    scopes: [read:files]\ntools:\n  "read_*": read:files\n${unlisted}`;
    const bot = new Agent({ name: 'Bot', scopes: ['read:files'] });
    const strict = new ToolTraffic(parseMcpPolicy(yaml(''), 'strict.yaml'));
    const open = new ToolTraffic(parseMcpPolicy(yaml('unlisted: allow\n'), 'open.yaml'));

    const refused = strict.fromClient(bot, call('ping_host'), undefined);
    const allowed = open.fromClient(bot, call('ping_host'), undefined);

    expect(refused).toMatchObject({ answer: { result: { isError: true } } });
    expect(JSON.stringify(refused)).toContain("MCP tool 'ping_host' declares no scope");
    expect(allowed).toEqual({ forward: true });
  });

  it.each([
    [
      'a key given twice',
      'agents:\n  Bot:\n    scopes: []\n  Bot:\n    scopes: []\ntools:\n  "*": a:b\n',
      4,
      /valid YAML.*unique/i,
    ],
    [
      'unlisted neither deny nor allow',
      'agents:\n  Bot:\n    scopes: []\ntools:\n  "*": a:b\nunlisted: maybe\n',
      6,
      /unlisted: must be deny or allow, got "maybe"/,
    ],
    [
      'scopes that are not a list',
      'agents:\n  Bot:\n    scopes: read:files\ntools:\n  "*": a:b\n',
      3,
      /agent 'Bot' needs scopes: as a list/,
    ],
    [
      'a reserved agent name',
      'agents:\n  "<unauthenticated>":\n    scopes: []\ntools:\n  "*": a:b\n',
      2,
      /reserved/,
    ],
  ])('refuses %s, naming the line', (_what, yaml, line, message) => {
    let error: unknown;
    try {
      parseMcpPolicy(yaml, 'bad.yaml');
    } catch (err) {
      error = err;
    }

    expect(error).toBeInstanceOf(PolicyError);
    expect(error).toMatchObject({ file: 'bad.yaml', line });
    expect((error as Error).message).toMatch(message);
  });

  it('refuses a token too short to be a secret, at its token_env', () => {
    const policy = parseMcpPolicy(
      'agents:\n  Bot:\n    scopes: []\n    token_env: BOT_TOKEN\ntools:\n  "*": a:b\n',
      'short.yaml',
    );

    expect(() => policy.registry({ BOT_TOKEN: 'short' })).toThrow(
      /^short\.yaml:4:16: .*at least 16 characters/,
    );
    expect(
      policy
        .registry({ BOT_TOKEN: 'a-long-enough-token-1234' })
        .list()
        .map((a) => a.name),
    ).toEqual(['Bot']);
  });

  it('reads the policy file format of agentsudo/policy: an agent keeps its id, role and metadata', () => {
    const text =
      'agents:\n  Bot:\n    id: bot-1\n    role: support\n    metadata: { team: files }\n    scopes: [read:files]\n' +
      'tools:\n  "*": read:files\n';
    const policy = parseMcpPolicy(text, 'shared.yaml');

    expect(policy.agentNamed('Bot')).toMatchObject({
      id: 'bot-1',
      role: 'support',
      metadata: { team: 'files' },
    });
  });

  it.each([
    ['approval:', 'approval: [write:files]\n', 6, /cannot hold a call for approval/],
    ['guards:', 'guards:\n  "write:*": [promptInjection]\n', 6, /cannot run guards/],
    ["an agent's limits:", '', 4, /cannot count agent 'Bot''s limits/],
  ])('refuses %s, which it cannot enforce, rather than ignore it', (_what, extra, line, message) => {
    const limits = extra === '' ? '    limits: { write:files: { max: 10, per: 1h } }\n' : '';
    const text = `agents:\n  Bot:\n    scopes: [write:files]\n${limits}tools:\n  "*": write:files\n${extra}`;
    let error: unknown;
    try {
      parseMcpPolicy(text, 'more.yaml');
    } catch (err) {
      error = err;
    }

    expect(error).toBeInstanceOf(PolicyError);
    expect(error).toMatchObject({ file: 'more.yaml', line });
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toMatch(/agentsudo-mcp enforces scopes only.*guardMcpServer/);
  });

  it('refuses a policy without tools:, which the SDK may leave out but the proxy needs', () => {
    expect(() => parseMcpPolicy('agents:\n  Bot:\n    scopes: []\n', 'no-tools.yaml')).toThrow(
      /^no-tools\.yaml:1:1: .*has no tools:/,
    );
  });
});

import { spawnSync } from 'node:child_process';
import { LoggingMessageNotificationSchema, type Progress } from '@modelcontextprotocol/sdk/types.js';
import { textOf } from './files-server';
import { PROXY_BIN, startStdioProxy, tempDir, UPSTREAM_FIXTURE, waitFor, writePolicy } from './proxy-helpers';

const POLICY = `
agents:
  Counter:
    scopes: ["read:demo"]
    token_env: COUNTER_TOKEN
tools:
  erase: write:demo
  "*": read:demo
`;

const temp = tempDir('agentsudo-mcp-stdio-');
afterAll(() => temp.remove());

function proxyToFixture(env: Record<string, string> = {}) {
  const policy = writePolicy(temp.dir, POLICY);
  return startStdioProxy(
    ['--policy', policy, '--agent', 'Counter', '--', process.execPath, UPSTREAM_FIXTURE],
    env,
  );
}

it("forwards everything but tools unchanged: the upstream's identity, resources, prompts, progress, logging, cancellation and its requests to the client", async () => {
  const proxy = await proxyToFixture();
  const { client } = proxy;
  try {
    const logs: string[] = [];
    client.setNotificationHandler(
      LoggingMessageNotificationSchema,
      (n) => void logs.push(String(n.params.data)),
    );

    const serverInfo = client.getServerVersion();
    const resources = await client.listResources();
    const resource = await client.readResource({ uri: 'memo://greeting' });
    const prompt = await client.getPrompt({ name: 'greet', arguments: { name: 'Ada' } });
    await client.ping();
    const counted = await client.callTool({ name: 'count', arguments: { to: 3 } }, undefined, {
      onprogress: () => undefined,
    });
    const abort = new AbortController();
    const waiting = client.callTool({ name: 'wait', arguments: {} }, undefined, { signal: abort.signal });
    await waitFor(() => logs.includes('waiting'));
    abort.abort('the user changed their mind');
    await expect(waiting).rejects.toThrow();
    const roots = await client.callTool({ name: 'roots', arguments: {} });

    expect(serverInfo).toEqual({ name: 'upstream-fixture', version: '3.1.4' });
    expect(client.getServerCapabilities()?.logging).toEqual({});
    expect(resources.resources.map((r) => r.uri)).toEqual(['memo://greeting']);
    expect(resource.contents[0]).toMatchObject({ text: 'hello from a resource' });
    expect(prompt.messages[0].content).toEqual({ type: 'text', text: 'Say hello to Ada.' });
    expect(textOf(counted)).toBe('counted to 3');
    // Read off the wire: the SDK's Client drops progress that arrives in the same read as the result.
    const progress = proxy.received.filter((m) => 'method' in m && m.method === 'notifications/progress');
    expect(progress.map((m) => (m as unknown as { params: Progress }).params.progress)).toEqual([1, 2, 3]);
    expect(logs).toEqual(['counted to 3', 'waiting']);
    expect(textOf(roots)).toBe('file:///client/root');
    // The upstream saw the cancellation: its waiting tool was aborted.
    let cancelled = '0';
    for (let i = 0; i < 200 && cancelled !== '1'; i++) {
      cancelled = textOf(await client.callTool({ name: 'cancellations', arguments: {} }));
      if (cancelled !== '1') await new Promise((r) => setTimeout(r, 50));
    }
    expect(cancelled).toBe('1');
  } finally {
    await client.close();
  }
});

it('filters tools and lets a huge argument through intact to a tool the agent may call, and refuses one it may not', async () => {
  const proxy = await proxyToFixture();
  try {
    const big = 'z'.repeat(4 * 1024 * 1024);

    const tools = (await proxy.client.listTools()).tools.map((t) => t.name).sort();
    const echoed = await proxy.client.callTool({ name: 'echo', arguments: { text: big } });
    const erased = await proxy.client.callTool({ name: 'erase', arguments: { junk: big } });

    expect(tools).toEqual(['cancellations', 'count', 'die', 'echo', 'env_has', 'roots', 'wait']);
    expect(textOf(echoed)).toHaveLength(big.length);
    expect(erased.isError).toBe(true);
    expect(textOf(erased)).toContain("Agent 'Counter' lacks scope 'write:demo' required by MCP tool 'erase'");
  } finally {
    await proxy.client.close();
  }
});

it('when the upstream dies mid-call, the pending call gets an error and the proxy exits non-zero, saying why on stderr', async () => {
  const proxy = await proxyToFixture();

  const dying = proxy.client.callTool({ name: 'die', arguments: {} });

  await expect(dying).rejects.toThrow(/upstream MCP server .* exited/);
  expect(await proxy.exited).toBe(1);
  expect(proxy.stderr()).toContain('upstream-fixture: dying mid-call');
  expect(proxy.stderr()).toMatch(/agentsudo-mcp: the upstream MCP server .* exited/);
  await proxy.client.close();
});

it("starts the upstream with the proxy's environment but not its secrets: the dashboard key and the agents' tokens", async () => {
  const proxy = await proxyToFixture({
    COUNTER_TOKEN: 'counter-token-0123456789',
    AGENTSUDO_API_KEY: 'as_test_not_a_real_key',
    AGENTSUDO_ENDPOINT: 'http://127.0.0.1:9',
    XDG_STATE_HOME: temp.dir,
    UPSTREAM_SETTING: 'kept',
  });
  try {
    const names = ['COUNTER_TOKEN', 'AGENTSUDO_API_KEY', 'AGENTSUDO_ENDPOINT', 'UPSTREAM_SETTING'];

    const seen = await proxy.client.callTool({ name: 'env_has', arguments: { names } });

    expect(JSON.parse(textOf(seen))).toEqual(['AGENTSUDO_ENDPOINT', 'UPSTREAM_SETTING']);
  } finally {
    await proxy.client.close();
  }
});

describe('a command line or policy it cannot run exits 2 with one clear message', () => {
  const run = (args: string[], env: Record<string, string> = {}) => {
    const result = spawnSync(process.execPath, [PROXY_BIN, ...args], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
      timeout: 60_000,
    });
    return { code: result.status, stderr: result.stderr, stdout: result.stdout };
  };
  const policyFile = (name: string, yaml: string) => writePolicy(temp.dir, yaml, name);
  const stdioWith = (file: string, agent = 'Counter') =>
    run(['--policy', file, '--agent', agent, '--', 'true']);

  it.each([
    [
      'bad YAML',
      'bad-yaml.yaml',
      'agents:\n  Bot: { scopes: [read:x\ntools: {}\n',
      /bad-yaml\.yaml:\d+:\d+: \(the policy\): this is not valid YAML/,
    ],
    [
      'a bad glob',
      'bad-glob.yaml',
      'agents:\n  Counter:\n    scopes: [read:demo]\ntools:\n  "read_[a-z]*": read:demo\n',
      /bad-glob\.yaml:5:3: tools\["read_\[a-z\]\*"\]: the tool glob "read_\[a-z\]\*" has a character tool names do not have\. .*only wildcard is \*/,
    ],
    [
      'a scope that is blank',
      'blank-scope.yaml',
      'agents:\n  Counter:\n    scopes: [read:demo]\ntools:\n  echo: "  "\n',
      /blank-scope\.yaml:5:9: .*is blank/,
    ],
    [
      'an unknown key',
      'unknown-key.yaml',
      'agents:\n  Counter:\n    scopes: [read:demo]\n    scope: [write:demo]\ntools:\n  "*": read:demo\n',
      /unknown-key\.yaml:4:5: agents\.Counter\.scope: agent 'Counter' has an unknown key "scope"\. The keys it may have are: scopes, id, role, metadata, limits, budgets, token_env\./,
    ],
    [
      'no tools',
      'no-tools.yaml',
      'agents:\n  Counter:\n    scopes: [read:demo]\n',
      /no-tools\.yaml:1:1: \(the policy\): the policy has no tools:/,
    ],
  ])('%s', (_what, name, yaml, message) => {
    const file = policyFile(name, yaml);

    const { code, stderr } = stdioWith(file);

    expect({ code, stderr }).toEqual({ code: 2, stderr: expect.stringMatching(message) });
  });

  it('an agent the policy does not have', () => {
    const file = policyFile('agents.yaml', POLICY);

    const { code, stderr } = stdioWith(file, 'Nobody');

    expect(code).toBe(2);
    expect(stderr).toMatch(
      /agents\.yaml:2:1: agents: the policy has no agent named "Nobody"\. Use one of: Counter/,
    );
  });

  it('a token_env naming an unset variable, over HTTP', () => {
    const file = policyFile(
      'token-env.yaml',
      'agents:\n  Counter:\n    scopes: [read:demo]\n    token_env: AGENTSUDO_TEST_UNSET_TOKEN\ntools:\n  "*": read:demo\n',
    );

    const { code, stderr } = run(['--policy', file, '--upstream', 'http://127.0.0.1:9/mcp', '--port', '0']);

    expect(code).toBe(2);
    expect(stderr).toMatch(
      /token-env\.yaml:4:16: agents\.Counter\.token_env: the environment variable AGENTSUDO_TEST_UNSET_TOKEN \(token_env of agent 'Counter'\) is not set\./,
    );
  });

  it('two agents given the same token, over HTTP', () => {
    const file = policyFile(
      'same-token.yaml',
      'agents:\n  A:\n    scopes: []\n    token_env: TOKEN_A\n  B:\n    scopes: []\n    token_env: TOKEN_B\ntools:\n  "*": read:demo\n',
    );
    const token = 'same-token-for-two-agents';

    const { code, stderr } = run(['--policy', file, '--upstream', 'http://127.0.0.1:9/mcp', '--port', '0'], {
      TOKEN_A: token,
      TOKEN_B: token,
    });

    expect(code).toBe(2);
    expect(stderr).toMatch(/same-token\.yaml:7:16: .*uses a token already given to another agent/);
  });

  it('an unknown option gets one line naming it and pointing to --help; --help and --version answer', () => {
    const unknown = run(['--polcy', 'x.yaml']);
    const help = run(['--help']);
    const version = run(['--version']);

    expect(unknown).toEqual({
      code: 2,
      stdout: '',
      stderr: 'agentsudo-mcp: unknown option --polcy. See agentsudo-mcp --help.\n',
    });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('agentsudo-mcp --policy FILE --agent NAME -- <command> [args...]');
    expect(version).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) });
  });
});

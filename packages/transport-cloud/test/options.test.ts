import { configure } from '@agentsudo/core';
import {
  CloudConfigError,
  DEFAULT_ENDPOINT,
  configureCloud,
  getCloudConfig,
  shutdownCloud,
} from '@agentsudo/transport-cloud';
import { resolveCloudOptions } from '../src/options';

describe('configuration', () => {
  afterEach(async () => {
    await shutdownCloud(0);
    configure({ transports: [] });
  });

  it('takes the API key and endpoint from the environment when not given', () => {
    const env = { AGENTSUDO_API_KEY: 'as_env_key_0001', AGENTSUDO_ENDPOINT: 'https://dash.example.test/' };
    const resolved = resolveCloudOptions({}, env);
    expect(resolved.apiKey).toBe('as_env_key_0001');
    expect(resolved.endpoint).toBe('https://dash.example.test');
  });

  it('prefers explicit options over the environment', () => {
    const env = { AGENTSUDO_API_KEY: 'as_env_key_0001', AGENTSUDO_ENDPOINT: 'https://env.example.test' };
    const resolved = resolveCloudOptions({ apiKey: 'as_given_0002', endpoint: 'http://127.0.0.1:9999' }, env);
    expect(resolved.apiKey).toBe('as_given_0002');
    expect(resolved.endpoint).toBe('http://127.0.0.1:9999');
  });

  it('falls back to the local dashboard address', () => {
    expect(resolveCloudOptions({ apiKey: 'as_k_0001' }, {}).endpoint).toBe(DEFAULT_ENDPOINT);
    expect(DEFAULT_ENDPOINT).toBe('http://127.0.0.1:4319');
  });

  it('with no key anywhere, throws an error naming both ways to give one', () => {
    let error: unknown;
    try {
      resolveCloudOptions({}, {});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CloudConfigError);
    expect((error as CloudConfigError).option).toBe('apiKey');
    expect((error as Error).message).toContain('configureCloud({ apiKey');
    expect((error as Error).message).toContain('AGENTSUDO_API_KEY');
  });

  it('configureCloud reads AGENTSUDO_API_KEY from process.env', () => {
    const saved = process.env.AGENTSUDO_API_KEY;
    process.env.AGENTSUDO_API_KEY = 'as_from_process_env_77';
    try {
      const handle = configureCloud({ spoolDir: false });
      expect(handle.config.apiKeyHint).toBe('as_…v_77');
    } finally {
      if (saved === undefined) delete process.env.AGENTSUDO_API_KEY;
      else process.env.AGENTSUDO_API_KEY = saved;
    }
  });

  it.each([
    [{ apiKey: 'as_k_0001', endpoint: 'ftp://x' }, 'endpoint', 'http:// or https://'],
    [{ apiKey: 'as_k_0001', endpoint: 'not a url' }, 'endpoint', 'is not a URL'],
    [{ apiKey: 'as_k_0001', batchSize: 0 }, 'batchSize', 'from 1 to 1000, got 0'],
    [{ apiKey: 'as_k_0001', batchSize: 2000 }, 'batchSize', 'from 1 to 1000, got 2000'],
    [{ apiKey: 'as_k_0001', maxQueue: 1.5 }, 'maxQueue', 'got 1.5'],
    [{ apiKey: 'as_k_0001', asyncSend: 'yes' }, 'asyncSend', 'true or false'],
    [{ apiKey: 'as_k_0001', spoolDir: '' }, 'spoolDir', 'folder path or false'],
    [{ apiKey: 'line\nbreak-key' }, 'apiKey', 'on one line'],
  ])('rejects %j naming the option', (options, option, text) => {
    expect(() => resolveCloudOptions(options as never, {})).toThrow(
      expect.objectContaining({ name: 'CloudConfigError', option, message: expect.stringContaining(text) }),
    );
  });

  it('getCloudConfig shows the configuration without the key', () => {
    expect(getCloudConfig()).toBeUndefined();
    configureCloud({
      apiKey: 'as_live_secretsecret1234',
      endpoint: 'http://127.0.0.1:4319',
      spoolDir: false,
    });
    const config = getCloudConfig()!;
    expect(config.endpoint).toBe('http://127.0.0.1:4319');
    expect(config.apiKeyHint).toBe('as_…1234');
    expect(JSON.stringify(config)).not.toContain('secretsecret');
    expect(config).toMatchObject({
      asyncSend: true,
      batchSize: 500,
      flushIntervalMs: 1000,
      maxQueue: 10_000,
    });
  });

  it('a bad configuration leaves the previous one in place', () => {
    configureCloud({ apiKey: 'as_first_key_0001', spoolDir: false });
    expect(() => configureCloud({ apiKey: 'as_second_key_02', batchSize: -1 })).toThrow(CloudConfigError);
    expect(getCloudConfig()!.apiKeyHint).toBe('as_…0001');
  });

  it('defaults the spool to a folder per endpoint and key, under a folder of this user', () => {
    const env = { XDG_STATE_HOME: '/home/me/.local/state' };
    const a = resolveCloudOptions({ apiKey: 'as_key_aaaa' }, env).spoolDir;
    const b = resolveCloudOptions({ apiKey: 'as_key_bbbb' }, env).spoolDir;
    expect(a).toMatch(/^\/home\/me\/\.local\/state\/agentsudo\/spool\/[0-9a-f]{16}$/);
    expect(a).not.toBe(b);
    expect(resolveCloudOptions({ apiKey: 'as_key_aaaa', spoolDir: false }, {}).spoolDir).toBe(false);
  });
});

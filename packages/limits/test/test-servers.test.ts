import { freePort } from '../../../test-support/postgres';
import { startTestRedis } from '../../../test-support/redis';

describe("the tests' own Redis", () => {
  const saved = process.env.REDIS_SERVER;
  afterEach(() => {
    if (saved === undefined) delete process.env.REDIS_SERVER;
    else process.env.REDIS_SERVER = saved;
  });

  test('without redis-server, the set-up stops with what to install and how to use another server', async () => {
    process.env.REDIS_SERVER = '/nonexistent/redis-server';
    await expect(startTestRedis(freePort())).rejects.toThrow(
      'Redis is needed by the limits tests: run scripts/test-all.sh, which installs what the tests need, ' +
        'or apt-get install -y redis-server, or set AGENTSUDO_TEST_REDIS_URL to a Redis server the tests may use',
    );
  });
});

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { jsonLines, tempDir } from './temp-dir';
import { runNode, writeScript } from './child-process';

const dir = tempDir();
/** Where an installed package is found from, as in a user's project. */
const PROJECT = resolve(__dirname, '../../..');

beforeAll(() => {
  const built = resolve(__dirname, '../dist/winston.js');
  if (!existsSync(built)) throw new Error(`${built} is missing: run \`npm run build\` before these tests.`);
});

test("a winston logger of one's own appends exit-safe lines through '@agentsudo/transport-file/winston'", async () => {
  const file = join(dir, 'app.jsonl');
  const script = writeScript(
    dir,
    'own-logger.js',
    `const from = (id) => require(require.resolve(id, { paths: [${JSON.stringify(PROJECT)}] }));
const { createLogger, format } = from('winston');
const { SyncAppendTransport } = from('@agentsudo/transport-file/winston');
const logger = createLogger({ format: format.json(), transports: [new SyncAppendTransport({ filename: ${JSON.stringify(file)} })] });
logger.info('started', { job: 7 });
process.exit(0); // the line is already in the file`,
  );
  const { code, stderr } = await runNode(script, []);
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  expect(jsonLines(file)).toEqual([{ level: 'info', message: 'started', job: 7 }]);
});

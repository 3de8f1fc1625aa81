import { join } from 'node:path';
import ts from 'typescript';

/*
 * What the typed query layer promises happens at compile time, and jest does not type-check
 * (the repository's tsconfig sets isolatedModules, so ts-jest only transpiles). So these tests
 * run the TypeScript compiler, with the repository's tsconfig, on queries written as a
 * repository would write them.
 */

const ROOT = join(__dirname, '..', '..', '..');
/** The file the queries below are compiled as: beside this test, so `../src/…` imports resolve. */
const QUERIES_FILE = join(__dirname, 'query-layer-types.queries.ts');

const PROLOGUE = `
import { sql, type Insertable } from 'kysely';
import { execute, fetchAll, fetchFirst, queryBuilder, reusableQuery } from '../src/storage/query-layer';
import type { EventsTable } from '../src/storage/schema';
import type { SqlDriver } from '../src/storage/driver';

export async function queries(driver: SqlDriver, hash: string, row: Insertable<EventsTable>): Promise<void> {
  const db = queryBuilder(driver.dialect);
  const key = await fetchFirst(driver, db.selectFrom('api_keys').select(['id', 'revoked_at']).where('key_hash', '=', hash));
  const id: string | undefined = key?.id;
  const revokedAt: number | null | undefined = key?.revoked_at;
  const rows = await fetchAll(driver, db.selectFrom('events').select(['seq', 'ts']).where('allowed', '=', 0));
  const seq: number = rows[0].seq;
  const changed: number = await execute(driver, db.updateTable('api_keys').set({ revoked_at: 1 }).where('id', '=', 'k'));
  const counted = await fetchAll(driver, sql<{ n: number }>\`SELECT COUNT(*) AS n FROM events\`.compile(db));
  const n: number = counted[0].n;
  await driver.transaction((tx) => fetchAll(tx, db.insertInto('events').values(row).returning('seq')));
  const keyByHash = reusableQuery((h: string) => db.selectFrom('api_keys').select('kind').where('key_hash', '=', h));
  const kind: 'ingest' | 'read' | undefined = (await fetchFirst(driver, keyByHash(hash)))?.kind;
  void [id, revokedAt, seq, changed, n, kind];
`;

/** Mistakes the compiler must refuse, each with the name its message must mention. */
const MISTAKES: Array<{ why: string; code: string; names: string }> = [
  {
    why: 'api_keys has no column key',
    code: "await fetchAll(driver, db.selectFrom('api_keys').select('key'));",
    names: '"key"',
  },
  {
    why: 'events has no column agent to filter on',
    code: "await fetchAll(driver, db.selectFrom('events').selectAll().where('agent', '=', 'SupportBot'));",
    names: '"agent"',
  },
  { why: 'there is no table event', code: "db.selectFrom('event');", names: '"event"' },
  {
    why: 'allowed is stored as 1 or 0, not a boolean',
    code: "db.insertInto('events').values({ ...row, allowed: true });",
    names: '0 | 1',
  },
  {
    why: 'a reusable query takes the arguments it was written with',
    code: 'keyByHash(42);',
    names: 'number',
  },
  {
    why: 'a row read back has only the columns selected',
    code: 'void rows[0].agent_name;',
    names: 'agent_name',
  },
];

function queriesSource(expectErrors: boolean): string {
  const lines = MISTAKES.flatMap((m) =>
    expectErrors ? [`  // @ts-expect-error: ${m.why}`, `  ${m.code}`] : [`  ${m.code}`],
  );
  return `${PROLOGUE}${lines.join('\n')}\n}\n`;
}

/** Type-checks `files` (and the queries above, as QUERIES_FILE) with the repository's tsconfig. */
function typeCheck(
  queries: string,
  files: string[] = [],
): Array<{ file: string; line: number; message: string }> {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(ROOT, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  )!;
  const host = ts.createCompilerHost(config.options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, ...rest) =>
    name === QUERIES_FILE
      ? ts.createSourceFile(name, queries, version)
      : getSourceFile(name, version, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === QUERIES_FILE || fileExists(name);
  const program = ts.createProgram([QUERIES_FILE, ...files], config.options, host);
  return [QUERIES_FILE, ...files].flatMap((file) =>
    ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => ({
      file: d.file?.fileName ?? '',
      line: d.file ? d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1 : 0,
      message: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
    })),
  );
}

const TYPE_CHECK_MS = 180_000;

test(
  'queries that name real tables and columns compile, each mistake is refused, and the query-layer tests type-check',
  () => {
    // An unused `@ts-expect-error` is itself an error: no diagnostic means every mistake was caught.
    const diagnostics = typeCheck(queriesSource(true), [
      join(__dirname, 'query-layer.test.ts'),
      join(__dirname, 'query-layer-schema.test.ts'),
    ]);
    expect(diagnostics).toEqual([]);
  },
  TYPE_CHECK_MS,
);

test(
  'each mistake, written without its @ts-expect-error, is a compile error on its own line that names it',
  () => {
    const source = queriesSource(false);
    const diagnostics = typeCheck(source);
    const lines = source.split('\n');
    for (const mistake of MISTAKES) {
      const line = lines.findIndex((l) => l.includes(mistake.code)) + 1;
      const found = diagnostics.filter((d) => d.line === line);
      expect({ code: mistake.code, errors: found.length }).toEqual({ code: mistake.code, errors: 1 });
      expect(found[0].message).toContain(mistake.names);
    }
    expect(diagnostics).toHaveLength(MISTAKES.length);
  },
  TYPE_CHECK_MS,
);

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Runs a built example to completion (bounded: killed after 30 s). */
function runExample(name: string): Promise<{ code: number | null; stdout: string }> {
  const main = join(resolve(__dirname, '../../../examples'), name, 'dist', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` before these tests.`);
  return new Promise((done) => {
    execFile(process.execPath, [main], { timeout: 30_000 }, (err, stdout) =>
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout }),
    );
  });
}

test('the NestJS support-desk example serves one agent and refuses the other', async () => {
  const { code, stdout } = await runExample('nestjs');
  expect(code).toBe(0);
  expect(stdout).toContain('✅ SupportBot GET /customers/c-42 -> 200');
  expect(stdout).toMatch(
    /❌ SupportBot POST \/refunds -> 403 .*"scope":"write:refunds","agent":"SupportBot"/,
  );
  expect(stdout).toContain('✅ RefundBot  POST /refunds -> 201');
  expect(stdout).toContain('❌ nobody     GET /customers/c-42 -> 401');
});

test('the Express example refuses at the route and deep in a service, with 403 JSON', async () => {
  const { code, stdout } = await runExample('express');
  expect(code).toBe(0);
  expect(stdout).toContain('✅ SupportBot GET /orders/o-7 -> 200');
  expect(stdout).toMatch(/❌ SupportBot POST \/refunds -> 403 .*requireScope\('write:refunds'\)/);
  expect(stdout).toMatch(/❌ SupportBot POST \/orders\/o-7\/cancel -> 403 .*OrderService\.processRefund/);
  expect(stdout).toContain('✅ RefundBot  POST /refunds -> 201');
  expect(stdout).toContain('❌ nobody     GET /orders/o-7 -> 401');
});

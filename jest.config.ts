import type { Config } from 'jest';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * One jest run over every package: a project per package that has a `test/` folder.
 * Tests import workspace packages from their TypeScript sources, so `jest` works
 * without a build; the build (and its type check) runs first in `npm test`.
 */
const packagesDir = join(__dirname, 'packages');

const moduleNameMapper: Record<string, string> = {
  '^agentsudo$': '<rootDir>/../agentsudo/src/index.ts',
  '^@agentsudo/([a-z-]+)$': '<rootDir>/../$1/src/index.ts',
};

const projects: Config['projects'] = readdirSync(packagesDir)
  .filter((name) => existsSync(join(packagesDir, name, 'test')))
  .map((name) => ({
    displayName: name,
    rootDir: join(packagesDir, name),
    testEnvironment: 'node',
    testMatch: ['<rootDir>/test/**/*.test.ts'],
    moduleNameMapper,
    transform: {
      '^.+\\.tsx?$': ['ts-jest', { tsconfig: join(__dirname, 'tsconfig.json') }],
    },
  }));

const config: Config = {
  projects,
  testTimeout: 30_000,
  globalSetup: '<rootDir>/test-support/global-setup.ts',
  globalTeardown: '<rootDir>/test-support/global-teardown.ts',
};

export default config;

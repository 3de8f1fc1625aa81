import type { Config } from 'jest';

/**
 * One jest run over every package: a project per package that has a `test/` folder, and
 * one for the repository's own scripts.
 * Tests import workspace packages from their TypeScript sources, so `jest` works
 * without a build; the build (and its type check) runs first in `npm test`.
 *
 * This file is written as CommonJS on purpose (`require` and `module.exports`, with a type
 * import only): on Node 22.18 and later Jest lets Node strip the types and load the config
 * itself, and a config with `import` statements would then load as an ES module, where
 * `__dirname` does not exist. Without them Node reads it as CommonJS, as ts-node does on
 * Node 20.
 */
const { readdirSync, existsSync } = require('node:fs') as typeof import('node:fs');
const { join } = require('node:path') as typeof import('node:path');

const packagesDir = join(__dirname, 'packages');

const moduleNameMapper: Record<string, string> = {
  '^agentsudo$': '<rootDir>/../agentsudo/src/index.ts',
  '^agentsudo/policy$': '<rootDir>/../agentsudo/src/policy.ts',
  // @agentsudo/mcp reads agent tokens with the Express entry's registry: from source too, so
  // its Agent class is the one the tests make agents with.
  '^@agentsudo/nestjs/express$': '<rootDir>/../nestjs/src/express.ts',
  '^@agentsudo/([a-z-]+)$': '<rootDir>/../$1/src/index.ts',
};

/** A project for the tests in `<dir>/test`, shown under `name`. */
function project(name: string, dir: string) {
  return {
    displayName: name,
    rootDir: dir,
    testEnvironment: 'node',
    testMatch: ['<rootDir>/test/**/*.test.ts'],
    moduleNameMapper,
    transform: {
      '^.+\\.tsx?$': ['ts-jest', { tsconfig: join(__dirname, 'tsconfig.json') }],
    },
  };
}

/**
 * Packages whose tests need a framework that npm installs as an optional dependency only
 * where its engines allow (`@openai/agents` needs Node 22): without it they are left out,
 * with one line saying why, instead of failing to import it.
 */
const frameworkOfPackage: Record<string, string> = { 'openai-agents': '@openai/agents' };
const { frameworkMissing } = require('./scripts/optional-frameworks') as {
  frameworkMissing(framework: string): string | undefined;
};

function frameworkInstalled(name: string): boolean {
  const framework = frameworkOfPackage[name];
  const why = framework === undefined ? undefined : frameworkMissing(framework);
  if (why === undefined) return true;
  console.log(`jest: packages/${name} not tested: ${why}.`);
  return false;
}

const projects: Config['projects'] = [
  ...readdirSync(packagesDir)
    .filter((name) => existsSync(join(packagesDir, name, 'test')) && frameworkInstalled(name))
    .map((name) => project(name, join(packagesDir, name))),
  // The repository's own scripts, such as the set-up behind the README's test command.
  project('scripts', join(__dirname, 'scripts')),
];

const config: Config = {
  projects,
  testTimeout: 30_000,
  globalSetup: '<rootDir>/test-support/global-setup.ts',
  globalTeardown: '<rootDir>/test-support/global-teardown.ts',
};

module.exports = config;

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
const { OPTIONAL_FRAMEWORKS, whyMissing } = require('./scripts/optional-frameworks') as {
  OPTIONAL_FRAMEWORKS: { name: string; module: string; paths: string[] }[];
  whyMissing(framework: { module: string }, root?: string): string | undefined;
};

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
 * Packages whose tests need an agent framework that npm installs only on Node 22 and later
 * (scripts/optional-frameworks.js): where it is absent they are left out, with one line
 * saying why, instead of failing to import it.
 */
const frameworkMissing = new Map<string, string>();
for (const framework of OPTIONAL_FRAMEWORKS) {
  const why = whyMissing(framework, __dirname);
  if (why === undefined) continue;
  frameworkMissing.set(framework.name, why);
  console.log(`jest: packages/${framework.name} not tested: ${why}.`);
}

/**
 * The AI SDK and its @ai-sdk packages ship ES modules only; Jest's CommonJS runtime loads them
 * compiled by ts-jest, like our own sources.
 */
function aiSdkProject(dir: string) {
  const base = project('ai-sdk', dir);
  return {
    ...base,
    transform: {
      ...base.transform,
      '^.+\\.m?js$': ['ts-jest', { tsconfig: { allowJs: true, isolatedModules: true } }],
    },
    transformIgnorePatterns: [
      '/node_modules/(?!(ai|@ai-sdk|@workflow|@vercel/oidc|eventsource-parser|zod)/)',
    ],
  };
}

const projects: Config['projects'] = [
  ...readdirSync(packagesDir)
    .filter((name) => existsSync(join(packagesDir, name, 'test')) && !frameworkMissing.has(name))
    .map((name) =>
      name === 'ai-sdk' ? aiSdkProject(join(packagesDir, name)) : project(name, join(packagesDir, name)),
    ),
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

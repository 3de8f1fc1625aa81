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
 * Why the tests of `@agentsudo/ai-sdk` cannot run here, or undefined when they can: they need
 * `ai` 7, an optional root dependency that npm installs only on Node 22 and later (its engines).
 */
function aiSdkSkipReason(): string | undefined {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 22) return `Node ${process.versions.node} (the AI SDK needs Node 22 or later)`;
  try {
    require.resolve('ai/package.json', { paths: [__dirname] });
  } catch {
    return "the optional dependency 'ai' is not installed (run npm install on Node 22 or later)";
  }
  return undefined;
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

const aiSdkSkipped = aiSdkSkipReason();
if (aiSdkSkipped !== undefined) {
  console.log(`jest: packages/ai-sdk tests not run: ${aiSdkSkipped}.`);
}

const projects: Config['projects'] = [
  ...readdirSync(packagesDir)
    .filter((name) => existsSync(join(packagesDir, name, 'test')))
    .filter((name) => name !== 'ai-sdk' || aiSdkSkipped === undefined)
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

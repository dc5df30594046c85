import type { Config } from 'jest';

// One jest project per package so `pnpm test` prints each suite under its
// package name. Tests run as native ESM (node --experimental-vm-modules),
// transformed by swc without type checking: `tsc -b` checks types first.
const packages = ['core', 'quantizers', 'encoders-3d', 'discriminators', 'losses', 'bench'];

const swc = [
  '@swc/jest',
  {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  },
] as const;

const shared = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc as unknown as [string, Record<string, unknown>] },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
};

const config: Config = {
  projects: [
    ...packages.map((p) => ({
      ...shared,
      displayName: p,
      rootDir: `<rootDir>/packages/${p}`,
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testEnvironment: '<rootDir>/../../jest.environment.cjs',
    })),
    {
      ...shared,
      displayName: 'examples',
      rootDir: '<rootDir>/examples',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testEnvironment: '<rootDir>/../jest.environment.cjs',
    },
  ],
  maxWorkers: 2,
  testTimeout: 120_000,
};
export default config;

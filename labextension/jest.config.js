/**
 * jest runs the TypeScript sources through ts-jest. JupyterLab and Lumino
 * publish ES modules, so those packages are transformed too (transpile only,
 * via isolatedModules in tsconfig.test.json).
 */
const esModules = ['@jupyterlab/', '@lumino/', '@jupyter/'].join('|');

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src'],
  testMatch: ['**/__tests__/**/*.spec.ts?(x)'],
  transform: {
    '^.+\\.[jt]sx?$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }]
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esModules}))`],
  collectCoverageFrom: ['src/**/*.{ts,tsx}', '!src/**/*.d.ts'],
  coverageReporters: ['text-summary', 'lcov']
};

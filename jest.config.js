// One Jest project per library and app, plus test/ for cross-process suites. All share the
// same transform (SWC, the same settings as the build) and the @tributary/* aliases.
const fs = require('node:fs');
const path = require('node:path');

const swcrc = JSON.parse(fs.readFileSync(path.join(__dirname, '.swcrc'), 'utf8'));
delete swcrc.$schema;

const PGLITE_TRANSFORM = {
  swcrc: false,
  jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' },
  module: { type: 'commonjs' },
};

function project(displayName, root) {
  return {
    displayName,
    rootDir: __dirname,
    roots: [`<rootDir>/${root}`],
    testEnvironment: 'node',
    testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
    transform: {
      '^.+\\.ts$': ['@swc/jest', { ...swcrc, swcrc: false }],
      // PGlite loads Node built-ins with import(), which Jest's CommonJS sandbox refuses without
      // --experimental-vm-modules; compiling its CommonJS build turns those into require().
      '/node_modules/@electric-sql/pglite/.+\\.c?js$': ['@swc/jest', PGLITE_TRANSFORM],
    },
    transformIgnorePatterns: ['/node_modules/(?!@electric-sql/pglite/)'],
    moduleNameMapper: { '^@tributary/([a-z-]+)$': '<rootDir>/libs/$1/src/index.ts' },
    moduleFileExtensions: ['ts', 'js', 'json'],
  };
}

const dirs = (parent) =>
  fs.existsSync(path.join(__dirname, parent))
    ? fs
        .readdirSync(path.join(__dirname, parent), { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => project(d.name, `${parent}/${d.name}`))
    : [];

module.exports = {
  projects: [...dirs('libs'), ...dirs('apps'), project('cross-process', 'test')],
  // Fails the run at once, naming what is missing, when PostgreSQL or Redis is unreachable.
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  testTimeout: 30_000,
};

/** Tests run TypeScript through @swc/jest; type-checking is a separate `tsc --noEmit`. */
const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }];
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // mppx ships ES modules only: its files are compiled to CommonJS like the tests.
  transform: { '^.+\\.ts$': swc, '/node_modules/mppx/.+\\.js$': swc },
  transformIgnorePatterns: ['/node_modules/(?!mppx/)'],
  testTimeout: 20000,
};

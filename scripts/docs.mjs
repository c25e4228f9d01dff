#!/usr/bin/env node
// Regenerates the README's tables (modeled API routes, control routes, triggers)
// from the route tables themselves (src/control/catalogue.ts), after a build.
// Usage: npm run docs            (rewrites README.md)
//        npm run docs -- --check (exit 1 when README.md is not up to date)
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { controlRoutes } = require(path.join(root, 'dist/control/index.js'));
const { markdownTables, withTables } = require(path.join(root, 'dist/control/catalogue.js'));
const file = path.join(root, 'README.md');
const current = fs.readFileSync(file, 'utf8');
const next = withTables(current, markdownTables(controlRoutes));
if (process.argv.includes('--check')) {
  if (next !== current) {
    console.error('README.md tables are not what the route tables say: run `npm run docs`.');
    process.exit(1);
  }
  console.log('README.md tables up to date');
} else {
  fs.writeFileSync(file, next);
  console.log(next === current ? 'README.md tables already up to date' : 'README.md tables regenerated');
}

#!/usr/bin/env node
// Regenerates the docs' tables (modeled API routes, control routes, triggers)
// from the route tables themselves (src/control/catalogue.ts DOC_TABLES), after a build.
// Usage: npm run docs            (rewrites the documents)
//        npm run docs -- --check (exit 1 when one is not up to date)
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { controlRoutes } = require(path.join(root, 'dist/control/index.js'));
const { DOC_TABLES, markdownTables, withTables } = require(path.join(root, 'dist/control/catalogue.js'));
const tables = markdownTables(controlRoutes);
let stale = 0;
for (const [doc, names] of Object.entries(DOC_TABLES)) {
  const file = path.join(root, doc);
  const current = fs.readFileSync(file, 'utf8');
  const next = withTables(current, Object.fromEntries(names.map((name) => [name, tables[name]])));
  if (next === current) console.log(`${doc}: tables up to date`);
  else if (process.argv.includes('--check')) {
    console.error(`${doc}: tables are not what the route tables say: run \`npm run docs\`.`);
    stale++;
  } else {
    fs.writeFileSync(file, next);
    console.log(`${doc}: tables regenerated`);
  }
}
if (stale) process.exit(1);

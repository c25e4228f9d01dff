#!/usr/bin/env node
// Regenerates the docs' tables (modeled API routes, control routes, triggers)
// from the route tables themselves (src/control/catalogue.ts DOC_TABLES), and the
// README's command table and docs/cli.md's options from the command declarations
// (src/commands/reference.ts), after a build.
// Usage: npm run docs            (rewrites the documents)
//        npm run docs -- --check (exit 1 when a table is not up to date)
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { controlRoutes } = require(path.join(root, 'dist/control/index.js'));
const { DOC_TABLES, markdownTables, withTables } = require(path.join(root, 'dist/control/catalogue.js'));
const { commandTables } = require(path.join(root, 'dist/commands/reference.js'));
const commands = commandTables();
const routeTables = markdownTables(controlRoutes);
const files = [
  ...Object.entries(DOC_TABLES).map(([doc, names]) => [doc, Object.fromEntries(names.map((name) => [name, routeTables[name]]))]),
  ['README.md', commands.readme],
  ['docs/cli.md', commands.cli],
];
const stale = [];
for (const [name, tables] of files) {
  const file = path.join(root, name);
  const current = fs.readFileSync(file, 'utf8');
  const next = withTables(current, tables);
  if (next === current) continue;
  stale.push(name);
  if (!process.argv.includes('--check')) fs.writeFileSync(file, next);
}
if (process.argv.includes('--check')) {
  if (stale.length) {
    console.error(`${stale.join(' and ')}: the tables are not what the declarations say: run \`npm run docs\`.`);
    process.exit(1);
  }
  console.log('tables up to date');
} else {
  console.log(stale.length ? `tables regenerated in ${stale.join(' and ')}` : 'tables already up to date');
}

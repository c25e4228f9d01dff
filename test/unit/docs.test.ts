import fs from 'node:fs';
import path from 'node:path';
import { controlRoutes } from '../../src/control';
import { DOC_TABLES, markdownTables, withTables } from '../../src/control/catalogue';
import { modeledRoutes } from '../../src/resources';
import { TwinControl } from '../../src/control/client';
import { createTwin } from '../../src';

// One table of routes: the docs' tables, GET /__admin__ and the typed client
// all come from (or are checked against) the route declarations.

const ROOT = path.join(__dirname, '../..');

test.each(Object.entries(DOC_TABLES))("%s's generated tables are what the declarations say (npm run docs)", (doc, names) => {
  const tables = markdownTables(controlRoutes);
  const text = fs.readFileSync(path.join(ROOT, doc), 'utf8');
  expect(withTables(text, Object.fromEntries(names.map((name) => [name, tables[name]]))) === text).toBe(true);
});

test('every route carries a one-line description and described parameters', () => {
  for (const r of modeledRoutes) expect(r.description).toMatch(/\S/);
  for (const r of controlRoutes) {
    expect(`${r.method} ${r.path}: ${r.description}`).toMatch(/: \S/);
    expect(r.description).not.toMatch(/\n/);
    for (const [name, p] of Object.entries(r.params ?? {})) expect(`${r.path} ${name}: ${p.description}`).toMatch(/: \S/);
  }
});

/** Control routes the client reaches another way (`POST …/faults/clear` is DELETE's spelling for clients without DELETE). */
const NOT_IN_CLIENT = ['POST /__admin__/faults/clear'];

test('every control route has a method in the typed client', () => {
  const client = fs.readFileSync(path.join(ROOT, 'src/control/client.ts'), 'utf8');
  const escape = (text: string) => text.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
  const missing = controlRoutes
    .map((r) => `${r.method} ${r.path}`)
    .filter((route) => !NOT_IN_CLIENT.includes(route))
    .filter((route) => {
      const [method, template] = route.split(' ');
      // The path as the client writes it: '/__admin__/x' or `/__admin__/x/${encodeURIComponent(id)}/y`, on the call's line.
      const pathPattern = template.split(/\{[^}]+\}/).map(escape).join('\\$\\{encodeURIComponent\\([^)]*\\)\\}');
      return !new RegExp(`this\\.call\\('${method}',[^\\n]*?['\`]${pathPattern}['\`]`).test(client);
    });
  expect(missing).toEqual([]);
});

test('GET /__admin__ answers the catalogue, through the client', async () => {
  const twin = createTwin();
  const control = new TwinControl({ twin, key: 'sk_test_catalogue' });
  const catalogue = await control.catalogue();
  expect(catalogue.control.map((r) => `${r.method} ${r.path}`)).toEqual(controlRoutes.map((r) => `${r.method} ${r.path}`));
  expect(catalogue.api).toHaveLength(modeledRoutes.length);
  expect(catalogue.api.find((r) => r.path === '/v1/customers' && r.method === 'POST')?.description).toBe('Creates a new customer object.');
  expect(catalogue.control.find((r) => r.path === '/__admin__/clock/advance')?.params.duration).toMatchObject({ in: 'body', type: 'string' });
  expect(catalogue.triggers.map((t) => t.trigger)).toContain('payment.declined');
});

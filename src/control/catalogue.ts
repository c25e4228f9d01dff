import { modeledRoutes } from '../resources';
import { ControlRoute } from './surface';
import { triggerCatalogue } from './triggers';

// One table of what the twin answers: the modeled API routes (from the spec),
// the control routes and the triggers, each with its one-line description and
// parameters. `GET /__admin__` serves it; the docs' tables are generated from
// it (`npm run docs`, checked by test/unit/docs.test.ts), and so can MCP tools be.

export function catalogue(control: readonly ControlRoute[]) {
  return {
    api: modeledRoutes.map((r) => ({ method: r.method, path: r.path, description: r.description })),
    control: control.map((r) => ({ method: r.method, path: r.path, description: r.description, scope: r.scope ?? 'world', params: r.params ?? {} })),
    triggers: triggerCatalogue(),
  };
}

/** Text for a table cell: pipes escaped, and `<`/`>` outside code spans (`rak_<resource>_read` is not a tag). */
const cell = (text: string) =>
  text
    .replace(/\|/g, '\\|')
    .replace(/\n/g, ' ')
    .split('`')
    .map((part, i) => (i % 2 ? part : part.replace(/</g, '&lt;').replace(/>/g, '&gt;')))
    .join('`');
const code = (text: string) => `\`${text}\``;

/** The generated tables: name → markdown. */
export function markdownTables(control: readonly ControlRoute[]): Record<string, string> {
  const c = catalogue(control);
  const api = ['| route | does |', '| --- | --- |', ...c.api.map((r) => `| ${code(`${r.method} ${r.path}`)} | ${cell(r.description)} |`)];
  const routes = ['| call | does | parameters |', '| --- | --- | --- |'];
  for (const r of c.control) {
    const params = Object.entries(r.params).map(([name, p]) => {
      const values = p.enum ? ` (${p.enum.map((v) => code(v)).join(', ')})` : '';
      return `${code(name)}${p.required ? '' : '?'} ${p.in === 'query' ? 'query' : p.type}: ${p.description}${values}`;
    });
    const scope = r.scope === 'twin' ? ' Control token only.' : '';
    routes.push(`| ${code(`${r.method} ${r.path}`)} | ${cell(r.description + scope)} | ${cell(params.join('; ')) || '—'} |`);
  }
  const triggers = ['| trigger | acts on | when | parameters | same as |', '| --- | --- | --- | --- | --- |'];
  for (const t of c.triggers) {
    const params = Object.entries(t.params).map(([name, p]) => {
      const values = Array.isArray(p.values) ? `: ${p.values.join(', ')}` : '';
      return `${code(name)}${p.required ? '' : '?'}${p.default !== undefined ? ` (default ${code(String(p.default))})` : ''}${values}`;
    });
    triggers.push(`| ${code(t.trigger)} | ${t.on.map(code).join(' or ')} | ${cell(t.when)} | ${params.join(', ') || '—'} | ${cell(t.like.join(', '))} |`);
  }
  return { 'api-routes': api.join('\n'), 'control-routes': routes.join('\n'), triggers: triggers.join('\n') };
}

/** Which document holds which generated tables (paths from the repository's root). */
export const DOC_TABLES: Readonly<Record<string, readonly string[]>> = {
  'docs/behaviour.md': ['api-routes'],
  'docs/control.md': ['control-routes', 'triggers'],
};

/** `text` with each `<!-- generated:NAME -->…<!-- /generated:NAME -->` block holding its table. */
export function withTables(text: string, tables: Record<string, string>): string {
  let out = text;
  for (const [name, table] of Object.entries(tables)) {
    const open = `<!-- generated:${name} (npm run docs) -->`;
    const close = `<!-- /generated:${name} -->`;
    const start = out.indexOf(open);
    const end = out.indexOf(close);
    if (start === -1 || end < start) throw new Error(`no ${open} … ${close} block`);
    out = `${out.slice(0, start + open.length)}\n${table}\n${out.slice(end)}`;
  }
  return out;
}

import fs from 'node:fs';
import path from 'node:path';
import { readScenario } from './parse';

// The bundled catalog: the Markdown scenarios shipped in the package's
// scenarios/catalog folder (package.json `files`), listed and copied by
// `stripe-twin scenarios`.

/** The catalog folder: from dist/scenarios or src/scenarios, two levels up. */
export const CATALOG_DIR = path.join(__dirname, '..', '..', 'scenarios', 'catalog');

export interface CatalogEntry {
  file: string;
  name: string;
  title: string;
  summary: string;
}

export function catalog(): CatalogEntry[] {
  return fs
    .readdirSync(CATALOG_DIR)
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => {
      const s = readScenario(path.join(CATALOG_DIR, f));
      return { file: f, name: s.name, title: s.title, summary: s.config.summary ?? '' };
    });
}

/** Copies the catalog's files into `dir` (made if missing); an existing file is left alone. */
export function copyCatalog(dir: string): { copied: string[]; kept: string[] } {
  fs.mkdirSync(dir, { recursive: true });
  const copied: string[] = [];
  const kept: string[] = [];
  for (const entry of catalog()) {
    const to = path.join(dir, entry.file);
    if (fs.existsSync(to)) kept.push(to);
    else {
      fs.copyFileSync(path.join(CATALOG_DIR, entry.file), to);
      copied.push(to);
    }
  }
  return { copied, kept };
}

import fs from 'node:fs';
import path from 'node:path';

// The package stands alone: every citation in the repository resolves to something
// inside it. Comments, tests, scripts and docs cite facts as "docs/<file>.md §<n>"
// (a bare "§<n>" only inside docs/<file>.md itself, meaning that file); nothing
// points at notes or paths outside the repository.

const ROOT = path.resolve(__dirname, '../..');
const FOLDERS = ['src', 'test', 'scripts', 'docs', 'contracts'];
const FILES = ['README.md', 'captures/README.md'];
const TEXT = /\.(ts|mts|cts|js|mjs|cjs|md|ya?ml|json|sh)$/;
const SELF = path.relative(ROOT, __filename);

/** Text that points outside the repository, whatever surrounds it. */
const OUTSIDE: Array<[RegExp, string]> = [
  [/\.\.\/shared\b/, 'a path outside the repository (../shared)'],
  [/\/work\//, 'a path outside the repository (/work/)'],
  [/\breference\/[\w.-]+\.md\b/, "a note outside the repository (reference/…)"],
  [/\b(stripe-behaviour|connect-and-legacy|agent-protocols|event-sequences|api-versions)(\.md\b|\s?§)/, 'a note outside the repository'],
  [/\bDESIGN(\.md\b|\s?§)/, 'the design notes outside the repository'],
];

/** A section citation: "§1.6", "§ 4", "§A2". */
const SECTION = /§\s?([A-Z]?\d+(?:\.\d+)*)/g;
/** A Markdown file named in the text before a citation. */
const MARKDOWN = /[\w./-]+\.md\b/g;

function files(): string[] {
  const out: string[] = [...FILES];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') walk(rel);
      } else if (TEXT.test(entry.name) && rel !== SELF) out.push(rel);
    }
  };
  FOLDERS.forEach(walk);
  return out;
}

const headings = new Map<string, Set<string> | null>();
/** The section numbers of a Markdown file's headings ("## 1.6 Request IDs" → "1.6"), or null when there is no such file. */
function sectionsOf(file: string): Set<string> | null {
  if (!headings.has(file)) {
    const full = path.join(ROOT, file);
    headings.set(
      file,
      fs.existsSync(full)
        ? new Set(
            fs
              .readFileSync(full, 'utf8')
              .split('\n')
              .map((line) => /^#{1,6}\s+([A-Z]?\d+(?:\.\d+)*)\.?(\s|$)/.exec(line)?.[1])
              .filter((n): n is string => n !== undefined),
          )
        : null,
    );
  }
  return headings.get(file)!;
}

/** What is wrong with each citation of one line (empty when nothing is). */
function problems(file: string, line: string): string[] {
  const found: string[] = [];
  for (const [pattern, what] of OUTSIDE) if (pattern.test(line)) found.push(`cites ${what}: ${pattern.exec(line)![0]}`);
  for (const match of line.matchAll(SECTION)) {
    const named = [...line.slice(0, match.index).matchAll(MARKDOWN)].pop()?.[0];
    const target = named ?? (file.startsWith('docs/') && file.endsWith('.md') ? file : null);
    if (target === null) {
      found.push(`"${match[0]}" names no file: write "docs/<file>.md ${match[0]}"`);
      continue;
    }
    const sections = sectionsOf(target);
    if (sections === null) found.push(`"${named} ${match[0]}": there is no ${target}`);
    else if (!sections.has(match[1])) found.push(`"${target} ${match[0]}": ${target} has no heading numbered ${match[1]}`);
  }
  return found;
}

test('every citation names a file of the repository, and every §n a heading of that file', () => {
  const found: string[] = [];
  for (const file of files()) {
    const lines = fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n');
    lines.forEach((line, i) => {
      for (const problem of problems(file, line)) found.push(`${file}:${i + 1}: ${problem}`);
    });
  }
  expect(found).toEqual([]);
});

test('the rules catch what they are for', () => {
  expect(problems('src/a.ts', '// (docs/stripe-facts.md §1.6, §19.2)')).toEqual([]);
  expect(problems('docs/agents.md', 'as §3.2 says')).toEqual([]);
  expect(problems('src/a.ts', '// as §3.2 says')).toEqual(['"§3.2" names no file: write "docs/<file>.md §3.2"']);
  expect(problems('src/a.ts', '// docs/stripe-facts.md §99')).toEqual(['"docs/stripe-facts.md §99": docs/stripe-facts.md has no heading numbered 99']);
  expect(problems('src/a.ts', '// docs/nothing.md §1')).toEqual(['"docs/nothing.md §1": there is no docs/nothing.md']);
  expect(problems('src/a.ts', '// see ../shared/captures')).toHaveLength(1);
  expect(problems('src/a.ts', '// (stripe-behaviour §13)')).toHaveLength(2);
});

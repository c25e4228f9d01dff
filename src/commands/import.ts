import path from 'node:path';
import { Provenance } from '../contract/capture';
import { importPath } from '../contract/importers';
import type { Options } from './index';

const PROGRESS_MIN_FILES = 20;

/** A progress line: rewritten in place on a terminal, one line per 10% otherwise. */
function progress(stream: NodeJS.WriteStream, label: string) {
  let lastDecile = -1;
  return {
    update(done: number, total: number) {
      if (total <= PROGRESS_MIN_FILES) return;
      const pct = Math.floor((done / total) * 100);
      const line = `${label} ${done}/${total} files (${pct}%)`;
      if (stream.isTTY) stream.write(`\r${line}${done === total ? '\n' : ''}`);
      else {
        const decile = Math.floor(pct / 10);
        if (decile > lastDecile) {
          lastDecile = decile;
          stream.write(`${line}\n`);
        }
      }
    },
  };
}

export async function run(args: Options<'import'>, [src]: string[]): Promise<void> {
  const provenance: Partial<Provenance> = {};
  if (args.repository) provenance.repository = args.repository;
  if (args.commit) provenance.commit = args.commit;
  if (args.license) provenance.license = args.license;
  if (args.path) provenance.path = args.path.replace(/\/+$/, '');
  if (args.apiVersion) provenance.api_versions = [args.apiVersion];

  const warnings: string[] = [];
  let interactions = 0;
  let objects = 0;
  const bar = progress(process.stdout, `importing ${src}:`);
  let imported: ReturnType<typeof importPath>;
  try {
    imported = importPath(src, {
      // --out captures/<name>; by default captures/ and the name of the source folder.
      out: args.out ? path.dirname(args.out) : 'captures',
      name: args.out ? path.basename(args.out) : undefined,
      scrubEmails: args.scrubEmails === true,
      baseUrl: args.baseUrl,
      provenance,
      onProgress: (done, total) => bar.update(done, total),
      onWarning: (file, reason) => warnings.push(`warning: skipped ${file}: ${reason}`),
      onCapture: (capture) => {
        interactions += capture.interactions.length;
        objects += capture.objects?.length ?? 0;
      },
    });
  } catch (e) {
    throw new Error(`import: ${(e as Error).message}`);
  }
  const written = imported.files.length;
  for (const w of warnings) process.stderr.write(`${w}\n`);
  process.stdout.write(
    `imported ${written} capture${written === 1 ? '' : 's'} into ${imported.folder}/ ` +
      `(${interactions} interaction${interactions === 1 ? '' : 's'}, ${objects} object${objects === 1 ? '' : 's'})` +
      `${warnings.length ? `; skipped ${warnings.length} file${warnings.length === 1 ? '' : 's'}` : ''}\n`,
  );
}

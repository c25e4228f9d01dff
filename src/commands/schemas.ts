import path from 'node:path';
import { compileAll, generateSchemas, loadSpec, readCaptures, writeOpenApiTypes, writeSchemas } from '../contract/schemas';
import type { Options } from './index';

const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

export async function run(args: Options<'schemas'>, [part]: string[]): Promise<void> {
  const specFile = path.resolve(args.spec);
  const log = (line: string) => process.stdout.write(`${line}\n`);

  if (part === 'types') {
    const out = path.resolve(args.out ?? 'src/contract/openapi_types.d.ts');
    const { bytes, ms: took } = await writeOpenApiTypes(specFile, out);
    log(`${path.relative(process.cwd(), out)}: ${bytes} bytes from ${path.relative(process.cwd(), specFile)} in ${took} ms`);
    return;
  }
  const capturesDir = path.resolve(args.captures);
  const outDir = path.resolve(args.out ?? 'schemas');
  let t = process.hrtime.bigint();
  const { spec, info } = loadSpec(specFile);
  const { captures, skipped } = readCaptures(capturesDir);
  const readMs = ms(t);
  for (const s of skipped) log(`  skipped capture ${s.name}: ${s.error}`);

  t = process.hrtime.bigint();
  const generated = generateSchemas({ spec, specInfo: info, captures });
  const genMs = ms(t);
  const { written, removed } = writeSchemas(outDir, generated);

  t = process.hrtime.bigint();
  const { ms: compileMs, failed } = compileAll(generated.files);
  for (const f of failed) log(`  ajv could not compile ${f.file}.json: ${f.error}`);

  const s = generated.summary;
  const tightened = s.filter((x) => x.instances > 0 && !x.capturesOnly);
  const sum = (f: (x: (typeof s)[number]) => number) => tightened.reduce((n, x) => n + f(x), 0);
  log(
    `${path.relative(process.cwd(), outDir) || '.'}: ${written} schemas (${s.filter((x) => x.capturesOnly).length} captures-only) from spec ${info.version}` +
      (removed.length ? `, ${removed.length} stale removed` : ''),
  );
  log(
    `  captures: ${generated.captures.used}/${generated.captures.files} files with ${generated.captures.instances} instances` +
      (generated.captures.apiVersions.length ? ` (${generated.captures.apiVersions.join(', ')})` : ''),
  );
  log(
    `  tightened ${tightened.length}: +${sum((x) => x.requiredAdded.length)} required, ${sum((x) => x.seenKeys.length)} top-level and ${sum((x) => x.nestedSeenKeys)} nested seen keys, ${sum((x) => x.seenEnum)} seen enum values`,
  );
  log(`  times: read ${readMs.toFixed(0)} ms, generate ${genMs.toFixed(0)} ms, ajv compile of all ${written} ${compileMs.toFixed(0)} ms`);
  if (failed.length) throw new Error(`${failed.length} schema(s) did not compile with ajv`);
}

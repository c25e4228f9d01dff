import fs from 'node:fs';
import path from 'node:path';
import { readCapture } from '../contract/capture';
import { captureToHar, captureToNock } from '../contract/interop';
import type { Options } from './index';

export async function run(args: Options<'export'>, [file]: string[]): Promise<void> {
  const { to, base } = args;
  const capture = readCapture(file);
  const doc = to === 'nock' ? captureToNock(capture, { base, matchVersion: args.matchVersion === true }) : captureToHar(capture, { base });
  const text = `${JSON.stringify(doc, null, 2)}\n`;
  if (!capture.interactions.length) process.stderr.write(`warning: ${file} has no interactions (objects only); the export is empty\n`);
  if (!args.out) {
    process.stdout.write(text);
    return;
  }
  fs.mkdirSync(path.dirname(path.resolve(args.out)), { recursive: true });
  fs.writeFileSync(args.out, text);
  process.stdout.write(`wrote ${capture.interactions.length} interaction${capture.interactions.length === 1 ? '' : 's'} of ${capture.name} to ${args.out} (${to})\n`);
}

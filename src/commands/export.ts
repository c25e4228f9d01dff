import fs from 'node:fs';
import path from 'node:path';
import { readCapture } from '../contract/capture';
import { captureToHar, captureToNock, pollyRecordingFolder } from '../contract/interop';
import { synopsis } from './index';

type ExportArgs = { to?: string; out?: string; base?: string; 'match-version'?: boolean; 'recording-name'?: string };

export async function run(args: ExportArgs, positional: string[]): Promise<void> {
  const file = positional[0];
  if (!file) throw new Error(`export: which capture?\n  ${synopsis('export')}`);
  const to = args.to;
  if (to !== 'nock' && to !== 'har') throw new Error('export: --to must be nock or har');
  const recordingName = args['recording-name'];
  if (recordingName !== undefined && to !== 'har') throw new Error('export: --recording-name is for --to har (a Polly recording)');
  const capture = readCapture(file);
  const base = args.base !== undefined ? Number(args.base) : undefined;
  if (base !== undefined && !Number.isInteger(base)) throw new Error(`export: --base must be Unix seconds, not "${args.base}"`);
  const doc = to === 'nock' ? captureToNock(capture, { base, matchVersion: args['match-version'] === true }) : captureToHar(capture, { base, recordingName });
  const text = `${JSON.stringify(doc, null, 2)}\n`;
  if (!capture.interactions.length) process.stderr.write(`warning: ${file} has no interactions (objects only); the export is empty\n`);
  // A Polly recording goes where Polly's fs persister looks for it: --out is its recordingsDir.
  const out = recordingName !== undefined ? path.join(args.out ?? 'recordings', pollyRecordingFolder(recordingName), 'recording.har') : args.out;
  if (!out) {
    process.stdout.write(text);
    return;
  }
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  fs.writeFileSync(out, text);
  process.stdout.write(`wrote ${capture.interactions.length} interaction${capture.interactions.length === 1 ? '' : 's'} of ${capture.name} to ${out} (${to})\n`);
}

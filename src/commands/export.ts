import fs from 'node:fs';
import path from 'node:path';
import { readCapture } from '../contract/capture';
import { captureToHar, captureToNock, pollyRecordingFolder } from '../contract/interop';
import { Options, UsageError } from './index';

export async function run(args: Options<'export'>, [file]: string[]): Promise<void> {
  const { to, base, recordingName } = args;
  if (recordingName !== undefined && to !== 'har') throw new UsageError('export: --recording-name is for --to har (a Polly recording)');
  const capture = readCapture(file);
  const doc = to === 'nock' ? captureToNock(capture, { base, matchVersion: args.matchVersion === true }) : captureToHar(capture, { base, recordingName });
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

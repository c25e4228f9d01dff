import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { foldData } from './durable';

// The worker thread a durable store folds its journals on while the twin serves
// (./durable.ts): it reads the files, never the live worlds, and says when the new
// snapshot is in place. It runs at the lowest priority: folding can wait, answers
// cannot (on Linux the nice value is per thread, so only this thread yields).

try {
  os.setPriority(19);
} catch {
  // Not permitted here: fold at the normal priority.
}
const { dir, through } = workerData as { dir: string; through: number };
foldData(dir, through);
parentPort!.postMessage('folded');

#!/usr/bin/env node
// The `ganomaly` command. In `train`, Ctrl-C stops after the current batch and saves a checkpoint;
// a second Ctrl-C exits at once. Other commands stop at once.
import { run } from './cli.js';
import { EXIT } from './io.js';

const argv = process.argv.slice(2);
const training = argv[0] === 'train' && !argv.includes('--help') && !argv.includes('-h');
const controller = new AbortController();
let interrupts = 0;
process.on('SIGINT', () => {
  interrupts++;
  if (!training || interrupts > 1) {
    process.stderr.write(training ? '\nInterrupted again: exiting without waiting for the checkpoint.\n' : '\nInterrupted.\n');
    process.exit(EXIT.interrupted);
  }
  process.stderr.write('\nInterrupted: finishing the current batch and saving a checkpoint (Ctrl-C again to exit at once)...\n');
  controller.abort();
});

// A closed pipe (`ganomaly score ... | head`): stdout's reader wants no more, so stop quietly;
// a closed stderr only loses progress lines, so the work goes on.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(EXIT.ok);
  throw e;
});
process.stderr.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
});

const code = await run(argv, {
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
  env: process.env,
  signal: controller.signal,
});
process.exitCode = code;

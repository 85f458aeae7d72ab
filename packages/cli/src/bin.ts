#!/usr/bin/env node
// The `ganomaly` command. Ctrl-C aborts training between two batches (a checkpoint is saved);
// a second Ctrl-C exits at once.
import { run } from './cli.js';
import { EXIT } from './io.js';

const controller = new AbortController();
let interrupts = 0;
process.on('SIGINT', () => {
  interrupts++;
  if (interrupts > 1) {
    process.stderr.write('\nInterrupted again: exiting without waiting for the checkpoint.\n');
    process.exit(EXIT.interrupted);
  }
  process.stderr.write('\nInterrupted: finishing the current batch and saving a checkpoint (Ctrl-C again to exit at once)...\n');
  controller.abort();
});

const code = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
  env: process.env,
  signal: controller.signal,
});
process.exitCode = code;

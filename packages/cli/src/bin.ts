#!/usr/bin/env node
// The `ganomaly` command. In `train`, Ctrl-C (SIGINT), SIGTERM (how containers and schedulers stop
// jobs) and SIGHUP (a closed terminal) stop after the current batch and save a checkpoint; a second
// signal exits at once. The exit code is 128 + the signal's number (130, 143, 129). Other commands
// stop at once.
import { run } from './cli.js';
import { EXIT } from './io.js';

const argv = process.argv.slice(2);
const training = argv[0] === 'train' && !argv.includes('--help') && !argv.includes('-h');
const controller = new AbortController();
let interrupts = 0;
const SIGNAL_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
let stoppedBy: keyof typeof SIGNAL_CODES | null = null;
const onSignal = (sig: keyof typeof SIGNAL_CODES) => {
  interrupts++;
  if (!training || interrupts > 1) {
    process.stderr.write(training ? `\n${sig} again: exiting without waiting for the checkpoint.\n` : `\nInterrupted (${sig}).\n`);
    process.exit(SIGNAL_CODES[sig]);
  }
  stoppedBy = sig;
  process.stderr.write(`\n${sig === 'SIGINT' ? 'Interrupted' : `Stopped by ${sig}`}: finishing the current batch and saving a checkpoint (${sig === 'SIGINT' ? 'Ctrl-C' : 'the signal'} again to exit at once)...\n`);
  controller.abort();
};
process.on('SIGINT', () => onSignal('SIGINT'));
if (training) {
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGHUP', () => onSignal('SIGHUP'));
}

// A closed pipe (`ganomaly score ... | head`): stdout's reader wants no more, so stop quietly;
// a closed stderr only loses progress lines, so the work goes on.
// Any other write error on stdout (`score > /dev/full`) is one line and exit 1, not a stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(EXIT.ok);
  process.stderr.write(`ganomaly ${argv[0] ?? ''}: cannot write to standard output: ${e.code ?? ''} ${e.message.replace(/^E[A-Z0-9]+: /, '')}\n`);
  process.exit(EXIT.error);
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
process.exitCode = code === EXIT.interrupted && stoppedBy ? SIGNAL_CODES[stoppedBy] : code;

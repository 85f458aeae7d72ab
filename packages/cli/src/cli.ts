import { AbortError, BackendError, GanomalyError, ModelFormatError, NotCalibratedError, UnknownNameError, VERSION, ImageError } from '@ganomaly/core';
import { CALIBRATE, EVALUATE, INFO, SCORE, calibrate, evaluate, info, score } from './commands.js';
import { CliError, EXIT, writeLine, type CliIO } from './io.js';
import { helpText, type CommandSpec } from './options.js';
import { TRAIN, train } from './train.js';
import { isSystemError, systemMessage } from './safety.js';
import { EXPORT, exportModel } from './onnx.js';

const COMMANDS: Record<string, { spec: CommandSpec; run: (argv: string[], io: CliIO) => Promise<number> }> = {
  train: { spec: TRAIN, run: train },
  score: { spec: SCORE, run: score },
  evaluate: { spec: EVALUATE, run: evaluate },
  calibrate: { spec: CALIBRATE, run: calibrate },
  info: { spec: INFO, run: info },
  export: { spec: EXPORT, run: exportModel },
};

export function mainHelp(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((k) => k.length)) + 2;
  return [
    'Usage: ganomaly <command> [options]',
    '',
    'GANomaly image anomaly detection: train on normal images only, then flag what does not look normal.',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(w)}${c.spec.brief}`),
    '',
    "Run 'ganomaly <command> --help' for a command's options.",
    '',
    'Exit codes: 0 ok; 1 output not written, or unexpected error; 2 bad command line; 3 unusable data;',
    '            4 unusable model; 5 backend not installed; 130/143/129 stopped by SIGINT/SIGTERM/SIGHUP',
    '            (training saved a checkpoint).',
    '',
  ].join('\n');
}

/** Maps an error to its exit code and one-line message (no stack traces for expected errors). */
export function exitCodeFor(e: unknown): { code: number; message: string } {
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof CliError) return { code: e.code, message };
  if (e instanceof BackendError) return { code: EXIT.backend, message };
  if (e instanceof UnknownNameError && e.kind === 'backend') return { code: EXIT.usage, message };
  if (e instanceof ModelFormatError || e instanceof NotCalibratedError) return { code: EXIT.model, message };
  if (e instanceof ImageError) return { code: EXIT.data, message };
  if (e instanceof AbortError) return { code: EXIT.interrupted, message };
  if (e instanceof GanomalyError) return { code: EXIT.usage, message };
  // The operating system refused a read or write (full disk, no permission, ...): one line, no stack.
  if (isSystemError(e)) return { code: EXIT.error, message: systemMessage(e) };
  return { code: EXIT.error, message: e instanceof Error && e.stack ? e.stack : message };
}

/** Runs one command line (without the program name); returns the exit code. Never throws. */
export async function run(argv: string[], io: CliIO): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    const sub = cmd === 'help' ? rest[0] : undefined;
    if (sub && !COMMANDS[sub]) {
      writeLine(io.stderr, `ganomaly: unknown command '${sub}'. Commands: ${Object.keys(COMMANDS).join(', ')}.`);
      return EXIT.usage;
    }
    if (sub) io.stdout.write(helpText(COMMANDS[sub]!.spec));
    else (cmd === undefined ? io.stderr : io.stdout).write(mainHelp());
    return cmd === undefined ? EXIT.usage : EXIT.ok;
  }
  if (cmd === '--version' || cmd === '-v') {
    writeLine(io.stdout, VERSION);
    return EXIT.ok;
  }
  const command = COMMANDS[cmd];
  if (!command) {
    writeLine(io.stderr, `ganomaly: unknown command '${cmd}'. Commands: ${Object.keys(COMMANDS).join(', ')}. See 'ganomaly --help'.`);
    return EXIT.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(helpText(command.spec));
    return EXIT.ok;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    const { code, message } = exitCodeFor(e);
    writeLine(io.stderr, `ganomaly ${cmd}: ${message}`);
    return code;
  }
}

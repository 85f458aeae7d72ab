// What a command needs from the outside world, so that tests can run commands in-process.

export interface Output {
  write(text: string): unknown;
  /** A terminal: progress is redrawn in place. Otherwise progress is printed as lines, sparingly. */
  isTTY?: boolean;
  columns?: number;
}

export interface CliIO {
  stdout: Output;
  stderr: Output;
  /** Relative paths are resolved against it. */
  cwd: string;
  env: Record<string, string | undefined>;
  /** Aborted on Ctrl-C: training saves a checkpoint and stops. */
  signal?: AbortSignal;
}

/**
 * Exit codes that scripts can rely on (also in `ganomaly --help` and docs/cli.md).
 */
export const EXIT = {
  ok: 0,
  /** An unexpected error: a bug, or something this list does not cover. */
  error: 1,
  /** Bad command line: unknown command or option, a value out of range, a missing argument. */
  usage: 2,
  /** The data cannot be used: missing or empty folder, no readable image, a corrupt or huge image with --strict. */
  data: 3,
  /** The model cannot be used: not a saved model, another format version, not calibrated where a threshold is needed. */
  model: 4,
  /** The requested backend is not installed or does not initialise. */
  backend: 5,
  /** Stopped by Ctrl-C (SIGINT); training saved a checkpoint first. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error with the exit code it maps to; its message is printed as one line (no stack). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: ExitCode,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usage = (message: string) => new CliError(message, EXIT.usage);
export const dataError = (message: string) => new CliError(message, EXIT.data);
export const modelError = (message: string) => new CliError(message, EXIT.model);

export function writeLine(out: Output, text = ''): void {
  out.write(`${text}\n`);
}

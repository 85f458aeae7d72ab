/**
 * @ganomaly/cli: the `ganomaly` command line (train, score, evaluate, calibrate, info), usable
 * in-process too: `run(['train', 'data/', '--out', 'model'], io)` returns the exit code.
 */
export { run, mainHelp, exitCodeFor } from './cli.js';
export { EXIT, CliError, type CliIO, type Output, type ExitCode } from './io.js';
export { ProgressBar, formatDuration } from './progress.js';
export { detectKind, loadSource, type SourceKind, type LoadedSource } from './sources.js';

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { usage } from './io.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Shown in --help: value name, e.g. 'N' or 'DIR'. */
  value?: string;
  help: string;
  /** Shown in --help. */
  default?: string;
}

export interface CommandSpec {
  name: string;
  /** One line for the command list of `ganomaly --help`. */
  brief: string;
  summary: string;
  usage: string;
  positionals: { min: number; max?: number };
  options: Record<string, OptionSpec>;
  /** Extra help text after the options. */
  notes?: string;
}

export const COMMON_OPTIONS: Record<string, OptionSpec> = {
  backend: { type: 'string', value: 'NAME', help: "auto, wasm, cpu, webgpu, node (tfjs-node), node-gpu (tfjs-node-gpu)", default: 'auto' },
  quiet: { type: 'boolean', short: 'q', help: 'No progress output (warnings and errors still go to stderr)' },
  help: { type: 'boolean', short: 'h', help: 'Show this help' },
};

export const IMAGE_OPTIONS: Record<string, OptionSpec> = {
  strict: { type: 'boolean', help: 'Stop at the first unreadable, corrupt or too large image (default: skip it with a warning)' },
  'max-pixels': { type: 'string', value: 'N', help: 'Refuse images larger than N pixels, before decoding them', default: '40000000' },
  recursive: { type: 'boolean', short: 'r', help: 'Look for images in subfolders too' },
};

export function parse(spec: CommandSpec, argv: string[]) {
  const options: ParseArgsConfig['options'] = {};
  for (const [k, o] of Object.entries(spec.options)) options[k] = { type: o.type, ...(o.short ? { short: o.short } : {}) };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    // parseArgs's messages are clear ("Unknown option '--foo'"); point at --help.
    throw usage(`${(e as Error).message.replace(/\. To specify a positional argument.*$/s, '.')} See 'ganomaly ${spec.name} --help'.`);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (!values.help) {
    const n = parsed.positionals.length;
    if (n < spec.positionals.min || (spec.positionals.max !== undefined && n > spec.positionals.max)) {
      throw usage(`${n < spec.positionals.min ? 'Missing arguments' : 'Too many arguments'}. Usage: ${spec.usage}`);
    }
  }
  return { values, positionals: parsed.positionals };
}

export function helpText(spec: CommandSpec): string {
  const rows = Object.entries(spec.options).map(([k, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${k}${o.value ? ` ${o.value}` : ''}`;
    return [flag, `${o.help}${o.default !== undefined ? ` (default ${o.default})` : ''}`] as const;
  });
  const w = Math.max(...rows.map(([f]) => f.length)) + 2;
  return [
    `Usage: ${spec.usage}`,
    '',
    spec.summary,
    '',
    'Options:',
    ...rows.map(([f, h]) => `  ${f.padEnd(w)}${h}`),
    ...(spec.notes ? ['', spec.notes] : []),
    '',
  ].join('\n');
}

/** Integer option in [min, max]; undefined when not given and no fallback. */
export function int(values: Record<string, unknown>, key: string, fallback: number | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const raw = values[key];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  // Plain decimal digits only: Number() would also take '0x1', '1e1', ' 1' or '1.0'.
  if (typeof raw !== 'string' || !/^[-+]?\d+$/.test(raw) || !Number.isInteger(v) || v < min || v > max) {
    throw usage(`--${key} must be an integer ${max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`}, got '${String(raw)}'.`);
  }
  return v;
}

export function num(values: Record<string, unknown>, key: string, fallback: number | undefined, min: number, max: number, open = false): number | undefined {
  const raw = values[key];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  const ok = typeof raw === 'string' && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw) && Number.isFinite(v) && (open ? v > min && v < max : v >= min && v <= max);
  if (!ok) throw usage(`--${key} must be a number ${open ? 'strictly ' : ''}between ${min} and ${max}, got '${String(raw)}'.`);
  return v;
}

export function choice<T extends string>(values: Record<string, unknown>, key: string, fallback: T, allowed: readonly T[]): T {
  const raw = values[key];
  if (raw === undefined) return fallback;
  if (!allowed.includes(raw as T)) throw usage(`--${key} must be one of ${allowed.join(', ')}, got '${String(raw)}'.`);
  return raw as T;
}

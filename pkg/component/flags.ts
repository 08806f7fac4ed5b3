// Kubernetes-style flags (`--name=value` or `--name value`) for every component's main.ts.
import { parseArgs } from 'node:util';
import { parseBool } from '../api/meta.js';
import { parseGoDuration } from './go-duration.js';

export interface FlagSpec { [name: string]: { type: 'string' | 'boolean'; default?: string | boolean; description: string } }

export function parseFlags<S extends FlagSpec>(component: string, spec: S, argv = process.argv.slice(2)): { [K in keyof S]: S[K]['type'] extends 'boolean' ? boolean : string } {
  const options: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  for (const [name, f] of Object.entries(spec)) options[name] = { type: f.type };
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: argv, options, allowPositionals: false, strict: true }).values;
  } catch (e) {
    process.stderr.write(`${component}: ${(e as Error).message}\n${usage(component, spec)}`);
    process.exit(2);
  }
  if (values['help']) { process.stdout.write(usage(component, spec)); process.exit(0); }
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(spec)) out[name] = values[name] ?? f.default ?? (f.type === 'boolean' ? false : '');
  return out as never;
}

function usage(component: string, spec: FlagSpec): string {
  const lines = Object.entries(spec).map(([n, f]) => `  --${n}${f.type === 'string' ? ' string' : ''}\n        ${f.description}${f.default !== undefined && f.default !== '' ? ` (default ${JSON.stringify(f.default)})` : ''}`);
  return `Usage of ${component}:\n${lines.join('\n')}\n`;
}

export function intFlag(name: string, value: string): number {
  if (!/^\d+$/.test(value)) { process.stderr.write(`invalid value "${value}" for flag --${name}\n`); process.exit(2); }
  return Number(value);
}

/** A Go duration flag (`15s`, `1m30s`, `500ms`), in milliseconds; exits 2 on a bad value, as Go's flag package does. */
export function durationFlag(name: string, value: string): number {
  const ms = parseGoDuration(value);
  if (ms === undefined || ms < 0) {
    process.stderr.write(`invalid value "${value}" for flag --${name}: time: invalid duration "${value}"\n`);
    process.exit(2);
  }
  return ms;
}

/** A boolean flag given as a string (`--leader-elect=false`), parsed like Go's ParseBool. */
export function boolFlag(name: string, value: string): boolean {
  const b = parseBool(value);
  if (b === undefined) {
    process.stderr.write(`invalid boolean value "${value}" for -${name}\n`);
    process.exit(2);
  }
  return b;
}

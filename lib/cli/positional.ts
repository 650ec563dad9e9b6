// Flags plus positional arguments (paths) for the subcommands that take them (report, predict); the
// same one-line UsageError for anything wrong as the flag-only parser.
import * as fs from 'fs';
import { parseArgs } from 'util';
import { FlagSpec, FlagValues, UsageError } from './flags';

export function parseWithPaths(argv: string[], spec: Record<string, FlagSpec>): { values: FlagValues; paths: string[] } {
  const options = Object.fromEntries(
    Object.entries(spec).map(([name, s]) => [name, s.short === undefined ? { type: s.type } : { type: s.type, short: s.short }]),
  );
  try {
    const { values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
    return { values: values as FlagValues, paths: positionals };
  } catch (e) {
    if (!String((e as { code?: string }).code).startsWith('ERR_PARSE_ARGS')) throw e;
    throw new UsageError(`${(e as Error).message.replace(/\. To specify a positional argument.*$/s, '').replace(/\s+/g, ' ')} (see --help)`);
  }
}

/** A path argument that must exist: `what` names it in the message. */
export function existing(file: string, what: string, kind: 'file' | 'folder'): string {
  if (!fs.existsSync(file)) throw new UsageError(`${what}: ${file} does not exist`);
  const isDir = fs.statSync(file).isDirectory();
  if (kind === 'file' && isDir) throw new UsageError(`${what}: ${file} is a folder, not a file`);
  if (kind === 'folder' && !isDir) throw new UsageError(`${what}: ${file} is a file, not a folder`);
  return file;
}

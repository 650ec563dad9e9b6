// How a command-line program ends on a mistake, shared by the `libtorch-node` subcommands and the
// examples/ scripts: a bad command line (UsageError) is one line and exit code 2, an error while
// running (TorchError: the message is the whole story) one line and exit code 1. Anything else is a
// bug in this library, and its stack is what a bug report needs.
import { TorchError } from '../errors';
import { UsageError } from './flags';

/** Prints the one line for a UsageError or TorchError and gives its exit code; rethrows anything else. */
export function reportError(program: string, e: unknown): number {
  if (e instanceof UsageError) {
    console.error(`${program}: ${e.message}`);
    return 2;
  }
  if (e instanceof TorchError) {
    console.error(`${program}: error: ${e.message.replace(/\s*\n\s*/g, ' ')}`);
    return 1;
  }
  throw e;
}

/**
 * Runs a script's main with process.argv's arguments and sets the exit code it resolves with; a
 * UsageError or TorchError (thrown or rejected) is one line on stderr (see reportError).
 *   cli.runMain('examples/predict.ts', async (argv) => { …; return 0; });
 */
export function runMain(program: string, main: (argv: string[]) => Promise<number> | number): void {
  const fail = (e: unknown) => {
    try {
      process.exitCode = reportError(program, e);
    } catch {
      console.error(e);
      process.exitCode = 1;
    }
  };
  try {
    Promise.resolve(main(process.argv.slice(2))).then((code) => (process.exitCode = code), fail);
  } catch (e) {
    fail(e);
  }
}

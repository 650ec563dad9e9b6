// The `libtorch-node` command line. A subcommand is one small file registered in COMMANDS.
// Exit codes: 0 done, 1 an error while running (a TorchError: one line), 2 a bad command line (one line naming
// the flag), 130 Ctrl-C. The examples/ scripts parse their flags with the same helpers (flags.ts, main.ts).
import { exportCommand } from './export';
import { launchCommand } from './launch';
import { reportError } from './main';
import { predictCommand } from './predict';
import { reportCommand } from './report';
import { reproduceCommand } from './reproduce';
import { trainCommand } from './train';

export interface Command {
  summary: string;
  /** Runs with the arguments after the subcommand's name; resolves with the exit code. */
  run(argv: string[]): Promise<number>;
}

export const COMMANDS: Record<string, Command> = {
  train: { summary: 'train ResNet-20 on CIFAR-10 (the seed recipe; --help for the flags)', run: trainCommand },
  report: { summary: 'report.html and charts for a run folder (finished or not)', run: reportCommand },
  predict: { summary: 'top CIFAR-10 classes of image files with a checkpoint, TorchScript file or .pt2 package', run: predictCommand },
  export: { summary: 'compile a checkpoint into an AOTInductor package (.pt2) with your Python\'s PyTorch (--help)', run: exportCommand },
  launch: { summary: 'run a script as N distributed ranks with torchrun\'s environment (--help)', run: launchCommand },
  reproduce: { summary: 'He et al.\'s CIFAR-10 table: ResNet-20 to 110 trained at once on one device, resumable (--help)', run: reproduceCommand },
};

export function usage(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `Usage: libtorch-node <command> [flags]\n\nCommands:\n${rows.join('\n')}\n\nlibtorch-node <command> --help lists a command's flags.`;
}

/** Runs a command line (without node and the script); resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      console.log(usage());
      return name === undefined ? 2 : 0;
    }
    const command = COMMANDS[name];
    if (!command) {
      console.error(`libtorch-node: unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(', ')})`);
      return 2;
    }
    return await command.run(rest);
  } catch (e) {
    return reportError(`libtorch-node ${name}`, e);
  }
}

export { UsageError, parseFlags, helpText, intFlag, positiveFlag, choiceFlag, stringFlag, deviceFlag } from './flags';
export type { FlagSpec, FlagValues } from './flags';
export { parseWithPaths, existing } from './positional';
export { reportError, runMain } from './main';
export { trainOptionsFromFlags, trainHelp, TRAIN_FLAGS } from './train';
export { runInWorker } from './run';

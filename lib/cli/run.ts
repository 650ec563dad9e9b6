// Runs a training in a worker thread and owns Ctrl-C in the main thread.
// Why a worker: a training step is one long native call that blocks its thread's event loop. Under
// `npx tsx` the tsx parent relays Ctrl-C and kills the child when it does not answer within 30 ms;
// under npx, npm relays it too. With the steps in a worker, the main thread answers at once, asks the
// worker to stop after its current step (last.pth keeps the last finished epoch), and quits at once on
// a second Ctrl-C.
import * as fs from 'fs';
import * as path from 'path';
import { Worker } from 'worker_threads';
import type { TrainOptions } from '../train';

export interface WorkerReply {
  type: 'done' | 'error';
  stopped?: boolean;
  interrupted?: boolean;
  message?: string;
  /** A TorchError: its message is the whole story (one line); anything else is a bug (stack shown). */
  torch?: boolean;
  stack?: string;
}

// The same Ctrl-C can arrive twice within milliseconds: from the terminal (to the whole process group)
// and relayed by npm or tsx. A second press is one that comes later than this.
const SAME_PRESS_MS = 300;

function startWorker(options: TrainOptions): Worker {
  const isTs = __filename.endsWith('.ts');
  const file = path.join(__dirname, `train_worker${isTs ? '.ts' : '.js'}`);
  const workerData = { options, progress: options.progress ?? (process.stdout.isTTY ? 'bar' : 'lines'), columns: process.stdout.columns };
  if (!isTs) return new Worker(file, { workerData });
  // Sources run by tsx (examples/train.ts): Worker does not take .ts files, so register tsx's require hook first.
  const code = `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(file)});`;
  return new Worker(code, { eval: true, workerData });
}

// Ends the process as Ctrl-C does by default, at once: with no listener left, Node gives SIGINT back to
// the system's default action. process.exit() would first stop the worker in the middle of a native
// step, which libtorch and N-API finalizers do not survive (std::terminate).
function quitBySigint(): never {
  process.removeAllListeners('SIGINT'); // ours, and tsx's relay listener
  process.kill(process.pid, 'SIGINT');
  throw new Error('unreachable: SIGINT did not end the process');
}

// Under launch or torchrun every rank gets the same Ctrl-C (the terminal's, and the launcher's); rank 0
// alone tells the user what happens, as it alone prints the training's lines.
const isLead = () => Number(process.env.RANK ?? 0) === 0;

/** Trains in a worker; resolves with the exit code (0 done, 130 stopped by Ctrl-C, 1 error). */
export function runInWorker(options: TrainOptions): Promise<number> {
  const worker = startWorker(options);
  const lead = isLead();
  let firstPress = 0;
  const onSigint = () => {
    const now = Date.now();
    if (firstPress === 0) {
      firstPress = now;
      if (lead) process.stdout.write('\n==> Ctrl-C: stopping after this step; last.pth keeps the last finished epoch (Ctrl-C again to quit at once)\n');
      worker.postMessage('stop');
    } else if (now - firstPress > SAME_PRESS_MS) {
      if (lead) fs.writeSync(1, '\n==> Ctrl-C again: quitting now; last.pth holds the last finished epoch\n');
      quitBySigint();
    }
  };
  process.on('SIGINT', onSigint);
  return new Promise<number>((resolve) => {
    let reply: WorkerReply | undefined;
    worker.on('message', (m: WorkerReply) => (reply = m));
    worker.on('error', (e) => (reply = { type: 'error', message: e.message, stack: e.stack }));
    worker.on('exit', () => {
      process.off('SIGINT', onSigint);
      const dir = options.checkpointDir ?? 'checkpoint';
      if (reply?.type === 'done') {
        if (reply.stopped && lead) console.log(`Stopped early; continue with --resume (checkpoint in ${dir}).`);
        resolve(reply.interrupted ? 130 : 0);
      } else {
        console.error(reply?.torch ? `error: ${reply.message}` : (reply?.stack ?? reply?.message ?? 'error: the training worker exited unexpectedly'));
        resolve(1);
      }
    });
  });
}

// The worker side of run.ts: trains with the options it is given and stops after the current step
// when the main thread posts 'stop'.
import { parentPort, workerData } from 'worker_threads';
import { TorchError } from '../errors';
import { trainResNet20 } from '../train';
import type { WorkerReply } from './run';

const port = parentPort!;
const stop = new AbortController();
port.on('message', (m) => {
  if (m === 'stop') stop.abort();
});
port.unref(); // the training keeps the thread alive; the port alone must not

const { options, progress, columns } = workerData;
trainResNet20({ ...options, progress, progressColumns: columns, handleSigint: false, signal: stop.signal }).then(
  (r) => {
    // The model's tensors go with the worker's exit.
    const reply: WorkerReply = { type: 'done', stopped: r.stopped, interrupted: stop.signal.aborted };
    port.postMessage(reply);
  },
  (e: Error) => {
    if (e.name === 'AbortError' && stop.signal.aborted) {
      // Our own 'stop': the run ended after the current step with last.pth at the last finished epoch.
      port.postMessage({ type: 'done', stopped: true, interrupted: true } satisfies WorkerReply);
      return;
    }
    const reply: WorkerReply = { type: 'error', message: e.message, torch: e instanceof TorchError, stack: e.stack };
    port.postMessage(reply);
  },
);

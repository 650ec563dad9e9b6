/** Ctrl-C, the caller's AbortSignal and callbacks' stop(): each ends the run after the current step. */
export class Stopper {
  requested = false;
  private readonly abort = new AbortController();
  readonly signal: AbortSignal = this.abort.signal;
  readonly stop = () => {
    this.requested = true;
    this.abort.abort();
  };
  private readonly onSigint = () => {
    if (this.requested) process.exit(130);
    this.stop();
    this.print('\n==> SIGINT: stopping after this step; last.pth holds the last finished epoch (Ctrl-C again to quit at once)');
  };

  constructor(
    private readonly print: (line: string) => void,
    private readonly handleSigint: boolean,
    private readonly callerSignal?: AbortSignal,
  ) {
    if (handleSigint) process.on('SIGINT', this.onSigint);
    callerSignal?.addEventListener('abort', this.stop, { once: true });
  }

  dispose(): void {
    if (this.handleSigint) process.off('SIGINT', this.onSigint);
    this.callerSignal?.removeEventListener('abort', this.stop);
  }
}

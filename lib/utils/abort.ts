// Cancellation as Node's own APIs do it: a long call takes `signal`, and once it is aborted the call
// stops at its next safe point and rejects with an Error named AbortError whose cause is the reason.

export function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('The operation was aborted', { cause: signal.reason }), { name: 'AbortError', code: 'ABORT_ERR' });
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

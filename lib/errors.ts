/** The error every native entry throws: libtorch's message without its C++ backtrace. */
export class TorchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TorchError';
  }
}

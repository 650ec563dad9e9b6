// Runs before every test file's tests (vitest.config.mts setupFiles). Tensor finalizers run inside garbage
// collection, so garbage left by an earlier test can be collected in the middle of a later one and change
// the live-tensor count it compares with its own baseline. Collecting before each test settles that.
import { beforeEach } from 'vitest';

const gc = (globalThis as { gc?: () => void }).gc;
beforeEach(() => gc?.());

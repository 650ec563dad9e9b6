// A process that stops in the middle of torch.save (its temporary file open and half written), says
// so on stdout, and waits there to be killed: how errors.test.ts makes a save die by SIGKILL.
import * as fs from 'fs';
import * as torch from '../../../lib';

const file = process.argv[2];
const stall = {
  // Pickling reads this getter after the temporary file has been created.
  get during(): number {
    fs.writeSync(1, 'saving\n');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
    return 0;
  },
};
torch.save({ w: torch.ones([1000]), stall }, file);

// Event files: TFRecord framing (length, masked CRC32C of the length, data, masked CRC32C of the data)
// around serialized Event messages, named events.out.tfevents.<time>.<host>.<pid>.<uid> as
// tensorboard.summary.writer.event_file_writer names them.
import { TorchError } from '../../errors';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { maskedCrc32c } from './crc32c';
import { ProtoWriter } from './proto';

export function frameRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(data.length + 16);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return out;
}

/** Event: wall_time 1 (double), step 2 (int64), file_version 3, summary 5. */
export function encodeEvent(e: { wallTime: number; step?: number; fileVersion?: string; summary?: Uint8Array }): Uint8Array {
  return new ProtoWriter()
    .double(1, e.wallTime)
    .int(2, e.step === undefined ? undefined : BigInt(Math.trunc(e.step)))
    .string(3, e.fileVersion)
    .message(5, e.summary, true)
    .finish();
}

let globalUid = 0;

/**
 * Appends records to one event file. Records queue in memory and are written by flush() (every
 * `maxQueue` events, every `flushSecs`, and on close) with one write each, so a process killed between
 * writes leaves whole records (TensorBoard's reader stops cleanly at a truncated last one).
 */
export class EventFileWriter {
  readonly logDir: string;
  readonly fileName: string;
  private fd: number | null;
  private queue: Buffer[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(logDir: string, private readonly maxQueue = 10, flushSecs = 120, filenameSuffix = '') {
    this.logDir = logDir;
    fs.mkdirSync(logDir, { recursive: true });
    const stamp = String(Math.floor(Date.now() / 1000)).padStart(10, '0');
    this.fileName = path.join(logDir, `events.out.tfevents.${stamp}.${os.hostname()}.${process.pid}.${globalUid++}${filenameSuffix}`);
    this.fd = fs.openSync(this.fileName, 'a');
    this.addEvent(encodeEvent({ wallTime: Date.now() / 1000, fileVersion: 'brain.Event:2' }));
    this.flush();
    if (flushSecs > 0) {
      this.timer = setInterval(() => this.flush(), flushSecs * 1000);
      this.timer.unref(); // a pending flush never keeps the process alive; close() flushes
    }
  }

  addEvent(event: Uint8Array): void {
    if (this.fd === null) throw new TorchError(`SummaryWriter: ${this.fileName} is closed`);
    this.queue.push(frameRecord(event));
    if (this.queue.length >= this.maxQueue) this.flush();
  }

  flush(): void {
    if (this.fd === null || this.queue.length === 0) return;
    const data = Buffer.concat(this.queue);
    this.queue = [];
    let at = 0;
    while (at < data.length) at += fs.writeSync(this.fd, data, at);
  }

  close(): void {
    if (this.fd === null) return;
    this.flush();
    if (this.timer) clearInterval(this.timer);
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.fd = null;
  }
}

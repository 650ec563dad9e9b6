// An HTTP inference server: POST /predict with a PNG or JPEG body answers the top-5 CIFAR-10 classes.
// Concurrent requests are batched: the first waits up to --max-delay ms for others, up to --max-batch
// images go through the model in one forwardAsync, on the libuv pool, so the event loop keeps
// accepting and decoding requests while a batch runs.
//   npx tsx examples/serve.ts checkpoint/ckpt.pth --port 8080   (or a TorchScript file, or a .pt2 package)
//   curl --data-binary @cat.png http://127.0.0.1:8080/predict
import * as http from 'http';
import type { AddressInfo } from 'net';
import { cli, train, vision, type Tensor } from '../lib';

export interface ServerOptions {
  checkpoint: string;
  port?: number;
  host?: string;
  device?: string;
  /** Largest batch per forward (default 32). */
  maxBatch?: number;
  /** How long the first request of a batch waits for more (default 5 ms). */
  maxDelayMs?: number;
  /** Largest accepted upload (default 8 MiB). */
  maxBytes?: number;
  topk?: number;
}

export interface PredictServer {
  server: http.Server;
  url: string;
  /** Batches run and images classified so far. */
  stats: { batches: number; images: number };
  close(): Promise<void>;
}

interface Pending {
  image: Tensor;
  resolve: (top: train.ClassScore[]) => void;
  reject: (e: Error) => void;
}

class Batcher {
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  readonly stats = { batches: 0, images: 0 };

  constructor(
    private readonly model: train.Classifier,
    private readonly options: Required<Pick<ServerOptions, 'maxBatch' | 'maxDelayMs' | 'topk' | 'device'>>,
  ) {}

  add(image: Tensor): Promise<train.ClassScore[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ image, resolve, reject });
      if (this.queue.length >= this.options.maxBatch) this.flush();
      else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.options.maxDelayMs);
    });
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      this.stats.batches++;
      this.stats.images += batch.length;
      train
        .classify(this.model, batch.map((p) => p.image), { topk: this.options.topk, device: this.options.device })
        .then((tops) => batch.forEach((p, i) => p.resolve(tops[i])))
        .catch((e: Error) => batch.forEach((p) => p.reject(e)))
        .finally(() => batch.forEach((p) => p.image.dispose()));
    }
  }
}

function readBody(req: http.IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) {
        reject(Object.assign(new Error(`the upload is over ${maxBytes} bytes`), { status: 413 }));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function startServer(options: ServerOptions): Promise<PredictServer> {
  const device = options.device ?? 'cpu';
  const model = train.loadClassifier(options.checkpoint, { device });
  const batcher = new Batcher(model, {
    maxBatch: options.maxBatch ?? 32,
    maxDelayMs: options.maxDelayMs ?? 5,
    topk: options.topk ?? 5,
    device,
  });
  const maxBytes = options.maxBytes ?? 8 << 20;

  const server = http.createServer(async (req, res) => {
    try {
      if (req.url === '/health') return send(res, 200, { ok: true });
      if (req.url !== '/predict') return send(res, 404, { error: `no route ${req.url}` });
      if (req.method !== 'POST') return send(res, 405, { error: 'POST an image to /predict' });
      const body = await readBody(req, maxBytes);
      let image: Tensor;
      try {
        image = vision.decodeImage(body, { channels: 3 });
      } catch (e) {
        return send(res, 400, { error: (e as Error).message.replace('buffer', 'the upload') });
      }
      send(res, 200, { top: await batcher.add(image) });
    } catch (e) {
      const status = (e as { status?: number }).status ?? 500;
      if (!res.headersSent) send(res, status, { error: e instanceof Error ? e.message : String(e) });
    }
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 8080, options.host ?? '127.0.0.1', resolve));
  const { address, port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://${address}:${port}`,
    stats: batcher.stats,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const FLAGS: Record<string, cli.FlagSpec> = {
  port: { type: 'string', value: 'N', help: 'the port to listen on (8080; 0: any free port)' },
  host: { type: 'string', value: 'H', help: 'the address to listen on (127.0.0.1)' },
  device: { type: 'string', value: 'D', help: 'cpu | cuda | cuda:N (cpu)' },
  'max-batch': { type: 'string', value: 'N', help: 'largest batch per forward (32)' },
  'max-delay': { type: 'string', value: 'MS', help: 'how long the first request of a batch waits for more (5)' },
  help: { type: 'boolean', short: 'h', help: 'this text' },
};

// The flags are parsed and checked with the CLI's helpers: a bad one is one line and exit code 2.
async function main(argv: string[]): Promise<number> {
  const { values, paths } = cli.parseWithPaths(argv, FLAGS);
  if (values.help === true) {
    console.log(cli.helpText('Usage: npx tsx examples/serve.ts <checkpoint> [flags]', FLAGS));
    return 0;
  }
  const options = {
    port: cli.intFlag(values, 'port', 0, 65535) ?? 8080,
    host: cli.stringFlag(values, 'host') ?? '127.0.0.1',
    device: cli.deviceFlag(values, 'device') ?? 'cpu',
    maxBatch: cli.intFlag(values, 'max-batch', 1) ?? 32,
    maxDelayMs: cli.intFlag(values, 'max-delay', 0) ?? 5,
  };
  if (paths.length !== 1) throw new cli.UsageError(`expected one checkpoint, got ${paths.length} arguments (see --help)`);
  const s = await startServer({ checkpoint: cli.existing(paths[0], 'checkpoint', 'file'), ...options });
  console.log(`listening on ${s.url} (POST /predict with a PNG or JPEG body)`);
  return new Promise<number>(() => {}); // serves until stopped
}

if (require.main === module) cli.runMain('examples/serve.ts', main);

import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';

/**
 * How the receiver answers one request.
 * - `status` (default 200; 200 stores the events and answers `{ accepted, duplicates }`)
 * - `retryAfter`: the Retry-After header to send
 * - `delayMs`: wait before answering
 * - `drop`: destroy the connection without answering
 * - `location`: the Location header to send (a redirect)
 * - `body`: the JSON body of a non-200 answer (default `{ error: 'HTTP <status>' }`)
 */
export interface Behaviour {
  status?: number;
  retryAfter?: string;
  delayMs?: number;
  drop?: boolean;
  location?: string;
  body?: Record<string, unknown>;
}

/** One request as it arrived. */
export interface ReceivedRequest {
  at: number;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The bytes on the wire (compressed when gzip was used). */
  raw: Buffer;
  /** The JSON text after gunzip. */
  text: string;
  /** The events, when the body parsed; 200 answers only. */
  events: Record<string, unknown>[];
  status: number;
}

/**
 * A real HTTP receiver on 127.0.0.1 that speaks the dashboard's ingest protocol and
 * can misbehave on cue: answers are taken from a script, then from `fallback`.
 * Stored events are de-duplicated by `event_id`, like the real server.
 */
export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  /** event_id → how many times a 200 answer carried it. */
  readonly deliveries = new Map<string, number>();
  /**
   * Validation like the dashboard's: an event for which this returns a field name makes the
   * whole batch a 400 naming `events[i].<field>` (or naming nothing when `nameField` is off).
   */
  refuse?: (event: Record<string, unknown>) => string | undefined;
  nameField = true;
  /**
   * The status a batch holding a refused event gets: 400 (default) or 422 name the event
   * like the dashboard; a 5xx plays a server that fails on that event every time.
   */
  refuseStatus = 400;
  /** Events stored, in arrival order, first copy only. */
  readonly stored: Record<string, unknown>[] = [];
  fallback: Behaviour = {};
  /** Bodies larger than this (bytes on the wire) get 413. */
  maxBodyBytes = 1024 * 1024;
  /** Batches with more events get 400 `batch_too_large`, as the dashboard answers. */
  maxBatchEvents = 1000;
  private script: Behaviour[] = [];
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  /** Delayed answers still pending; cleared by stop(). */
  private readonly timers = new Set<NodeJS.Timeout>();
  private port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Listens (again, on the same port after a stop). */
  async start(): Promise<this> {
    const server = createServer((req, res) => {
      const behaviour = this.script.shift() ?? this.fallback;
      if (behaviour.drop) {
        req.socket.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const answer = () => this.answer(req.method ?? '', req.url ?? '', req.headers, raw, behaviour, res);
        if (!behaviour.delayMs) return answer();
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          answer();
        }, behaviour.delayMs);
        this.timers.add(timer);
      });
    });
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Stops listening and cuts every connection: clients now see ECONNREFUSED. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The next requests get these answers, in order. */
  respond(...behaviours: Behaviour[]): void {
    this.script.push(...behaviours);
  }

  /** Every event_id stored, in arrival order. */
  ids(): string[] {
    return this.stored.map((e) => String(e.event_id));
  }

  /** Waits until `predicate` holds, polling; throws with `what` after `timeoutMs`. */
  async waitFor(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private answer(
    method: string,
    url: string,
    headers: IncomingHttpHeaders,
    raw: Buffer,
    behaviour: Behaviour,
    res: ServerResponse,
  ): void {
    let status = behaviour.status ?? 200;
    const text =
      headers['content-encoding'] === 'gzip' ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
    if (status === 200 && raw.length > this.maxBodyBytes) status = 413;
    const request: ReceivedRequest = { at: Date.now(), method, url, headers, raw, text, events: [], status };
    this.requests.push(request);
    if (behaviour.retryAfter !== undefined) res.setHeader('Retry-After', behaviour.retryAfter);
    if (behaviour.location !== undefined) res.setHeader('Location', behaviour.location);
    res.setHeader('Content-Type', 'application/json');
    if (status !== 200) {
      res.statusCode = status;
      res.end(JSON.stringify(behaviour.body ?? { error: `HTTP ${status}` }));
      return;
    }
    const events = JSON.parse(text) as Record<string, unknown>[];
    if (events.length > this.maxBatchEvents) {
      request.status = res.statusCode = 400;
      res.end(JSON.stringify({ error: 'batch_too_large', message: `at most ${this.maxBatchEvents} events` }));
      return;
    }
    const bad = this.refuse ? events.findIndex((e) => this.refuse!(e) !== undefined) : -1;
    if (bad >= 0 && this.refuseStatus >= 500) {
      request.status = res.statusCode = this.refuseStatus;
      res.end(JSON.stringify({ error: 'internal_error' }));
      return;
    }
    if (bad >= 0) {
      const field = `events[${bad}].${this.refuse!(events[bad])}`;
      request.status = res.statusCode = this.refuseStatus;
      res.end(
        JSON.stringify({
          error: 'invalid_body',
          message: `${field} is invalid.`,
          ...(this.nameField ? { field } : {}),
        }),
      );
      return;
    }
    request.events = events;
    let duplicates = 0;
    for (const e of events) {
      const id = String(e.event_id);
      const seen = this.deliveries.get(id) ?? 0;
      if (seen) duplicates++;
      else this.stored.push(e);
      this.deliveries.set(id, seen + 1);
    }
    res.end(JSON.stringify({ accepted: events.length - duplicates, duplicates }));
  }
}

/** Starts a receiver; remember to `stop()` it. */
export function startReceiver(): Promise<Receiver> {
  return new Receiver().start();
}

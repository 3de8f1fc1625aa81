import { createHmac } from 'node:crypto';
// fs.promises is read at each call (not imported from node:fs/promises), so importing
// the package loads no promise API until a spool exists.
import { promises as fsp, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpoolDirError } from './errors';
import { ensurePrivateDir } from './private-dir';

/**
 * Spool files: `<takenAt ms>-<pid>-<seq>-<count>-<tag>.jsonl`, so names sort oldest first;
 * `tag` says which configuration wrote it (see {@link spoolTag}).
 */
const FILE_PATTERN = /^(\d{13})-(\d+)-(\d{9})-(\d+)-([0-9a-f]{16})\.jsonl$/;
const TMP_PATTERN = /^\.(\d+)-.*\.tmp$/;

/**
 * The mark a configuration puts in the names of its spool files: an HMAC of the endpoint
 * keyed by the API key. Only files with this configuration's mark are replayed, so a file
 * written for another key or endpoint, or planted by someone without the key, is never
 * sent with this key. It reveals nothing about the key.
 *
 * @example
 * ```ts
 * spoolTag('http://127.0.0.1:4319', 'as_live_…'); // e.g. '3f9a0c1d2e4b5a69'
 * ```
 */
export function spoolTag(endpoint: string, apiKey: string): string {
  return createHmac('sha256', apiKey).update(`agentsudo spool\n${endpoint}`).digest('hex').slice(0, 16);
}

/**
 * One spool file: a chunk of wire events, one JSON object per line.
 *
 * @example
 * ```ts
 * const file: SpoolFile = { name: '1795000000000-4242-000000001-500-3f9a0c1d2e4b5a69.jsonl', count: 500, bytes: 210_000 };
 * ```
 */
export interface SpoolFile {
  readonly name: string;
  readonly count: number;
  readonly bytes: number;
}

/**
 * Result of a spool write: `ok`, `full` (over `maxBytes`), `error` (the disk refused) or
 * `refused` (the folder is not private, see {@link Spool.refusal}).
 *
 * @example
 * ```ts
 * if ((await spool.write(text, count, Date.now())) !== 'ok') counters.drop('spool_full', count);
 * ```
 */
export type SpoolWriteResult = 'ok' | 'full' | 'error' | 'refused';

/**
 * The offline store: events the dashboard has not taken yet, as JSON Lines files in one
 * folder. Each file is written whole (temp file, then rename), so a crash never leaves a
 * half-written file for the next process. Files are replayed oldest first; one is deleted
 * only after all its events were accepted, so a crash mid-replay sends some events again,
 * which the server recognises by `event_id`.
 *
 * The folder must be private to this user (see {@link ensurePrivateDir}); otherwise the
 * spool is refused and nothing is read from it or written to it. Files are `0600`, and
 * only files carrying this configuration's {@link spoolTag} are replayed.
 *
 * @example
 * ```ts
 * const spool = new Spool('/var/lib/myapp/agentsudo', 64 * 1024 * 1024, spoolTag(endpoint, apiKey));
 * await spool.scan();
 * await spool.write('{"event_id":"…"}\n', 1, Date.now());
 * const head = spool.head(); // oldest file, or undefined
 * ```
 */
export class Spool {
  private files: SpoolFile[] = [];
  private bytes = 0;
  private seq = 0;
  private checked: 'no' | 'ok' | SpoolDirError = 'no';

  constructor(
    readonly dir: string,
    readonly maxBytes: number,
    /** This configuration's mark (see {@link spoolTag}). */
    readonly tag: string,
    /** The first folder to check for privacy: `dir` or one above it that AgentSudo made. */
    private readonly privateFrom: string = dir,
  ) {}

  /** Why the folder is not used, once it was found not private; undefined otherwise. */
  get refusal(): SpoolDirError | undefined {
    return this.checked instanceof SpoolDirError ? this.checked : undefined;
  }

  /** Events in the files this spool knows of. */
  get pendingEvents(): number {
    let n = 0;
    for (const f of this.files) n += f.count;
    return n;
  }

  /** The oldest file, or undefined when the spool is empty. */
  head(): SpoolFile | undefined {
    return this.files[0];
  }

  /**
   * Creates the folder, checks it is private, and lists what an earlier process of this
   * configuration left. Temp files of processes that are gone are half-written and removed.
   *
   * @throws SpoolDirError when the folder is not private (then the spool stays unused).
   */
  async scan(): Promise<void> {
    const refusal = this.check();
    if (refusal) throw refusal;
    const found: SpoolFile[] = [];
    for (const name of await fsp.readdir(this.dir)) {
      const m = FILE_PATTERN.exec(name);
      if (m) {
        if (m[5] !== this.tag) continue; // another configuration's file (or a forged one)
        const size = await fsp.stat(join(this.dir, name)).then(
          (s) => s.size,
          () => -1,
        );
        if (size >= 0 && !this.files.some((f) => f.name === name)) {
          found.push({ name, count: Number(m[4]), bytes: size });
        }
        continue;
      }
      const tmp = TMP_PATTERN.exec(name);
      if (tmp && !isAlive(Number(tmp[1]))) await fsp.unlink(join(this.dir, name)).catch(() => undefined);
    }
    for (const f of found) this.add(f);
  }

  /**
   * Writes one chunk (`count` events as JSON Lines) as a new file named for `takenAt`
   * (when it left the memory queue).
   */
  async write(data: string, count: number, takenAt: number): Promise<SpoolWriteResult> {
    if (this.check()) return 'refused';
    const size = Buffer.byteLength(data);
    if (this.bytes + size > this.maxBytes) return 'full';
    const name = this.nextName(takenAt, count);
    const tmp = join(this.dir, `.${process.pid}-${name}.tmp`);
    this.bytes += size; // reserved now so concurrent writes respect the bound
    try {
      // 'wx': never through a link or into a file someone else made.
      await fsp.writeFile(tmp, data, { mode: 0o600, flag: 'wx' });
      await fsp.rename(tmp, join(this.dir, name));
    } catch {
      this.bytes -= size;
      await fsp.unlink(tmp).catch(() => undefined);
      return 'error';
    }
    this.bytes -= size;
    this.add({ name, count, bytes: size });
    return 'ok';
  }

  /** The same as {@link write}, synchronously: for the process `exit` event, where nothing async runs. */
  writeSync(data: string, count: number, takenAt: number): SpoolWriteResult {
    if (this.check()) return 'refused';
    const size = Buffer.byteLength(data);
    if (this.bytes + size > this.maxBytes) return 'full';
    const name = this.nextName(takenAt, count);
    const tmp = join(this.dir, `.${process.pid}-${name}.tmp`);
    try {
      writeFileSync(tmp, data, { mode: 0o600, flag: 'wx' });
      renameSync(tmp, join(this.dir, name));
    } catch {
      return 'error';
    }
    this.add({ name, count, bytes: size });
    return 'ok';
  }

  /**
   * Reads a file's events. Lines that are not JSON objects (a damaged file) are left out
   * and counted in `corrupt`. A file another process already replayed reads as empty.
   */
  async read(file: SpoolFile): Promise<{ items: object[]; corrupt: number }> {
    let text: string;
    try {
      text = await fsp.readFile(join(this.dir, file.name), 'utf8');
    } catch {
      return { items: [], corrupt: 0 };
    }
    const items: object[] = [];
    let corrupt = 0;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const item = parseObject(line);
      if (item) items.push(item);
      else corrupt++;
    }
    return { items, corrupt };
  }

  /** Deletes a file whose events were all accepted (or forgets it if already gone). */
  async remove(file: SpoolFile): Promise<void> {
    const i = this.files.indexOf(file);
    if (i >= 0) {
      this.files.splice(i, 1);
      this.bytes -= file.bytes;
    }
    await fsp.unlink(join(this.dir, file.name)).catch(() => undefined);
  }

  /** Checks the folder once (creating it); the refusal is remembered, never retried. */
  private check(): SpoolDirError | undefined {
    if (this.checked === 'no') {
      try {
        ensurePrivateDir(this.dir, this.privateFrom);
        this.checked = 'ok';
      } catch (err) {
        this.checked =
          err instanceof SpoolDirError
            ? err
            : new SpoolDirError(this.dir, 'io', String(err), 'check the folder');
      }
    }
    return this.refusal;
  }

  private nextName(takenAt: number, count: number): string {
    this.seq = (this.seq + 1) % 1e9;
    const seq = String(this.seq).padStart(9, '0');
    return `${String(takenAt).padStart(13, '0')}-${process.pid}-${seq}-${count}-${this.tag}.jsonl`;
  }

  /** Keeps `files` sorted by name, i.e. by the time events left memory. */
  private add(file: SpoolFile): void {
    this.bytes += file.bytes;
    let i = this.files.length;
    while (i > 0 && this.files[i - 1].name > file.name) i--;
    this.files.splice(i, 0, file);
  }
}

function parseObject(line: string): object | undefined {
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

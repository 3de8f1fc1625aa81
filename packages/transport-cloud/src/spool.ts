import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Spool files: `<takenAt ms>-<pid>-<seq>-<count>.jsonl`, so names sort oldest first. */
const FILE_PATTERN = /^(\d{13})-(\d+)-(\d{9})-(\d+)\.jsonl$/;
const TMP_PATTERN = /^\.(\d+)-.*\.tmp$/;

/**
 * One spool file: a chunk of wire events, one JSON object per line.
 *
 * @example
 * ```ts
 * const file: SpoolFile = { name: '1795000000000-4242-000000001-500.jsonl', count: 500, bytes: 210_000 };
 * ```
 */
export interface SpoolFile {
  readonly name: string;
  readonly count: number;
  readonly bytes: number;
}

/**
 * Result of a spool write: `ok`, `full` (over `maxBytes`) or `error` (the disk refused).
 *
 * @example
 * ```ts
 * if ((await spool.write(items, Date.now())) !== 'ok') counters.drop('spool_full', items.length);
 * ```
 */
export type SpoolWriteResult = 'ok' | 'full' | 'error';

/**
 * The offline store: events the dashboard has not taken yet, as JSON Lines files in one
 * folder. Each file is written whole (temp file, then rename), so a crash never leaves a
 * half-written file for the next process. Files are replayed oldest first; one is deleted
 * only after all its events were accepted, so a crash mid-replay sends some events again,
 * which the server recognises by `event_id`.
 *
 * @example
 * ```ts
 * const spool = new Spool('/var/lib/myapp/agentsudo', 64 * 1024 * 1024);
 * await spool.scan();
 * await spool.write([toWire(event)], Date.now());
 * const head = spool.head(); // oldest file, or undefined
 * ```
 */
export class Spool {
  private files: SpoolFile[] = [];
  private bytes = 0;
  private seq = 0;
  private ready = false;

  constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {}

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
   * Creates the folder and lists what an earlier process left. Temp files of processes
   * that are gone are half-written and removed.
   */
  async scan(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    this.ready = true;
    const found: SpoolFile[] = [];
    for (const name of await readdir(this.dir)) {
      const m = FILE_PATTERN.exec(name);
      if (m) {
        const size = await stat(join(this.dir, name)).then(
          (s) => s.size,
          () => -1,
        );
        if (size >= 0 && !this.files.some((f) => f.name === name)) {
          found.push({ name, count: Number(m[4]), bytes: size });
        }
        continue;
      }
      const tmp = TMP_PATTERN.exec(name);
      if (tmp && !isAlive(Number(tmp[1]))) await unlink(join(this.dir, name)).catch(() => undefined);
    }
    for (const f of found) this.add(f);
  }

  /** Writes one chunk as a new file named for `takenAt` (when it left the memory queue). */
  async write(items: readonly object[], takenAt: number): Promise<SpoolWriteResult> {
    const data = toJsonLines(items);
    const size = Buffer.byteLength(data);
    if (this.bytes + size > this.maxBytes) return 'full';
    const name = this.nextName(takenAt, items.length);
    const tmp = join(this.dir, `.${process.pid}-${name}.tmp`);
    this.bytes += size; // reserved now so concurrent writes respect the bound
    try {
      if (!this.ready) {
        await mkdir(this.dir, { recursive: true });
        this.ready = true;
      }
      await writeFile(tmp, data, { mode: 0o600 });
      await rename(tmp, join(this.dir, name));
    } catch {
      this.bytes -= size;
      await unlink(tmp).catch(() => undefined);
      return 'error';
    }
    this.bytes -= size;
    this.add({ name, count: items.length, bytes: size });
    return 'ok';
  }

  /** The same as {@link write}, synchronously: for the process `exit` event, where nothing async runs. */
  writeSync(items: readonly object[], takenAt: number): SpoolWriteResult {
    const data = toJsonLines(items);
    const size = Buffer.byteLength(data);
    if (this.bytes + size > this.maxBytes) return 'full';
    const name = this.nextName(takenAt, items.length);
    const tmp = join(this.dir, `.${process.pid}-${name}.tmp`);
    try {
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(tmp, data, { mode: 0o600 });
      renameSync(tmp, join(this.dir, name));
    } catch {
      return 'error';
    }
    this.add({ name, count: items.length, bytes: size });
    return 'ok';
  }

  /**
   * Reads a file's events. Lines that are not JSON objects (a damaged file) are left out
   * and counted in `corrupt`. A file another process already replayed reads as empty.
   */
  async read(file: SpoolFile): Promise<{ items: object[]; corrupt: number }> {
    let text: string;
    try {
      text = await readFile(join(this.dir, file.name), 'utf8');
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
    await unlink(join(this.dir, file.name)).catch(() => undefined);
  }

  private nextName(takenAt: number, count: number): string {
    this.seq = (this.seq + 1) % 1e9;
    return `${String(takenAt).padStart(13, '0')}-${process.pid}-${String(this.seq).padStart(9, '0')}-${count}.jsonl`;
  }

  /** Keeps `files` sorted by name, i.e. by the time events left memory. */
  private add(file: SpoolFile): void {
    this.bytes += file.bytes;
    let i = this.files.length;
    while (i > 0 && this.files[i - 1].name > file.name) i--;
    this.files.splice(i, 0, file);
  }
}

function toJsonLines(items: readonly object[]): string {
  let data = '';
  for (const item of items) data += JSON.stringify(item) + '\n';
  return data;
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

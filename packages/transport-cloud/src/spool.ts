import { createHmac, timingSafeEqual } from 'node:crypto';
// fs.promises is read at each call (not imported from node:fs/promises), so importing
// the package loads no promise API until a spool exists.
import { constants, promises as fsp, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SpoolDirError } from './errors';
import {
  ensurePrivateDir,
  UnsafeFolderError,
  type FolderIdentity,
  type FolderProblem,
} from '@agentsudo/private-files';

/**
 * Spool files: `<takenAt ms>-<pid>-<seq>-<count>-<tag>.jsonl`, so names sort oldest first;
 * `tag` says which configuration wrote it (see {@link SpoolMark}). A `.held` file holds an
 * event set aside after the server kept failing on it (`takenAt` is then when it first failed).
 */
const FILE_PATTERN = /^(\d{13})-(\d+)-(\d{9})-(\d+)-([0-9a-f]{16})\.(jsonl|held)$/;
const TMP_PATTERN = /^\.(\d+)-.*\.tmp$/;
/** The first line of every spool file: `#agentsudo-spool 1 <tries> <last try ms> <mac>`. */
const HEADER_PATTERN = /^#agentsudo-spool 1 (\d{1,9}) (\d{1,15}) ([0-9a-f]{64})\n/;
/** Opens a spool file for reading: never through a link, never blocking on a planted FIFO. */
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * How a configuration (endpoint and API key) marks its spool files: a `tag` in the name,
 * an HMAC of the endpoint keyed by the API key, tells its files from those of other
 * configurations sharing the folder; and a `seal`, an HMAC of the file's content keyed by
 * the API key, in its first line. The tag is no secret (anyone who can list the folder
 * sees it); the seal is what makes a file trusted: a file whose content was written or
 * changed by anyone without the key fails it and is never replayed with this key.
 *
 * @example
 * ```ts
 * const mark = new SpoolMark('http://127.0.0.1:4319', 'as_live_…');
 * mark.tag; // e.g. '3f9a0c1d2e4b5a69'
 * const text = mark.seal('{"event_id":"…"}\n', 'jsonl', 0, 0);
 * mark.open(text, 'jsonl')?.body; // '{"event_id":"…"}\n'
 * ```
 */
export class SpoolMark {
  readonly tag: string;

  constructor(
    private readonly endpoint: string,
    private readonly apiKey: string,
  ) {
    this.tag = createHmac('sha256', apiKey).update(`agentsudo spool\n${endpoint}`).digest('hex').slice(0, 16);
  }

  /** The file's text: a header line with the tries, the last try and the seal, then `body`. */
  seal(body: string, kind: SpoolKind, tries: number, lastTry: number): string {
    return `#agentsudo-spool 1 ${tries} ${lastTry} ${this.mac(body, kind, tries, lastTry)}\n${body}`;
  }

  /** The body and header fields of a sealed text, or undefined when the seal does not match. */
  open(text: string, kind: SpoolKind): { body: string; tries: number; lastTry: number } | undefined {
    const m = HEADER_PATTERN.exec(text);
    if (!m) return undefined;
    const body = text.slice(m[0].length);
    const tries = Number(m[1]);
    const lastTry = Number(m[2]);
    const want = Buffer.from(this.mac(body, kind, tries, lastTry), 'hex');
    const got = Buffer.from(m[3], 'hex');
    return timingSafeEqual(want, got) ? { body, tries, lastTry } : undefined;
  }

  private mac(body: string, kind: SpoolKind, tries: number, lastTry: number): string {
    return createHmac('sha256', this.apiKey)
      .update(`agentsudo spool file 1\n${this.endpoint}\n${kind} ${tries} ${lastTry}\n`)
      .update(body)
      .digest('hex');
  }
}

/**
 * A spool file's kind: `jsonl`, events waiting their turn (oldest first), or `held`, an
 * event set aside because the server kept failing on it, retried now and then.
 *
 * @example
 * ```ts
 * const kind: SpoolKind = 'held';
 * ```
 */
export type SpoolKind = 'jsonl' | 'held';

/**
 * One spool file: a chunk of wire events, one JSON object per line, after its header line.
 * A `held` file also says how often its event was retried (`tries`) and when (`lastTry`).
 *
 * @example
 * ```ts
 * const file: SpoolFile = { name: '1795000000000-4242-000000001-500-3f9a0c1d2e4b5a69.jsonl', kind: 'jsonl', count: 500, bytes: 210_000, tries: 0, lastTry: 0 };
 * ```
 */
export interface SpoolFile {
  readonly name: string;
  readonly kind: SpoolKind;
  readonly count: number;
  readonly bytes: number;
  tries: number;
  lastTry: number;
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
 * What reading a spool file gave: its events, the damaged lines left out (`corrupt`), and
 * `untrusted` when the file failed its checks (not a private regular file of this user, or
 * a seal that does not match): then nothing of it is used.
 *
 * @example
 * ```ts
 * const { items, corrupt, untrusted } = await spool.read(file);
 * ```
 */
export interface SpoolRead {
  items: object[];
  corrupt: number;
  untrusted: boolean;
}

/**
 * The offline store: events the dashboard has not taken yet, as JSON Lines files in one
 * folder. Each file is written whole (temp file, then rename), so a crash never leaves a
 * half-written file for the next process. Files are replayed oldest first; one is deleted
 * only after all its events were accepted, so a crash mid-replay sends some events again,
 * which the server recognises by `event_id`.
 *
 * The folder must be private to this user, and so must every folder above it be closed to
 * other accounts (see {@link ensurePrivateDir}); this is checked again before every scan and
 * write, and a folder that disappeared is made again. Otherwise the spool is refused and
 * nothing is read from it or written to it. Files are `0600`; a file is read only when it
 * is a regular file of this user, private, with one name, and its seal (see
 * {@link SpoolMark}) matches.
 *
 * @example
 * ```ts
 * const spool = new Spool('/var/lib/myapp/agentsudo', 64 * 1024 * 1024, new SpoolMark(endpoint, apiKey));
 * await spool.scan();
 * await spool.write('{"event_id":"…"}\n', 1, Date.now());
 * const head = spool.head(); // oldest file, or undefined
 * ```
 */
export class Spool {
  private files: SpoolFile[] = [];
  private bytes = 0;
  private seq = 0;
  private refused: SpoolDirError | undefined;
  private identity: FolderIdentity | undefined;
  /** Files found untrusted: never read again by this process. */
  private readonly untrusted = new Set<string>();

  constructor(
    readonly dir: string,
    readonly maxBytes: number,
    /** This configuration's mark (see {@link SpoolMark}). */
    readonly mark: SpoolMark,
    /** The first folder that must be private: `dir` or one above it that AgentSudo made. */
    private readonly privateFrom: string = dir,
  ) {}

  /** Why the folder is not used, when it was last found not private; undefined otherwise. */
  get refusal(): SpoolDirError | undefined {
    return this.refused;
  }

  /** Events in the files this spool knows of. */
  get pendingEvents(): number {
    let n = 0;
    for (const f of this.files) n += f.count;
    return n;
  }

  /** The oldest file waiting its turn, or undefined when there is none (held files wait apart). */
  head(): SpoolFile | undefined {
    return this.files.find((f) => f.kind === 'jsonl');
  }

  /** A held file whose next try is due (its last try `retryMs` ago or more), oldest first. */
  dueHeld(now: number, retryMs: number): SpoolFile | undefined {
    return this.files.find((f) => f.kind === 'held' && now - f.lastTry >= retryMs);
  }

  /** Files of this configuration found untrusted (see {@link read}), never read again. */
  get untrustedFiles(): readonly string[] {
    return [...this.untrusted];
  }

  /** True while some event is held (see {@link dueHeld}). */
  get holding(): boolean {
    return this.files.some((f) => f.kind === 'held');
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
        if (m[5] !== this.mark.tag || this.untrusted.has(name)) continue; // another configuration's file
        if (this.files.some((f) => f.name === name)) continue;
        const kind = m[6] as SpoolKind;
        const file: SpoolFile = { name, kind, count: Number(m[4]), bytes: 0, tries: 0, lastTry: 0 };
        const opened = await this.openTrusted(file);
        if (!opened) continue;
        found.push({ ...file, bytes: opened.bytes, tries: opened.tries, lastTry: opened.lastTry });
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
    return this.writeFile(data, count, takenAt, 'jsonl', 0, 0);
  }

  /**
   * Sets one event (`data`, one line) aside in a held file: `since` is when it first
   * failed, `tries` and `lastTry` how often and when it was retried.
   */
  async hold(data: string, since: number, tries: number, lastTry: number): Promise<SpoolWriteResult> {
    return this.writeFile(data, 1, since, 'held', tries, lastTry);
  }

  /** Records another try of a held event: its file is rewritten whole with the new header. */
  async retried(file: SpoolFile, body: string, tries: number, lastTry: number): Promise<boolean> {
    const final = join(this.dir, file.name);
    const tmp = join(this.dir, `.${process.pid}-${file.name}.tmp`);
    try {
      await fsp.writeFile(tmp, this.mark.seal(body, 'held', tries, lastTry), { mode: 0o600, flag: 'wx' });
      await fsp.rename(tmp, final);
    } catch {
      await fsp.unlink(tmp).catch(() => undefined);
      return false;
    }
    file.tries = tries;
    file.lastTry = lastTry;
    return true;
  }

  /** The same as {@link write}, synchronously: for the process `exit` event, where nothing async runs. */
  writeSync(data: string, count: number, takenAt: number): SpoolWriteResult {
    if (this.check()) return 'refused';
    const text = this.mark.seal(data, 'jsonl', 0, 0);
    const size = Buffer.byteLength(text);
    if (this.bytes + size > this.maxBytes) return 'full';
    const name = this.nextName(takenAt, count, 'jsonl');
    const tmp = join(this.dir, `.${process.pid}-${name}.tmp`);
    try {
      writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
      renameSync(tmp, join(this.dir, name));
    } catch {
      return 'error';
    }
    this.add({ name, kind: 'jsonl', count, bytes: size, tries: 0, lastTry: 0 });
    return 'ok';
  }

  /**
   * Reads a file's events. Lines that are not JSON objects are left out and counted in
   * `corrupt`. A file another process already replayed reads as empty; a file that fails
   * its checks reads as empty and `untrusted`, and is never read again.
   */
  async read(file: SpoolFile): Promise<SpoolRead> {
    if (this.check()) return { items: [], corrupt: 0, untrusted: false };
    const opened = await this.openTrusted(file);
    if (!opened) return { items: [], corrupt: 0, untrusted: this.untrusted.has(file.name) };
    const items: object[] = [];
    let corrupt = 0;
    for (const line of opened.body.split('\n')) {
      if (line === '') continue;
      const item = parseObject(line);
      if (item) items.push(item);
      else corrupt++;
    }
    return { items, corrupt, untrusted: false };
  }

  /** Deletes a file whose events were all settled (or forgets it if already gone). */
  async remove(file: SpoolFile): Promise<void> {
    this.forget(file);
    await fsp.unlink(join(this.dir, file.name)).catch(() => undefined);
  }

  /** Stops tracking a file without deleting it (one that failed its checks stays for a person to see). */
  forget(file: SpoolFile): void {
    const i = this.files.indexOf(file);
    if (i >= 0) {
      this.files.splice(i, 1);
      this.bytes -= file.bytes;
    }
  }

  private async writeFile(
    data: string,
    count: number,
    takenAt: number,
    kind: SpoolKind,
    tries: number,
    lastTry: number,
  ): Promise<SpoolWriteResult> {
    if (this.check()) return 'refused';
    const text = this.mark.seal(data, kind, tries, lastTry);
    const size = Buffer.byteLength(text);
    if (this.bytes + size > this.maxBytes) return 'full';
    const name = this.nextName(takenAt, count, kind);
    this.bytes += size; // reserved now so concurrent writes respect the bound
    let ok = await this.writeWhole(name, text);
    // The folder vanished since its check (a temp cleaner, an operator): make it again, once.
    if (ok === 'gone') ok = this.check() ? 'error' : await this.writeWhole(name, text);
    this.bytes -= size;
    if (ok !== 'ok') return 'error';
    this.add({ name, kind, count, bytes: size, tries, lastTry });
    return 'ok';
  }

  private async writeWhole(name: string, text: string): Promise<'ok' | 'gone' | 'error'> {
    const tmp = join(this.dir, `.${process.pid}-${name}.tmp`);
    try {
      // 'wx': never through a link or into a file someone else made.
      await fsp.writeFile(tmp, text, { mode: 0o600, flag: 'wx' });
      await fsp.rename(tmp, join(this.dir, name));
      return 'ok';
    } catch (err) {
      await fsp.unlink(tmp).catch(() => undefined);
      return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : 'error';
    }
  }

  /**
   * Reads a file through a descriptor opened without following a link, only if it is a
   * regular file of this user that no one else may read or write and that has no other
   * name, and only if its seal matches. Undefined otherwise (and remembered as untrusted,
   * unless it is simply gone).
   */
  private async openTrusted(
    file: Pick<SpoolFile, 'name' | 'kind'>,
  ): Promise<{ body: string; bytes: number; tries: number; lastTry: number } | undefined> {
    let handle;
    try {
      handle = await fsp.open(join(this.dir, file.name), READ_FLAGS);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.untrusted.add(file.name);
      return undefined;
    }
    try {
      const st = await handle.stat();
      const me = process.getuid?.();
      const foreign = me !== undefined && (st.uid !== me || (st.mode & 0o077) !== 0 || st.nlink !== 1);
      if (!st.isFile() || foreign) {
        this.untrusted.add(file.name);
        return undefined;
      }
      const text = await handle.readFile('utf8');
      const opened = this.mark.open(text, file.kind);
      if (!opened) {
        this.untrusted.add(file.name);
        return undefined;
      }
      return { ...opened, bytes: Buffer.byteLength(text) };
    } catch {
      return undefined;
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  /**
   * Checks the folder, making what is missing, before every scan, read and write: a folder
   * found fine once may be moved away, replaced or deleted later. A folder replaced by a new
   * one (of ours, since it passed) holds none of the files this spool knew of.
   */
  private check(): SpoolDirError | undefined {
    let identity: FolderIdentity;
    try {
      identity = ensurePrivateDir(this.dir, this.privateFrom);
    } catch (err) {
      this.refused = toSpoolDirError(err, this.dir);
      return this.refused;
    }
    this.refused = undefined;
    const was = this.identity;
    if (was && (was.dev !== identity.dev || was.ino !== identity.ino)) {
      this.files = [];
      this.bytes = 0;
    }
    this.identity = identity;
    return undefined;
  }

  private nextName(takenAt: number, count: number, kind: SpoolKind): string {
    this.seq = (this.seq + 1) % 1e9;
    const seq = String(this.seq).padStart(9, '0');
    return `${String(takenAt).padStart(13, '0')}-${process.pid}-${seq}-${count}-${this.mark.tag}.${kind}`;
  }

  /** Keeps `files` sorted by name, i.e. by the time events left memory. */
  private add(file: SpoolFile): void {
    this.bytes += file.bytes;
    let i = this.files.length;
    while (i > 0 && this.files[i - 1].name > file.name) i--;
    this.files.splice(i, 0, file);
  }
}

/** The spool's error for a folder found unsafe, with the fix that fits. */
function toSpoolDirError(err: unknown, dir: string): SpoolDirError {
  if (!(err instanceof UnsafeFolderError)) {
    return new SpoolDirError(
      dir,
      'io',
      String(err),
      'set configureCloud({ spoolDir }) to a folder of your own',
    );
  }
  const fix: Record<FolderProblem, string> = {
    symlink: `remove the link, or set configureCloud({ spoolDir }) to a real folder only you can write.`,
    not_dir: `move the file away or set another spoolDir.`,
    owner: `remove it (another account may have planted it), or set configureCloud({ spoolDir }) to a folder of your own.`,
    mode:
      err.path === dir
        ? `run chmod 700 '${err.path}', or set configureCloud({ spoolDir }) to a private folder.`
        : `run chmod go-w '${err.path}' (or chmod +t to make it sticky like /tmp), or set configureCloud({ spoolDir }) to a private folder.`,
    io: `set configureCloud({ spoolDir }) to a folder this process can create and write, or spoolDir: false.`,
  };
  return new SpoolDirError(err.path, err.problem, err.reason, fix[err.problem]);
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

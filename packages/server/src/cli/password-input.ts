import { createInterface } from 'node:readline';
import { AdminError } from '../errors';

/**
 * The environment variable scripts can set instead of typing or piping a password.
 *
 * @example
 * ```sh
 * AGENTSUDO_PASSWORD="$(pass show agentsudo)" agentsudo-server user create ops@example.com
 * ```
 */
export const PASSWORD_ENV = 'AGENTSUDO_PASSWORD';

/**
 * The two passwords typed at the prompt differ.
 *
 * @example
 * ```ts
 * new PasswordMismatchError().message; // 'The two passwords differ; nothing was changed. …'
 * ```
 */
export class PasswordMismatchError extends AdminError {
  constructor() {
    super('The two passwords differ; nothing was changed. Run the command again.');
  }
}

/**
 * No password came from anywhere: stdin is not a terminal and held no line
 * (`… user create ops@example.com </dev/null`, or a script that forgot to pipe it in).
 *
 * @example
 * ```ts
 * new NoPasswordGivenError().message; // 'No password given: type it at a terminal, …'
 * ```
 */
export class NoPasswordGivenError extends AdminError {
  constructor() {
    super(
      `No password given: type it at a terminal, set ${PASSWORD_ENV}, or pipe it in as the first line of stdin.`,
    );
  }
}

/**
 * Reads a new password the safe way for where it comes from: typed at a terminal without
 * echo, twice; else the `AGENTSUDO_PASSWORD` environment variable; else the first line of
 * stdin (`… | agentsudo-server user create ops@example.com`). Never from the command line,
 * where `ps` shows it to every user of the machine.
 *
 * @example
 * ```ts
 * const password = await readNewPassword(`Password for ${email}`);
 * ```
 */
export async function readNewPassword(prompt: string): Promise<string> {
  const fromEnv = process.env[PASSWORD_ENV];
  if (fromEnv) return fromEnv;
  if (!process.stdin.isTTY) {
    const piped = await firstLine(process.stdin);
    // Nothing piped is a forgotten source, not a password too short: say where one comes from.
    if (piped === '') throw new NoPasswordGivenError();
    return piped;
  }
  const terminal = new HiddenInput(process.stdin, process.stderr);
  try {
    const first = await terminal.read(`${prompt}: `);
    const again = await terminal.read('Repeat it: ');
    if (first !== again) throw new PasswordMismatchError();
    return first;
  } finally {
    terminal.close();
  }
}

async function firstLine(input: NodeJS.ReadableStream): Promise<string> {
  const rl = createInterface({ input });
  for await (const line of rl) {
    rl.close();
    return line;
  }
  return '';
}

/**
 * Reads lines from a terminal in raw mode, so the terminal echoes nothing (a password stays
 * off the screen and out of scrollback); Backspace and Ctrl+U edit, Ctrl+C aborts.
 */
class HiddenInput {
  private pending = '';
  /**
   * Where we are in an escape sequence the terminal sent for a key that is not a character
   * (an arrow, Delete, Home, Alt+key): it is dropped whole, never half kept in the password.
   * It may arrive split across reads, so the state outlives one.
   */
  private escape: 'none' | 'esc' | 'csi' | 'ss3' = 'none';
  private waiting: ((chunk: string) => void) | undefined;
  private readonly onData = (chunk: Buffer | string) => {
    this.pending += chunk.toString();
    this.waiting?.(this.pending);
  };

  constructor(
    private readonly input: NodeJS.ReadStream,
    private readonly output: NodeJS.WritableStream,
  ) {
    input.setRawMode(true);
    // Decoded as a stream: a character whose bytes arrive in two reads stays one character.
    input.setEncoding('utf8');
    input.on('data', this.onData);
    input.resume();
  }

  async read(prompt: string): Promise<string> {
    this.output.write(prompt);
    let line = '';
    for (;;) {
      if (!this.pending) await new Promise<string>((resolve) => (this.waiting = resolve));
      this.waiting = undefined;
      const chars = [...this.pending];
      this.pending = '';
      for (let i = 0; i < chars.length; i++) {
        const c = chars[i];
        if (this.skipsEscape(c)) continue;
        if (c === '\r' || c === '\n') {
          this.pending = chars.slice(i + 1).join(''); // typed ahead: for the next prompt
          this.output.write('\n');
          return line;
        }
        if (c === '\u0003') {
          // Ctrl+C: the terminal sends no SIGINT in raw mode; end as it would have.
          this.close();
          this.output.write('\n');
          process.exit(130);
        }
        if (c === '\u0004' && line === '') {
          this.output.write('\n');
          return line;
        }
        if (c === '\u007f' || c === '\b') line = [...line].slice(0, -1).join('');
        else if (c === '\u0015') line = '';
        else if (c >= ' ') line += c;
      }
    }
  }

  /** True when `c` opens, continues or ends an escape sequence (ECMA-48: CSI or SS3). */
  private skipsEscape(c: string): boolean {
    switch (this.escape) {
      case 'none':
        if (c !== '\u001b') return false;
        this.escape = 'esc';
        return true;
      case 'esc':
        this.escape = c === '[' ? 'csi' : c === 'O' ? 'ss3' : 'none'; // else Alt+key: dropped
        return true;
      case 'ss3':
        this.escape = 'none';
        return true;
      case 'csi': {
        // Parameter and intermediate bytes, then one final byte in @..~.
        const code = c.charCodeAt(0);
        if (code >= 0x40 && code <= 0x7e) this.escape = 'none';
        return true;
      }
    }
  }

  close(): void {
    this.input.off('data', this.onData);
    this.input.setRawMode(false);
    this.input.pause();
  }
}

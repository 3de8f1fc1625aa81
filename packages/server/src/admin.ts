import { randomBytes, randomUUID } from 'node:crypto';
import { isUserEmail, normalizeEmail } from './auth/emails';
import { KEY_PREFIXES, KEY_SHOWN_CHARS, generateKey, hashKey } from './auth/keys';
import { MIN_PASSWORD_LENGTH, hashPassword } from './auth/passwords';
import {
  AmbiguousKeyPrefixError,
  InvalidInputError,
  KeyNotFoundError,
  ProjectExistsError,
  OnlyUserError,
  ProjectNotFoundError,
  UserExistsError,
  UserNotFoundError,
} from './errors';
import type { KeyKind, KeyRecord, ProjectRecord } from './storage/records';
import type { Accounts } from './storage/accounts';
import type { Storage } from './storage/storage';

/**
 * A key as listings show it: never the secret, only its prefix.
 *
 * @example
 * ```ts
 * const k: KeyInfo = { id: 'key_1', prefix: 'as_Jx3q9Kd0', kind: 'ingest', createdAt: Date.now() };
 * ```
 */
export interface KeyInfo {
  id: string;
  projectId: string;
  prefix: string;
  kind: KeyKind;
  createdAt: number;
  revokedAt?: number;
}

/**
 * A project with its keys.
 *
 * @example
 * ```ts
 * for (const p of await admin.listProjects()) console.log(p.name, p.keys.length);
 * ```
 */
export interface ProjectInfo extends ProjectRecord {
  keys: KeyInfo[];
}

/**
 * A dashboard login as listings show it: never its password hash.
 *
 * @example
 * ```ts
 * for (const u of await admin.listUsers()) console.log(u.email, new Date(u.createdAt));
 * ```
 */
export interface UserInfo {
  id: string;
  email: string;
  createdAt: number;
}

const PROJECT_NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,99}$/u;

/**
 * The administrative operations behind the CLI, for the dashboard and scripts: projects,
 * ingest keys, read tokens and dashboard users. Secrets are returned once and stored only
 * as hashes.
 *
 * @example
 * ```ts
 * const { project, apiKey } = await server.admin.createProject('checkout');
 * configureCloud({ apiKey, endpoint: server.url });
 * ```
 */
export class Admin {
  private readonly accounts: Accounts;

  constructor(storage: Pick<Storage, 'accounts'>) {
    this.accounts = storage.accounts;
  }

  /**
   * Creates a project and its first ingest key (shown once). A rotation that finds the new
   * project before its first key is stored is revoked by that key, as by a later rotation.
   */
  async createProject(name: string): Promise<{ project: ProjectRecord; apiKey: string }> {
    if (typeof name !== 'string' || !PROJECT_NAME.test(name) || name.startsWith('prj_')) {
      throw new InvalidInputError(
        'project name',
        name,
        "use 1-100 letters, digits, spaces, '.', '_' or '-', starting with a letter or digit (and not 'prj_')",
      );
    }
    if (await this.accounts.findProject(name)) throw new ProjectExistsError(name);
    const project: ProjectRecord = {
      id: `prj_${randomBytes(8).toString('hex')}`,
      name,
      createdAt: Date.now(),
    };
    try {
      await this.accounts.createProject(project);
    } catch (err) {
      if (await this.accounts.findProject(name)) throw new ProjectExistsError(name);
      throw err;
    }
    // Through the rotation's locked path, not a plain insert: a rotation (another instance,
    // the CLI) may find the project before its first key is stored, and the first key must
    // then revoke that rotation's key as a later rotation would, leaving one active key.
    const { key: apiKey, record } = newKey(project.id, 'ingest');
    await this.accounts.rotateIngestKey(record, record.createdAt);
    return { project, apiKey };
  }

  async listProjects(): Promise<ProjectInfo[]> {
    const keys = await this.accounts.listKeys();
    return (await this.accounts.listProjects()).map((p) => ({
      ...p,
      keys: keys.filter((k) => k.projectId === p.id).map(keyInfo),
    }));
  }

  /** Issues a new ingest key and revokes the project's previous ingest keys. */
  async rotateKey(
    projectIdOrName: string,
  ): Promise<{ project: ProjectRecord; apiKey: string; revoked: string[] }> {
    const project = await this.project(projectIdOrName);
    const { key, record } = newKey(project.id, 'ingest');
    const revoked = await this.accounts.rotateIngestKey(record, record.createdAt);
    return { project, apiKey: key, revoked };
  }

  /** Revokes the one active key (ingest or read) whose prefix starts with `prefix`. */
  async revokeKey(prefix: string): Promise<KeyInfo> {
    if (typeof prefix !== 'string' || prefix.length < 6) {
      throw new InvalidInputError('key prefix', prefix, "give at least 6 characters, e.g. 'as_Jx3q9'");
    }
    // A whole key (pasted from where it is configured) names itself exactly; otherwise
    // only the stored prefix's characters can be compared.
    const exact = await this.accounts.findKeyByHash(hashKey(prefix));
    const shown = prefix.slice(
      0,
      (prefix.startsWith(KEY_PREFIXES.read) ? KEY_PREFIXES.read : KEY_PREFIXES.ingest).length +
        KEY_SHOWN_CHARS,
    );
    const matches = (exact ? [exact] : await this.accounts.findKeysByPrefix(shown)).filter(
      (k) => !k.revokedAt,
    );
    if (matches.length === 0) throw new KeyNotFoundError(prefix);
    if (matches.length > 1)
      throw new AmbiguousKeyPrefixError(
        prefix,
        matches.map((k) => k.prefix),
      );
    const revokedAt = Date.now();
    await this.accounts.revokeKey(matches[0].id, revokedAt);
    return { ...keyInfo(matches[0]), revokedAt };
  }

  /** Issues a read token for one project (shown once): scripts read events with it. */
  async createReadToken(projectIdOrName: string): Promise<{ project: ProjectRecord; token: string }> {
    const project = await this.project(projectIdOrName);
    return { project, token: await this.issueKey(project.id, 'read') };
  }

  /** Creates a dashboard login; the password is stored as an scrypt hash. */
  async createUser(email: string, password: string): Promise<{ id: string; email: string }> {
    const normalized = typeof email === 'string' ? normalizeEmail(email) : '';
    if (!isUserEmail(normalized)) {
      throw new InvalidInputError('email', email, 'expected an address like ops@example.com');
    }
    checkPassword(password);
    if (await this.accounts.findUserByEmail(normalized)) throw new UserExistsError(normalized);
    const user = {
      id: randomUUID(),
      email: normalized,
      passwordHash: await hashPassword(password),
      createdAt: Date.now(),
    };
    await this.accounts.createUser(user);
    return { id: user.id, email: user.email };
  }

  /** Every dashboard login, oldest first (never the password hashes). */
  async listUsers(): Promise<UserInfo[]> {
    return (await this.accounts.listUsers()).map((u) => ({
      id: u.id,
      email: u.email,
      createdAt: u.createdAt,
    }));
  }

  /**
   * Deletes a dashboard login and ends its sessions (open pages and live feeds stop at
   * their next request or credential check). The only user is kept: refused with
   * {@link OnlyUserError}.
   */
  async deleteUser(email: string): Promise<UserInfo> {
    const user = await this.findUser(email);
    const result = await this.accounts.deleteUser(user.id);
    if (result === 'only-user') throw new OnlyUserError(user.email);
    if (result === 'not-found') throw new UserNotFoundError(user.email);
    return user;
  }

  /** Sets a new password and ends the user's sessions: they log in again with it. */
  async resetPassword(email: string, password: string): Promise<UserInfo> {
    checkPassword(password);
    const user = await this.findUser(email);
    if (!(await this.accounts.setUserPassword(user.id, await hashPassword(password))))
      throw new UserNotFoundError(user.email);
    return user;
  }

  /** The login with this email (compared trimmed, in lower case); throws {@link UserNotFoundError}. */
  async findUser(email: string): Promise<UserInfo> {
    const normalized = typeof email === 'string' ? normalizeEmail(email) : '';
    const user = await this.accounts.findUserByEmail(normalized);
    if (!user) throw new UserNotFoundError(String(email));
    return { id: user.id, email: user.email, createdAt: user.createdAt };
  }

  private async project(idOrName: string): Promise<ProjectRecord> {
    const project = typeof idOrName === 'string' ? await this.accounts.findProject(idOrName) : undefined;
    if (!project) throw new ProjectNotFoundError(String(idOrName));
    return project;
  }

  private async issueKey(projectId: string, kind: KeyKind): Promise<string> {
    const { key, record } = newKey(projectId, kind);
    await this.accounts.insertKey(record);
    return key;
  }
}

function checkPassword(password: string): void {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH) {
    throw new InvalidInputError('password', '…', `use at least ${MIN_PASSWORD_LENGTH} characters`);
  }
}

/** A fresh secret (shown once) and the record that stores only its hash. */
function newKey(projectId: string, kind: KeyKind): { key: string; record: KeyRecord } {
  const { key, keyHash, prefix } = generateKey(kind);
  return {
    key,
    record: { id: `key_${randomUUID()}`, projectId, kind, prefix, keyHash, createdAt: Date.now() },
  };
}

function keyInfo(k: KeyInfo): KeyInfo {
  const info: KeyInfo = {
    id: k.id,
    projectId: k.projectId,
    prefix: k.prefix,
    kind: k.kind,
    createdAt: k.createdAt,
  };
  if (k.revokedAt) info.revokedAt = k.revokedAt;
  return info;
}

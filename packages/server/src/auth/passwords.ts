import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** scrypt cost: N=2^15, r=8, p=1 (about 32 MiB and tens of milliseconds per check). */
const PARAMS = { N: 32768, r: 8, p: 1 };
const KEY_LENGTH = 32;

/**
 * Shortest password `user create` accepts.
 *
 * @example
 * ```ts
 * if (password.length < MIN_PASSWORD_LENGTH) throw new Error('too short');
 * ```
 */
export const MIN_PASSWORD_LENGTH = 10;

function derive(password: string, salt: Buffer, params: typeof PARAMS): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 128 * params.N * params.r * 2 };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/**
 * Hashes a password with scrypt and a random salt: `scrypt$N$r$p$salt$hash` (base64url).
 *
 * @example
 * ```ts
 * const stored = await hashPassword('correct horse battery');
 * ```
 */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join(
    '$',
  );
}

/**
 * Checks a password against a stored hash in constant time.
 *
 * @example
 * ```ts
 * if (await verifyPassword(body.password, user.passwordHash)) startSession();
 * ```
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await derive(password, Buffer.from(salt, 'base64url'), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

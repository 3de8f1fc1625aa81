import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * Addresses a webhook may not reach unless the server allows it (`allowPrivateWebhookUrls`):
 * loopback, private networks, link-local (cloud metadata at 169.254.169.254), carrier-grade
 * NAT, "this network", unique-local and IPv4-mapped forms of them. A dashboard user must not
 * turn the server into a probe of its own network.
 */
const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['224.0.0.0', 3],
] as const)
  PRIVATE.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  PRIVATE.addSubnet(net, prefix, 'ipv6');

/**
 * Whether an IP address is loopback, private, link-local or otherwise not on the internet.
 *
 * @example
 * ```ts
 * isPrivateAddress('169.254.169.254'); // true
 * isPrivateAddress('::ffff:127.0.0.1'); // true
 * ```
 */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return PRIVATE.check(mapped[1], 'ipv4');
  const family = isIP(address);
  if (family === 0) return true;
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * A webhook URL that cannot be used; the message names it and what to do.
 *
 * @example
 * ```ts
 * try { parseWebhookUrl(body.url, false); } catch (e) { if (e instanceof WebhookUrlError) reply.code(400); }
 * ```
 */
export class WebhookUrlError extends Error {
  constructor(
    readonly url: unknown,
    readonly reason: string,
  ) {
    super(`Webhook URL ${JSON.stringify(url)} cannot be used: ${reason}.`);
    this.name = 'WebhookUrlError';
  }
}

/**
 * Checks a webhook URL: http or https, no user or password in it, at most 2048 characters,
 * and (unless `allowPrivate`) not a private or loopback address written as such. A name is
 * checked again each time it is resolved ({@link publicOnlyLookup}).
 *
 * @example
 * ```ts
 * parseWebhookUrl('https://ops.example.com/agentsudo', false).href;
 * ```
 */
export function parseWebhookUrl(value: unknown, allowPrivate: boolean): URL {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048)
    throw new WebhookUrlError(value, 'give an http:// or https:// URL of at most 2048 characters');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new WebhookUrlError(value, 'it is not a URL; give an http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new WebhookUrlError(value, `${url.protocol} is not allowed; use http:// or https://`);
  if (url.username || url.password)
    throw new WebhookUrlError(value, 'it holds a user or password; the signature authenticates each request');
  if (!allowPrivate) {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (host === 'localhost' || host.endsWith('.localhost') || (isIP(host) && isPrivateAddress(host)))
      throw new WebhookUrlError(
        value,
        'it is a loopback or private address; use a public address, or start the server with allowPrivateWebhookUrls',
      );
  }
  return url;
}

/**
 * A `lookup` for node:http that refuses names resolving to a private or loopback address,
 * checked on the addresses actually connected to (a name that changes its answer between
 * the check and the connection cannot slip through).
 *
 * @example
 * ```ts
 * http.request(url, { lookup: publicOnlyLookup });
 * ```
 */
export const publicOnlyLookup: typeof dnsLookup = ((
  hostname: string,
  options: object,
  callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '');
    const list = addresses as LookupAddress[];
    const bad = list.find((a) => isPrivateAddress(a.address));
    if (bad)
      return callback(
        Object.assign(new Error(`${hostname} resolves to ${bad.address}, a private or loopback address`), {
          code: 'EPRIVATEADDRESS',
        }),
        '',
      );
    if ((options as { all?: boolean }).all) return callback(null, list);
    callback(null, list[0].address, list[0].family);
  });
}) as typeof dnsLookup;

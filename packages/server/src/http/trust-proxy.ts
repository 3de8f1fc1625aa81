import type { FastifyInstance } from 'fastify';
import { BlockList, isIP } from 'node:net';
import { InvalidInputError } from '../errors';

/**
 * Which reverse proxies the server believes about the client's address, protocol and host
 * (`X-Forwarded-For`, `X-Forwarded-Proto`, `X-Forwarded-Host`): a number of hops (`1` for
 * one proxy in front), or the proxies' addresses and CIDR ranges (`loopback`, `linklocal`
 * and `uniquelocal` name the usual private ranges). A hop count is believed only when the
 * connection itself comes from a loopback, link-local or private address (where proxies
 * sit): a client reaching the port straight from the internet gets its own address. There
 * is no "trust every hop" (nor a `/0` range): then any client could name its own address in
 * `X-Forwarded-For` and get a fresh login limit with each guess.
 *
 * @example
 * ```ts
 * const oneProxy: TrustProxy = 1;
 * const nginxOnThisHost: TrustProxy = ['loopback'];
 * const behindLoadBalancers: TrustProxy = '10.0.0.0/8, 192.168.1.7';
 * ```
 */
export type TrustProxy = number | string | readonly string[];

/** The names proxy-addr (Fastify's resolver) knows for common private ranges. */
const RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
/** More hops than any real chain of proxies: a larger number is a mistake. */
const MAX_HOPS = 32;

const WHAT_TO_GIVE =
  'give the number of proxies in front of the server (e.g. 1) or their addresses/CIDRs ' +
  '(e.g. 127.0.0.1 or 10.0.0.0/8, comma-separated; loopback, linklocal, uniquelocal name those ranges)';

/**
 * Fastify's `trustProxy` as a resolver takes it: whether the `hop`-th address of the chain
 * (0 is the peer of the socket) is a proxy to believe.
 *
 * @example
 * ```ts
 * const believeOne: ProxyTrust = (_address, hop) => hop < 1;
 * ```
 */
export type ProxyTrust = string[] | ((address: string, hop: number) => boolean);

/**
 * Loopback, link-local and private / unique-local addresses (IPv4-mapped IPv6 included):
 * where a reverse proxy in front of the server connects from. Anything else reaching the
 * port is a client, whatever it writes in `X-Forwarded-*`.
 */
const PROXY_PEERS = new BlockList();
for (const [network, prefix] of [
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const)
  PROXY_PEERS.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::1', 128],
  ['fe80::', 10],
  ['fc00::', 7],
] as const)
  PROXY_PEERS.addSubnet(network, prefix, 'ipv6');

/** Whether a socket's peer address is one a proxy in front of the server connects from. */
function isProxyPeer(address: string): boolean {
  const family = isIP(address);
  return family !== 0 && PROXY_PEERS.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Checks a trust-proxy setting and returns it in the form Fastify takes (a function for a
 * hop count, because Fastify reads a bare number as "trust none", the fail-closed choice
 * when nothing says which peer is a proxy; the function restores that check by believing
 * hop 0, the socket's peer, only from a loopback, link-local or private address. Else the
 * list of addresses and ranges). Throws {@link InvalidInputError} naming the bad value:
 * `true`, `0`, a negative or fractional count, an address that is not an IP, a prefix
 * out of range or `/0` (every address). `field` is how the message names the setting.
 *
 * @example
 * ```ts
 * parseTrustProxy('1'); // believes X-Forwarded-* only from a private or loopback peer
 * parseTrustProxy('127.0.0.1, 10.0.0.0/8'); // ['127.0.0.1', '10.0.0.0/8']
 * parseTrustProxy(true); // throws: Invalid trustProxy true: … trusting every hop …
 * parseTrustProxy('10.0.0.300', '--trust-proxy'); // throws: Invalid --trust-proxy "10.0.0.300": …
 * ```
 */
export function parseTrustProxy(value: unknown, field = 'trustProxy'): ProxyTrust {
  if (typeof value === 'number' || (typeof value === 'string' && /^\s*-?\d+(\.\d*)?\s*$/.test(value))) {
    const hops = Number(value);
    if (!Number.isInteger(hops) || hops < 1 || hops > MAX_HOPS)
      throw new InvalidInputError(
        field,
        value,
        `a hop count must be a whole number from 1 to ${MAX_HOPS}; to trust no proxy, leave the setting out`,
      );
    return (address, hop) => hop < hops && (hop > 0 || isProxyPeer(address));
  }
  const entries =
    typeof value === 'string'
      ? value.split(',').map((s) => s.trim())
      : Array.isArray(value) && value.every((s) => typeof s === 'string')
        ? value.map((s: string) => s.trim())
        : undefined;
  if (!entries || entries.length === 0 || entries.some((e) => e === ''))
    throw new InvalidInputError(
      field,
      value,
      `${WHAT_TO_GIVE}; trusting every hop would let any client choose the address the login limit counts`,
    );
  for (const entry of entries) {
    if (isEveryAddress(entry))
      throw new InvalidInputError(
        field,
        value,
        `${JSON.stringify(entry)} is every address, which would let any client choose the address the login limit counts; name the proxies' addresses or their network (e.g. 10.0.0.0/8)`,
      );
    if (!isAddressOrRange(entry))
      throw new InvalidInputError(
        field,
        value,
        `${JSON.stringify(entry)} is not an IP address, a CIDR range or a range name; ${WHAT_TO_GIVE}`,
      );
  }
  return entries;
}

/** A range of every address: prefix `/0`, or the IPv4 netmask `0.0.0.0`. */
function isEveryAddress(entry: string): boolean {
  const prefix = entry.slice(entry.indexOf('/') + 1);
  return entry.includes('/') && (/^0+$/.test(prefix) || prefix === '0.0.0.0');
}

function isAddressOrRange(entry: string): boolean {
  if (RANGE_NAMES.has(entry)) return true;
  const slash = entry.indexOf('/');
  const address = slash < 0 ? entry : entry.slice(0, slash);
  const family = isIP(address);
  if (family === 0) return false;
  if (slash < 0) return true;
  const prefix = entry.slice(slash + 1);
  // proxy-addr also takes an IPv4 netmask after the slash (10.0.0.0/255.0.0.0).
  if (family === 4 && isIP(prefix) === 4) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * Logs one warning, the first time a request carries `X-Forwarded-For` while no proxy is
 * trusted: the server is then most likely behind a proxy it was not told of, so every
 * client shares the proxy's address, and five failed logins from anyone lock everyone out.
 *
 * @example
 * ```ts
 * if (trustProxy === false) warnOfUntrustedProxy(app);
 * ```
 */
export function warnOfUntrustedProxy(app: FastifyInstance): void {
  let warned = false;
  app.addHook('onRequest', async (request) => {
    if (warned || request.headers['x-forwarded-for'] === undefined) return;
    warned = true;
    request.log.warn(
      `A request from ${request.ip} carries X-Forwarded-For, but no proxy is trusted: every client ` +
        `behind a proxy shares its address, so failed logins from one lock out all. If ${request.ip} ` +
        `is your reverse proxy, start with '--trust-proxy ${request.ip}' (see docs/server.md, ` +
        `"Behind a reverse proxy").`,
    );
  });
}

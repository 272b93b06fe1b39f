import { BlockList, isIP } from 'node:net';

/**
 * The registered URL hosts of a service (merchant-link-type.md, fields 21–24): the hosts of
 * `success_url`, `cancel_url`, `error_url` and `pagecon_url` must be registered, port ignored.
 *
 * An entry is a host name or IP literal (`shop.example.jp`, `203.0.113.7`, `::1`), matched exactly,
 * or `*.example.jp`, matching any sub-domain of `example.jp` (not `example.jp` itself). Hosts that
 * reach the gateway's own machine or network — loopback, private and link-local addresses,
 * `localhost` — are accepted in production only through an exact entry (configuration.md,
 * KESSAI_MODE: "only where an operator registered them explicitly"). Only the literal host is
 * examined here: a registered name that resolves to such an address is a matter for the
 * notification sender, which connects to it.
 */

/**
 * A host in the form URLs show it: lower case, IDN as punycode, IPv6 compressed and without
 * brackets, IPv4 dotted, no final dot, any `:port` dropped. `null` when it is not a host.
 */
export function canonicalHost(text: string): string | null {
  const t = text.trim();
  if (t === '' || /[/?#@\\]/.test(t)) return null;
  let host: string;
  try {
    host = new URL(`http://${isIP(t) === 6 ? `[${t}]` : t}/`).hostname;
  } catch {
    return null;
  }
  if (host.startsWith('[')) host = host.slice(1, -1);
  if (host.endsWith('.')) host = host.slice(0, -1);
  return host === '' ? null : host;
}

const INTERNAL_V4: ReadonlyArray<readonly [string, number]> = [
  ['0.0.0.0', 8], // "this network", incl. the unspecified address
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // shared address space (carrier-grade NAT)
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
];

const internalAddresses = new BlockList();
for (const [network, prefix] of INTERNAL_V4) {
  internalAddresses.addSubnet(network, prefix, 'ipv4');
  // The same ranges written as IPv4-mapped IPv6 (`[::ffff:127.0.0.1]`, which URLs show as `::ffff:7f00:1`).
  internalAddresses.addSubnet(`::ffff:${network}`, 96 + prefix, 'ipv6');
}
internalAddresses.addAddress('::', 'ipv6');
internalAddresses.addAddress('::1', 'ipv6');
internalAddresses.addSubnet('fc00::', 7, 'ipv6'); // unique local
internalAddresses.addSubnet('fe80::', 10, 'ipv6'); // link-local

/** Whether a host is `localhost`, a `.localhost` name, or a loopback/private/link-local IP. */
export function isInternalHost(host: string): boolean {
  const h = canonicalHost(host);
  if (h === null) return false;
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  const family = isIP(h);
  if (family === 0) return false;
  return internalAddresses.check(h, family === 4 ? 'ipv4' : 'ipv6');
}

/** Whether `entry` is acceptable as a registered host (for the service settings screen). */
export function isValidHostEntry(entry: string): boolean {
  const h = canonicalHost(entry);
  if (h === null) return false;
  if (isIP(h) !== 0) return true;
  const name = h.startsWith('*.') ? h.slice(2) : h;
  return /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?)*$/.test(
    name,
  );
}

/**
 * Whether a URL's host is registered for the service. In production an internal host must match an
 * exact entry: a wildcard never admits it.
 */
export function isRegisteredHost(
  url: URL,
  urlHosts: readonly string[],
  mode: 'demo' | 'production',
): boolean {
  const host = canonicalHost(url.hostname);
  if (host === null) return false;
  const exactOnly = mode === 'production' && isInternalHost(host);
  return urlHosts.some((entry) => {
    const e = canonicalHost(entry);
    if (e === null) return false;
    if (e === host) return true;
    return !exactOnly && e.startsWith('*.') && host.endsWith(e.slice(1));
  });
}

import dns from "node:dns";
import net from "node:net";

/**
 * Where a webhook may go. A monitor's URL is chosen by any writer, and the server sits
 * inside the operator's network: without these rules a webhook is a way to make the
 * server call its cloud metadata endpoint (169.254.169.254), its own admin ports or
 * anything else on the private network. Checked when a monitor is saved (so the user sees
 * why) and again at send time on the addresses actually connected to (DNS can change).
 */
const REFUSED_V4: Array<[string, number, string]> = [
  ["0.0.0.0", 8, "unspecified"],
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "shared (carrier-grade NAT)"],
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link-local"],
  ["172.16.0.0", 12, "private"],
  ["192.168.0.0", 16, "private"],
  ["224.0.0.0", 4, "multicast"],
  ["240.0.0.0", 4, "reserved"],
];
const REFUSED_V6: Array<[string, number, string]> = [
  ["::", 128, "unspecified"],
  ["::1", 128, "loopback"],
  ["fc00::", 7, "private (unique local)"],
  ["fe80::", 10, "link-local"],
  ["ff00::", 8, "multicast"],
];

const blockLists = (ranges: Array<[string, number, string]>, type: "ipv4" | "ipv6") =>
  ranges.map(([base, prefix, why]) => {
    const list = new net.BlockList();
    list.addSubnet(base, prefix, type);
    return [list, why] as const;
  });
const REFUSED_V4_LISTS = blockLists(REFUSED_V4, "ipv4");
const REFUSED_V6_LISTS = blockLists(REFUSED_V6, "ipv6");

/** An IPv4-mapped IPv6 address (::ffff:127.0.0.1) is the IPv4 address it carries. */
function normalise(address: string): { address: string; family: 4 | 6 } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return { address: mapped[1]!, family: 4 };
  return { address, family: net.isIPv6(address) ? 6 : 4 };
}

/** Why this address is refused ("loopback"), or undefined when it is a public address. */
export function refusedRange(address: string): string | undefined {
  const a = normalise(address);
  const type = a.family === 4 ? "ipv4" : "ipv6";
  return (a.family === 4 ? REFUSED_V4_LISTS : REFUSED_V6_LISTS).find(([list]) => list.check(a.address, type))?.[1];
}

/** CAIRN_WEBHOOK_ALLOWLIST: host names (exact) and addresses or CIDRs the operator permits although private. */
export class WebhookAllowlist {
  private readonly hosts = new Set<string>();
  private readonly ranges = new net.BlockList();

  constructor(entries: readonly string[]) {
    for (const raw of entries) {
      const entry = raw.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1");
      const [ip, bits] = entry.split("/") as [string, string | undefined];
      const family = net.isIPv4(ip) ? "ipv4" : net.isIPv6(ip) ? "ipv6" : undefined;
      if (family) this.ranges.addSubnet(ip, bits === undefined ? (family === "ipv4" ? 32 : 128) : Number(bits), family);
      else this.hosts.add(entry);
    }
  }

  allowsHost(hostname: string): boolean {
    return this.hosts.has(hostname.toLowerCase());
  }

  allowsAddress(address: string): boolean {
    const a = normalise(address);
    return this.ranges.check(a.address, a.family === 4 ? "ipv4" : "ipv6");
  }
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export type Vetting = { ok: true; url: URL; addresses: ResolvedAddress[] } | { ok: false; reason: string };

export type Lookup = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemLookup: Lookup = async (hostname) =>
  (await dns.promises.lookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

/** The URL's form alone: http(s), no credentials in it. */
export function urlProblem(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "is not a URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return `must be http or https, not ${url.protocol.replace(/:$/, "")}`;
  if (url.username || url.password) return "must not carry credentials (use the secret to authenticate deliveries)";
  return undefined;
}

/**
 * Resolves the URL's host (every address) and refuses it when any address is private,
 * loopback, link-local or otherwise internal and not allowlisted: one bad record is
 * enough, since the connection could be made to any of them.
 */
export async function vetWebhookUrl(raw: string, allowlist: WebhookAllowlist, lookup: Lookup = systemLookup): Promise<Vetting> {
  const problem = urlProblem(raw);
  if (problem) return { ok: false, reason: `${raw}: ${problem}` };
  const url = new URL(raw);
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  let addresses: ResolvedAddress[];
  if (net.isIP(host)) addresses = [normalise(host)];
  else {
    try {
      addresses = await lookup(host);
    } catch (e) {
      return { ok: false, reason: `${raw}: the host ${host} does not resolve (${(e as NodeJS.ErrnoException).code ?? "lookup failed"})` };
    }
    if (addresses.length === 0) return { ok: false, reason: `${raw}: the host ${host} has no address` };
  }
  if (allowlist.allowsHost(host)) return { ok: true, url, addresses };
  for (const a of addresses) {
    const why = refusedRange(a.address);
    if (why && !allowlist.allowsAddress(a.address)) {
      return { ok: false, reason: `${raw}: ${host === a.address ? "" : `${host} resolves to `}${a.address}, a ${why} address (refused unless CAIRN_WEBHOOK_ALLOWLIST permits it)` };
    }
  }
  return { ok: true, url, addresses };
}

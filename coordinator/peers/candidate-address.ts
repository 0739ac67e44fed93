// Which remote ICE candidates the coordinator will try. A candidate makes the coordinator send STUN checks to
// the address it names, so a peer could aim those packets at hosts the coordinator can reach and it cannot
// (its loopback services, a cloud metadata address, a multicast group). Sensible addresses are:
//  - unicast IPv4 and IPv6 on a network a peer can be on: public addresses, private LANs (10/8, 172.16/12,
//    192.168/16, fc00::/7) and carrier-grade NAT (100.64/10), since peers behind a NAT announce their LAN
//    address beside the public one and a LAN run (or the tests' veth 10.77.0.x) connects through it;
//  - loopback (127/8, ::1) only from a peer whose own socket came over loopback, i.e. a peer on this host;
//  - an mDNS name as browsers announce to hide their address (`<uuid>.local`), resolved on the LAN only.
// Never: unspecified (0/8, ::), link-local (169.254/16 with the metadata address, fe80::/10), multicast,
// reserved and broadcast (224/3), other host names (a DNS lookup the peer chooses), or port 0 on UDP.

export interface CandidateContext {
  /** The peer's socket came from a loopback address (a peer on the coordinator's own host). */
  peerOnLoopback: boolean;
}

export interface ParsedCandidate {
  protocol: string;
  address: string;
  port: number;
  tcpType: string | undefined;
}

/** `candidate:<foundation> <component> <protocol> <priority> <address> <port> typ <type> ...` (RFC 8839). */
export function parseCandidate(line: string): ParsedCandidate | undefined {
  const f = line.replace(/^a=/, '').trim().split(/\s+/);
  if (f.length < 8 || !/^candidate:/.test(f[0]!) || f[6] !== 'typ') return undefined;
  const port = Number(f[5]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return undefined;
  const tcpAt = f.indexOf('tcptype');
  return { protocol: f[2]!.toLowerCase(), address: f[4]!.toLowerCase(), port, tcpType: tcpAt > 0 ? f[tcpAt + 1] : undefined };
}

/** Why the coordinator will not try this candidate, or undefined if it will. */
export function candidateRefusal(line: string, ctx: CandidateContext): string | undefined {
  const c = parseCandidate(line);
  if (!c) return 'not a candidate line';
  if (c.protocol !== 'udp' && c.protocol !== 'tcp') return `transport ${c.protocol}`;
  // An active TCP candidate connects out and announces the placeholder port 9 (or 0); others need a port.
  if (c.port === 0 && c.tcpType !== 'active') return 'port 0';
  return addressRefusal(c.address, ctx);
}

export function addressRefusal(address: string, ctx: CandidateContext): string | undefined {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.local$/.test(address)) return undefined;
  const v4 = ipv4(address);
  if (v4) return ipv4Refusal(v4, ctx);
  if (address.includes(':')) return ipv6Refusal(address, ctx);
  return 'a host name (only mDNS <uuid>.local names)';
}

function ipv4(s: string): number[] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const b = m.slice(1).map(Number);
  return b.every((x) => x <= 255) ? b : undefined;
}

function ipv4Refusal([a, b]: number[], ctx: CandidateContext): string | undefined {
  if (a === 0) return 'unspecified address';
  if (a === 127) return ctx.peerOnLoopback ? undefined : 'loopback address from a peer on another host';
  if (a === 169 && b === 254) return 'link-local address';
  if (a! >= 224) return 'multicast, reserved or broadcast address';
  return undefined;
}

function ipv6Refusal(s: string, ctx: CandidateContext): string | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (mapped) {
    const v4 = ipv4(mapped[1]!);
    return v4 ? ipv4Refusal(v4, ctx) : 'malformed address';
  }
  if (!/^[0-9a-f:]+$/.test(s) || s.length > 39 || (s.match(/::/g)?.length ?? 0) > 1) return 'malformed address';
  if (/^(0*:)*:?0*$/.test(s) || s === '::') return 'unspecified address';
  if (/^(0*:)*:?0*1$/.test(s)) return ctx.peerOnLoopback ? undefined : 'loopback address from a peer on another host';
  if (/^ff/.test(s)) return 'multicast address';
  if (/^fe[89ab]/.test(s)) return 'link-local address';
  return undefined;
}

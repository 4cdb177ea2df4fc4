/** IPv4 helpers for address and route conditions. */
export function ipToInt(ip: string): number | null {
  const p = ip.split('.');
  if (p.length !== 4) return null;
  let n = 0;
  for (const x of p) {
    if (!/^\d{1,3}$/.test(x) || Number(x) > 255) return null;
    n = n * 256 + Number(x);
  }
  return n;
}

/** Is `ip` inside `cidr` (`192.168.100.0/24`)? A bare address means itself. */
export function inSubnet(ip: string, cidr: string): boolean {
  const [net = '', len = '32'] = cidr.split('/');
  const a = ipToInt(ip.split('/')[0]!);
  const b = ipToInt(net);
  const bits = Number(len);
  if (a === null || b === null || !(bits >= 0 && bits <= 32)) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (a & mask) >>> 0 === (b & mask) >>> 0;
}

export const isCidrOrIp = (s: string): boolean => /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(s);

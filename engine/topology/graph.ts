/**
 * State → graph: turns the inspector's snapshot of each VM into the nodes and edges of types.ts.
 * A lab is the union of its hosts' graphs plus one `lan` node that every VM's NIC is wired to.
 */
import type { Container, HostState, IptablesRule, Link, NetNamespace } from '../inspect/types.ts';
import type { Graph, NatFact, TopoEdge, TopoNode } from './types.ts';

/** The id of the lab's LAN node. */
export const lanId = 'lan';

/**
 * The fallback devices the kernel puts in EVERY namespace once the gre / ip6 tunnel modules are
 * loaded (`gre0`, `gretap0`, `erspan0`...), and Open vSwitch's datapath devices: not the learner's,
 * and drawn in every box they would bury what is.
 */
const kernelDevices = new Set([
  'gre0',
  'gretap0',
  'erspan0',
  'ip6gre0',
  'ip6tnl0',
  'sit0',
  'tunl0',
  'ip_vti0',
  'ip6_vti0',
]);
const ovsDatapath = new Set(['ovs-system', 'gre_sys', 'vxlan_sys_4789', 'genev_sys_6081']);

/** No remote end set: iproute2 says `any`, or `0.0.0.0` / `::` depending on its version. */
export const unset = (remote: string | number | undefined): boolean =>
  remote === undefined || remote === 'any' || remote === '0.0.0.0' || remote === '::';

function hidden(l: Link): boolean {
  if (ovsDatapath.has(l.name)) return true;
  return kernelDevices.has(l.name) && unset(l.data?.remote);
}

/** `UP`, `DOWN` or `NO-CARRIER` the way `ip link` shows them: up without carrier is NO-CARRIER. */
export function linkState(l: Link): string {
  if (!l.up) return 'DOWN';
  if (!l.lowerUp) return 'NO-CARRIER';
  return l.operstate === 'UNKNOWN' ? 'UNKNOWN' : 'UP';
}

const interesting = (cidr: string): boolean => !cidr.startsWith('fe80:');

export function hostNodeId(host: string): string {
  return host;
}

/**
 * The namespace's id and display name: a container's namespace is named by its container (the one
 * that made it, not those that joined it), a named one by `ip netns`, the host's as `host`.
 */
function nsKey(host: string, ns: NetNamespace, owner: Container | undefined): { id: string; name: string } {
  if (ns.host) return { id: `${host}/ns:host`, name: host };
  if (owner) return { id: `${host}/ctr:${owner.name}`, name: owner.name };
  if (ns.names.length) return { id: `${host}/ns:${ns.names[0]}`, name: ns.names[0]! };
  return { id: `${host}/ns:#${ns.id}`, name: ns.pids.length ? `pid ${ns.pids[0]}` : `#${ns.id}` };
}

/** The container that made a namespace: one whose network mode is not `container:…` or `host`. */
function ownerOf(ns: NetNamespace, byName: Map<string, Container>): Container | undefined {
  const cs = ns.containers.map((n) => byName.get(n)).filter((c): c is Container => !!c);
  return cs.find((c) => !c.networkMode.startsWith('container:') && c.networkMode !== 'host') ?? cs[0];
}

function containerFacts(c: Container): Partial<TopoNode> {
  const ports = Object.entries(c.ports).flatMap(([port, binds]) =>
    binds.map((b) => `${b.hostIp || '0.0.0.0'}:${b.hostPort}→${port}`),
  );
  const networks = Object.entries(c.networks).map(([n, v]) => (v.ip ? `${n} ${v.ip}/${v.prefixLen}` : n));
  const mounts = c.mounts.map(
    (m) => `${m.type === 'volume' ? `volume ${m.name}` : m.source} → ${m.destination}${m.rw ? '' : ' (ro)'}`,
  );
  return {
    image: c.image,
    state: c.running ? 'running' : c.status,
    ...(ports.length ? { ports } : {}),
    ...(networks.length ? { networks } : {}),
    ...(mounts.length ? { mounts } : {}),
  };
}

function defaultRoute(ns: NetNamespace): string | undefined {
  const r = ns.routes.find((r) => r.dst === 'default' && r.table === 'main');
  if (!r) return undefined;
  return [r.gateway && `via ${r.gateway}`, r.dev && `dev ${r.dev}`].filter(Boolean).join(' ') || 'default';
}

/** `172.17.0.2` is in `172.17.0.0/16`? IPv4 only (Docker's NAT rules here are IPv4). */
export function inSubnet(ip: string, cidr: string): boolean {
  const [net, bits = '32'] = cidr.replace(/^!/, '').split('/');
  const a = v4(ip);
  const b = v4(net ?? '');
  if (a === null || b === null) return false;
  const n = Number(bits);
  const mask = n === 0 ? 0 : (~0 << (32 - n)) >>> 0;
  return (a & mask) >>> 0 === (b & mask) >>> 0;
}

function v4(s: string): number | null {
  const p = s.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) return null;
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}

function natFact(r: IptablesRule): NatFact | null {
  if (r.table !== 'nat') return null;
  if (r.target === 'DNAT' && r.toDestination) {
    const proto = r.protocol ?? '';
    return { type: 'DNAT', text: `${proto} :${r.dport ?? '*'} → ${r.toDestination}`.trim(), rule: r.raw };
  }
  if (r.target === 'MASQUERADE' || r.target === 'SNAT') {
    // Docker's hairpin rule (-s X/32 -d X/32 --dport P) is a detail of -p, not the bridge's masquerade.
    if (r.source && r.destination && r.source === r.destination) return null;
    const out = r.out ? (r.out.startsWith('!') ? ` ! -o ${r.out.slice(1)}` : ` -o ${r.out}`) : '';
    const to = r.target === 'SNAT' && r.toSource ? ` → ${r.toSource}` : '';
    return { type: r.target, text: `${r.source ?? 'any'}${out}${to}`, rule: r.raw };
  }
  return null;
}

/** The graph of one VM. Its NICs are wired to the `lan` node, which hostGraph itself does not add. */
export function hostGraph(host: string, s: HostState): Graph {
  const nodes: TopoNode[] = [];
  const edges: TopoEdge[] = [];
  const hostId = hostNodeId(host);
  nodes.push({ id: hostId, kind: 'host', name: s.hostname || host, host });
  const containers = new Map(s.docker.containers.map((c) => [c.name, c]));
  // Interface node ids by namespace inode and name, to resolve veth peers and bridge masters.
  const ifId = new Map<string, string>();
  const nsIds = new Map<number, string>();
  const owners = new Map<number, Container | undefined>();
  for (const ns of s.namespaces) {
    const owner = ns.host ? undefined : ownerOf(ns, containers);
    owners.set(ns.id, owner);
    const k = nsKey(host, ns, owner);
    nsIds.set(ns.id, k.id);
    for (const l of ns.links) ifId.set(`${ns.id}/${l.name}`, `${k.id}/if:${l.name}`);
  }
  const ovsPorts = new Map<string, string>(); // port name → OVS bridge name
  for (const b of s.ovs.bridges) for (const p of b.ports) if (p.name !== b.name) ovsPorts.set(p.name, b.name);
  const ovsBridges = new Set(s.ovs.bridges.map((b) => b.name));

  const nat = s.iptables.rules.map(natFact).filter((f): f is NatFact => !!f);
  const hostNs = s.namespaces.find((n) => n.host);

  for (const ns of s.namespaces) {
    const nsId = nsIds.get(ns.id)!;
    const owner = owners.get(ns.id);
    const route = defaultRoute(ns);
    const names = ns.names.length ? { netnsNames: ns.names } : {};
    if (owner) {
      nodes.push({
        id: nsId,
        kind: 'container',
        name: owner.name,
        host,
        parent: hostId,
        ...containerFacts(owner),
        ...(route ? { defaultRoute: route } : {}),
        ...names,
      });
    } else {
      nodes.push({
        id: nsId,
        kind: 'netns',
        name: nsKey(host, ns, undefined).name,
        host,
        parent: hostId,
        flavor: ns.host ? 'host' : ns.names.length ? 'named' : 'unnamed',
        ...(route ? { defaultRoute: route } : {}),
        ...names,
      });
    }
    for (const l of ns.links) {
      if (hidden(l)) continue;
      const id = ifId.get(`${ns.id}/${l.name}`)!;
      const addrs = l.addrs.filter(interesting);
      const bridge = l.kind === 'bridge' || (l.kind === 'openvswitch' && ovsBridges.has(l.name));
      const node: TopoNode = {
        id,
        kind: bridge ? 'bridge' : 'interface',
        name: l.name,
        host,
        parent: nsId,
        flavor: bridge ? (l.kind === 'bridge' ? 'linux' : 'ovs') : l.kind,
        state: linkState(l),
        mac: l.mac,
        mtu: l.mtu,
        ...(addrs.length ? { addrs } : {}),
      };
      if (bridge) {
        const masq = nat.filter(
          (f) => f.type !== 'DNAT' && addrs.some((a) => f.text.startsWith(networkOf(a) ?? '\0')),
        );
        if (masq.length) node.nat = masq;
      }
      if ((l.kind === 'vxlan' || l.kind === 'gre' || l.kind === 'gretap' || l.kind === 'geneve') && l.data) {
        const remote = l.data.remote ?? l.data.group;
        node.tunnel = [
          !unset(remote) && `remote ${remote}`,
          l.data.id !== undefined && `vni ${l.data.id}`,
          l.data.ikey !== undefined && `key ${l.data.ikey}`,
        ]
          .filter(Boolean)
          .join(' ');
      }
      nodes.push(node);
      // Bridge port: a Linux master in the same namespace, or a port of an OVS bridge.
      const master = l.master && l.master !== 'ovs-system' ? l.master : ovsPorts.get(l.name);
      if (master) {
        const b = ifId.get(`${ns.id}/${master}`);
        if (b) edges.push({ id: `port:${id}`, kind: 'bridge-port', a: id, b });
      }
      // Veth: each pair once, from the end whose id sorts first; the peer must have been seen.
      if (l.kind === 'veth' && l.peer?.name && l.peer.ns !== undefined) {
        const peer = ifId.get(`${l.peer.ns}/${l.peer.name}`);
        if (peer && id < peer) edges.push({ id: `veth:${id}|${peer}`, kind: 'veth', a: id, b: peer });
      }
      if ((l.kind === 'macvlan' || l.kind === 'ipvlan') && l.peer?.name) {
        const lower = ifId.get(`${l.peer.ns ?? ns.id}/${l.peer.name}`);
        if (lower) edges.push({ id: `macvlan:${id}`, kind: 'macvlan', a: id, b: lower });
      }
      if (ns.host && l.kind === 'ether') edges.push({ id: `lan:${id}`, kind: 'lan', a: id, b: lanId });
    }
  }
  // OVS ports with no netdev of their own name (a GRE/VXLAN port lives in gre_sys): drawn as
  // interfaces of the host namespace, attached to their bridge.
  if (hostNs) {
    const hostNsId = nsIds.get(hostNs.id)!;
    for (const b of s.ovs.bridges)
      for (const p of b.ports) {
        if (p.name === b.name) continue;
        const id = `${hostNsId}/if:${p.name}`;
        const iface = p.interfaces[0];
        if (!nodes.some((n) => n.id === id)) {
          nodes.push({
            id,
            kind: 'interface',
            name: p.name,
            host,
            parent: hostNsId,
            flavor: iface?.type || 'ovs-port',
            ...(iface?.options.remote_ip ? { tunnel: `remote ${iface.options.remote_ip}` } : {}),
          });
          const bridge = ifId.get(`${hostNs.id}/${b.name}`);
          if (bridge) edges.push({ id: `port:${id}`, kind: 'bridge-port', a: id, b: bridge });
        }
        // An OVS port named like an existing netdev keeps that node; its tunnel options are added.
        const node = nodes.find((n) => n.id === id)!;
        if (iface?.options.remote_ip) node.tunnel ??= `remote ${iface.options.remote_ip}`;
      }
  }
  // Containers without a namespace of their own: stopped ones, and those sharing another's or the host's.
  for (const c of s.docker.containers) {
    const id = `${host}/ctr:${c.name}`;
    if (nodes.some((n) => n.id === id)) continue;
    nodes.push({ id, kind: 'container', name: c.name, host, parent: hostId, ...containerFacts(c) });
    const shared =
      c.networkMode === 'host' && hostNs
        ? nsIds.get(hostNs.id)
        : c.running && c.netns !== null
          ? nsIds.get(c.netns)
          : undefined;
    if (shared) edges.push({ id: `shares:${id}`, kind: 'shares-netns', a: id, b: shared });
  }
  // DNAT for -p: on the container whose address it forwards to.
  for (const f of nat.filter((f) => f.type === 'DNAT')) {
    const ip = f.text.split('→ ')[1]?.split(':')[0] ?? '';
    const target = nodes.find(
      (n) => n.kind === 'container' && n.networks?.some((x) => x.split(' ')[1]?.split('/')[0] === ip),
    );
    const at = target ?? nodes.find((n) => n.id === (hostNs ? nsIds.get(hostNs.id) : ''));
    if (at) (at.nat ??= []).push(f);
  }
  for (const v of s.docker.volumes) {
    nodes.push({ id: `${host}/vol:${v.name}`, kind: 'volume', name: v.name, host, parent: hostId });
  }
  for (const c of s.docker.containers)
    for (const m of c.mounts)
      if (m.type === 'volume' && m.name) {
        const vol = `${host}/vol:${m.name}`;
        const from = nodes.find((n) => n.kind === 'container' && n.name === c.name)!;
        if (nodes.some((n) => n.id === vol))
          edges.push({ id: `mount:${from.id}|${vol}|${m.destination}`, kind: 'mount', a: from.id, b: vol });
      }
  return { nodes, edges };
}

/** `172.17.0.1/16` → `172.17.0.0/16`. */
export function networkOf(cidr: string): string | null {
  const [ip, bits] = cidr.split('/');
  const n = v4(ip ?? '');
  if (n === null || bits === undefined) return null;
  const b = Number(bits);
  const mask = b === 0 ? 0 : (~0 << (32 - b)) >>> 0;
  const net = (n & mask) >>> 0;
  return `${[24, 16, 8, 0].map((s) => (net >>> s) & 255).join('.')}/${b}`;
}

/**
 * The whole lab: every host's graph, the LAN between them, and tunnels wired to their far end —
 * the matching tunnel interface on another host when there is one, else a `remote` node.
 */
export function labGraph(states: Record<string, HostState>): Graph {
  const nodes: TopoNode[] = [{ id: lanId, kind: 'lan', name: 'LAN', host: '' }];
  const edges: TopoEdge[] = [];
  for (const [host, s] of Object.entries(states)) {
    const g = hostGraph(host, s);
    nodes.push(...g.nodes);
    edges.push(...g.edges);
  }
  // Which host owns an address on the LAN (the NICs wired to it).
  const lanNics = new Set(edges.filter((e) => e.kind === 'lan').map((e) => e.a));
  const ownerOfIp = new Map<string, string>();
  for (const n of nodes)
    if (lanNics.has(n.id)) for (const a of n.addrs ?? []) ownerOfIp.set(a.split('/')[0]!, n.host);
  const tunnels = nodes.filter((n) => n.tunnel?.startsWith('remote '));
  for (const t of tunnels) {
    const remote = t.tunnel!.split(' ')[1]!;
    if (unset(remote)) continue;
    const farHost = ownerOfIp.get(remote);
    const far = farHost
      ? tunnels.find((o) => o.host === farHost && o.flavor === t.flavor && o.id !== t.id)
      : undefined;
    if (far) {
      if (t.id < far.id) edges.push({ id: `tunnel:${t.id}|${far.id}`, kind: 'tunnel', a: t.id, b: far.id });
    } else {
      const rid = farHost ? hostNodeId(farHost) : `remote:${remote}`;
      if (!farHost && !nodes.some((n) => n.id === rid))
        nodes.push({ id: rid, kind: 'remote', name: remote, host: '', tunnel: remote });
      edges.push({ id: `tunnel:${t.id}|${rid}`, kind: 'tunnel', a: t.id, b: rid });
    }
  }
  return { nodes, edges };
}

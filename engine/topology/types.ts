/**
 * The network topology of a lab as a graph: what `dockerlab sandbox topology --json` prints, what the
 * server sends the topology panel, and what the layout and the SVG renderer draw. Built from the
 * inspector's HostState by graph.ts. This file builds under both tsconfigs (no DOM, no Node).
 *
 * Ids are stable across snapshots: they are made of names (host, namespace name or container name,
 * interface name), never of inode numbers or ifindexes, except for an unnamed namespace (an
 * `unshare` process), which has nothing else to go by. So a diff or an animation can follow an
 * object from one snapshot to the next; an interface moved to another namespace gets a new id.
 */
import type { Text } from '../protocol.ts';

export type NodeKind =
  /** The wire between the VMs of a lab (every lab has one, even with a single VM). */
  | 'lan'
  /** One VM. */
  | 'host'
  /** A network namespace: the host's own, one made with `ip netns add`, or an unnamed one. */
  | 'netns'
  /** A Docker container; when it owns a network namespace, the box is that namespace too. */
  | 'container'
  /** A network interface (veth end, NIC, tunnel, macvlan, loopback...). */
  | 'interface'
  /** A Linux bridge or an Open vSwitch bridge. */
  | 'bridge'
  /** A Docker volume. */
  | 'volume'
  /** The far end of a tunnel that is not in this lab (or whose host was not inspected). */
  | 'remote';

export type EdgeKind =
  /** The two ends of a veth pair. */
  | 'veth'
  /** An interface enslaved to a bridge (Linux `master`, or an OVS port). */
  | 'bridge-port'
  /** A GRE / VXLAN / Geneve tunnel to its remote end. */
  | 'tunnel'
  /** A macvlan / ipvlan interface to its lower device. */
  | 'macvlan'
  /** A VM's NIC on the lab's LAN. */
  | 'lan'
  /** A container that joined another's namespace (`--network container:X`) or the host's. */
  | 'shares-netns'
  /** A container mounts a volume. */
  | 'mount';

/** A NAT rule Docker (or the learner) made, attached to the node it acts on. */
export interface NatFact {
  type: 'DNAT' | 'MASQUERADE' | 'SNAT';
  /** Short human form, e.g. `tcp :8080 → 172.17.0.2:80` or `172.17.0.0/16 → 出 eth0`. */
  text: string;
  /** The iptables-save line. */
  rule: string;
}

export interface TopoNode {
  id: string;
  kind: NodeKind;
  name: string;
  /** The VM it is on (`host1`); empty for the lan and remote nodes. */
  host: string;
  /** The enclosing box: a host's netns, a namespace's interfaces, ... */
  parent?: string;
  /** netns: `host`, `named`, `unnamed`; bridge: `linux`, `ovs`; interface: the link kind (`veth`, `ether`, `vxlan`...). */
  flavor?: string;
  /** interface: `UP`, `DOWN`, `NO-CARRIER`, `UNKNOWN`; container: `running`, `exited`, `created`, ... */
  state?: string;
  mac?: string;
  mtu?: number;
  /** CIDRs, IPv6 link-local ones left out (every interface has one; they say nothing). */
  addrs?: string[];
  /** netns / container: `via 172.17.0.1 dev eth0`. */
  defaultRoute?: string;
  /** netns: the `ip netns` names that refer to it (a container's namespace can have one too). */
  netnsNames?: string[];
  /** container: the image as named. */
  image?: string;
  /** container: `0.0.0.0:8080→80/tcp`. */
  ports?: string[];
  /** container: Docker networks it is on, `bridge 172.17.0.2`. */
  networks?: string[];
  /** container: `/root/data → /data (ro)`, `volume dbdata → /data`. */
  mounts?: string[];
  /** NAT rules acting here (DNAT on the container it forwards to, MASQUERADE on the bridge it hides). */
  nat?: NatFact[];
  /** tunnel interface: `remote 192.168.56.12 key 42`; remote node: the address. */
  tunnel?: string;
}

export interface TopoEdge {
  id: string;
  kind: EdgeKind;
  a: string;
  b: string;
}

export interface Graph {
  nodes: TopoNode[];
  edges: TopoEdge[];
}

export type ChangeCategory =
  | 'netns'
  | 'link'
  | 'address'
  | 'route'
  | 'bridge-port'
  | 'iptables'
  | 'mount'
  | 'container'
  | 'image'
  | 'volume'
  | 'network'
  | 'docker';

/** One thing a command changed, in plain words. */
export interface Change {
  category: ChangeCategory;
  op: 'added' | 'removed' | 'changed' | 'moved';
  host: string;
  text: Text;
  /** Graph node ids it concerns (in the new graph, or the old one for a removal), to highlight. */
  ids: string[];
}

/** What the server sends the topology panel after each command. */
export interface TopologyView {
  lessonId: string;
  takenAt: string;
  graph: Graph;
  /** Newest last: what each command changed, per step the learner was on. */
  history: HistoryEntry[];
}

export interface HistoryEntry {
  /** Increases by one per snapshot that changed something. */
  seq: number;
  step: number;
  takenAt: string;
  /**
   * The command(s) typed since the previous snapshot, from ~/.bash_history, when known; in a lab
   * of several VMs each starts with where it was typed (`host2$ ip link …`).
   */
  commands: string[];
  changes: Change[];
}

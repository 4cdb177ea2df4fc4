/**
 * The typed snapshot of one sandbox host, as printed by inspect.py in one exec round trip.
 * Field names are ours (camelCase), chosen for checks; the Python side trims Docker's and
 * iproute2's JSON down to them. Namespace ids are inodes of /proc/PID/ns/net, so a named netns,
 * a container's namespace and `container:X` sharing all resolve to one id.
 */

export interface Peer {
  /** ifindex of the other end (veth) or lower device, in its own namespace. */
  ifindex: number | null;
  /** Name of the other end, when it could be resolved (always, for a peer in the same namespace). */
  name?: string;
  /** Namespace id of the other end, when resolved. */
  ns?: number;
  /** The raw link-netnsid (meaningful only inside this link's namespace). */
  netnsid?: number;
}

export interface Link {
  ifindex: number;
  name: string;
  /** `veth`, `bridge`, `openvswitch`, `vxlan`, `gre`, `loopback`, `ether` (plain NIC)... */
  kind: string;
  /** Administratively up (`ip link set X up`). */
  up: boolean;
  /** Carrier present (for a veth: both ends up). */
  lowerUp: boolean;
  /** Promiscuous mode (`ip link set X promisc on`), which a macvlan's parent needs. */
  promisc?: boolean;
  operstate: string;
  mtu: number;
  mac: string;
  /** CIDR strings, e.g. `192.168.0.11/24`. */
  addrs: string[];
  /** The bridge (Linux or `ovs-system`) this link is a port of. */
  master?: string;
  slaveKind?: string;
  peer?: Peer;
  /** Tunnel/bridge details: vxlan id/remote/local/dstport, gre remote/local, stp_state, vlan id, macvlan mode. */
  data?: Record<string, string | number>;
}

export interface Route {
  /** `default` or a CIDR / address. */
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  scope?: string;
  src?: string;
  type?: string;
  table: string;
}

export interface NetNamespace {
  id: number;
  /** Names under /run/netns (`ip netns`) that refer to this namespace. */
  names: string[];
  /** The host's own (initial) namespace. */
  host: boolean;
  /** A few processes inside it. */
  pids: number[];
  /** Names of Docker containers whose process is in it. */
  containers: string[];
  links: Link[];
  routes: Route[];
}

export interface Process {
  pid: number;
  ppid: number;
  comm: string;
  args: string[];
  /** Namespace inodes by type: net, uts, pid, mnt, ipc, user, cgroup. */
  ns: Record<string, number>;
}

export interface IptablesRule {
  table: string;
  chain: string;
  raw: string;
  protocol?: string;
  source?: string;
  destination?: string;
  in?: string;
  out?: string;
  dport?: string;
  sport?: string;
  target?: string;
  toDestination?: string;
  toSource?: string;
  ctstate?: string;
}

export interface Socket {
  proto: string;
  addr: string;
  port: number;
  processes: { name: string; pid: number }[];
}

export interface OvsInterface {
  name: string;
  /** `internal`, `gre`, `vxlan`, `system`, ... */
  type: string;
  options: Record<string, string>;
}

export interface OvsBridge {
  name: string;
  ports: { name: string; interfaces: OvsInterface[] }[];
}

export interface Mount {
  type: string;
  name: string;
  source: string;
  destination: string;
  rw: boolean;
}

export interface Cgroup {
  path: string;
  memoryMax?: string;
  cpuWeight?: string;
  cpuMax?: string;
  pidsMax?: string;
}

export interface Container {
  id: string;
  name: string;
  /** The image as the learner named it (`nginx`, `df_test1:latest`, or an id). */
  image: string;
  imageId: string;
  created: string;
  status: string;
  running: boolean;
  exitCode: number;
  startedAt: string;
  finishedAt: string;
  restartCount: number;
  pid: number;
  netns: number | null;
  env: Record<string, string>;
  labels: Record<string, string>;
  cmd: string[];
  entrypoint: string[];
  tty: boolean;
  openStdin: boolean;
  workdir: string;
  user: string;
  hostname: string;
  exposedPorts: string[];
  /** `80/tcp` → host bindings. */
  ports: Record<string, { hostIp: string; hostPort: number }[]>;
  networkMode: string;
  networks: Record<
    string,
    { ip: string; prefixLen: number; gateway: string; mac: string; aliases: string[]; links: string[] }
  >;
  links: string[];
  volumesFrom: string[];
  restartPolicy: string;
  privileged: boolean;
  memory: number;
  memorySwap: number;
  cpuShares: number;
  nanoCpus: number;
  mounts: Mount[];
  cgroup?: Cgroup | null;
}

export interface Image {
  id: string;
  tags: string[];
  digests: string[];
  created: string;
  author: string;
  comment: string;
  parent: string;
  size: number;
  layers: number;
  /** Layer digests (RootFS.Layers), base first: a base image's list is a prefix of its children's. */
  rootfs?: string[];
  cmd: string[];
  entrypoint: string[];
  env: Record<string, string>;
  labels: Record<string, string>;
  exposedPorts: string[];
  volumes: string[];
  workdir: string;
  user: string;
  onBuild: string[];
  /** `docker history`, newest first; `created` in epoch seconds (absent in older fixtures). */
  history: { id: string; created?: number; createdBy: string; size: number; tags: string[] }[];
}

export interface DockerNetwork {
  id: string;
  name: string;
  driver: string;
  scope: string;
  internal: boolean;
  /** IPAM config; `ipRange` is `--fixed-cidr` on the default bridge. */
  subnets: { subnet: string; gateway: string; ipRange: string }[];
  options: Record<string, string>;
  labels: Record<string, string>;
}

export interface Volume {
  name: string;
  driver: string;
  mountpoint: string;
  labels: Record<string, string>;
}

export interface DaemonInfo {
  serverVersion: string;
  labels: string[];
  debug: boolean;
  loggingDriver: string;
  cgroupDriver: string;
  cgroupVersion: string;
  storageDriver: string;
  dockerRootDir: string;
  registryMirrors: string[];
  insecureRegistries: string[];
  containers: number;
  containersRunning: number;
  images: number;
  /** `inactive`, `active`, `pending`, ... */
  swarm: string;
  swarmManager: boolean;
}

export interface DockerState {
  /** False when the API on /var/run/docker.sock did not answer (dockerd stopped or broken). */
  running: boolean;
  error?: string;
  /** Null when dockerd is down, or when `info` was skipped (see InspectOptions). */
  info: DaemonInfo | null;
  /** Parts this snapshot left out on purpose. */
  skipped: Skippable[];
  daemonJson: { present: boolean; text: string; config?: Record<string, unknown>; error?: string };
  containers: Container[];
  images: Image[];
  networks: DockerNetwork[];
  volumes: Volume[];
}

/**
 * Parts of a snapshot (the same words as the check kinds' `reads`). A caller asks for the parts
 * it reads (InspectOptions.parts); the others keep their empty shape. inspect.py adds what a part
 * needs: `namespaces` brings `containers` (each namespace names its containers), `images` and
 * `imageHistory` come together.
 */
export const parts = [
  'namespaces',
  'processes',
  'hostNs',
  'iptables',
  'sysctl',
  'sockets',
  'ovs',
  'containers',
  'images',
  'imageHistory',
  'daemonInfo',
  'daemonJson',
  'networks',
  'volumes',
  'commands',
] as const;
export type Part = (typeof parts)[number];

/** Parts named by what `docker.skipped` says is missing (`history` is the images' history). */
export type Skippable = 'info' | 'images' | 'history';

export interface ShellCommand {
  /** `$?` after the line: the status of its last pipeline. */
  status: number;
  /** `PIPESTATUS` of the last pipeline that ran, one status per part. */
  pipe: number[];
  /** When the line was entered (epoch seconds, from bash's history timestamp). */
  t: number;
  /** The line as typed (newlines turned into spaces). */
  cmd: string;
}

export interface HostState {
  version: 1;
  hostname: string;
  takenAt: string;
  /** Time inside the guest script. */
  elapsedMs: number;
  /** The parts this snapshot holds (absent in recordings made before snapshots had parts: all). */
  parts?: Part[];
  /** Parts that could not be read; the rest of the snapshot is still valid. */
  errors: string[];
  /** The host namespace first. */
  namespaces: NetNamespace[];
  processes: Process[];
  /** Namespace inodes of the host itself (the inspector runs in them), to tell "new" namespaces apart. */
  hostNs: Record<string, number>;
  iptables: {
    available: boolean;
    rules: IptablesRule[];
    policies: { table: string; chain: string; policy: string }[];
  };
  sockets: Socket[];
  ovs: { running: boolean; bridges: OvsBridge[] };
  sysctl: Record<string, string>;
  docker: DockerState;
  /** ~/.bash_history, oldest first; `t` is the HISTTIMEFORMAT timestamp when present. */
  history: { t: number | null; cmd: string }[];
  /**
   * Commands root's interactive shell finished, oldest first, with their exit status (written by
   * guest/bashrc to /root/.dockerlab_commands). Null when the file does not exist; absent in
   * snapshots from before it existed.
   */
  commands?: ShellCommand[] | null;
  /** Milliseconds since the script started, at the end of each phase (for the benchmark). */
  phases?: Record<string, number>;
}

export { inspectHost, inspectLab, type InspectOptions } from './inspect.ts';

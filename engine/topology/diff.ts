/**
 * State → diff: what changed between two snapshots of one VM, as sentences a teacher would say
 * ("新建了 veth 对 veth-ns1 ↔ veth-ns2", "veth-ns1 移到了命名空间 ns1 里"). Compares the kernel's and
 * Docker's state, not the graph, so it also sees iptables rules, routes, images and volumes.
 *
 * Noise left out on purpose: IPv6 link-local addresses and the kernel's own routes (they follow
 * from an address), and what a new container or namespace brings with it (its `lo`, its eth0, the
 * host end of its veth): "新建了容器 web" already says it.
 */
import type { Container, HostState, IptablesRule, Link, NetNamespace } from '../inspect/types.ts';
import type { Text } from '../protocol.ts';
import type { Change, ChangeCategory } from './types.ts';
import { linkState } from './graph.ts';
import { spaced } from './zh.ts';

export { spaced };

interface NsInfo {
  ns: NetNamespace;
  /** Stable key: `host`, a container name, an `ip netns` name or `#inode`. */
  key: string;
  id: string;
  /** How to say it: 主机的命名空间 / 命名空间 ns1 / 容器 web. */
  zh: string;
  en: string;
  container?: string;
}

interface LinkAt {
  l: Link;
  at: NsInfo;
  id: string;
}

function namespaces(host: string, s: HostState): Map<number, NsInfo> {
  const byName = new Map(s.docker.containers.map((c) => [c.name, c]));
  const out = new Map<number, NsInfo>();
  for (const ns of s.namespaces) {
    const cs = ns.containers.map((n) => byName.get(n)).filter((c): c is Container => !!c);
    const owner =
      cs.find((c) => !c.networkMode.startsWith('container:') && c.networkMode !== 'host') ?? cs[0];
    if (ns.host)
      out.set(ns.id, {
        ns,
        key: 'host',
        id: `${host}/ns:host`,
        zh: '主机的命名空间',
        en: "the host's namespace",
      });
    else if (owner)
      out.set(ns.id, {
        ns,
        key: `ctr:${owner.name}`,
        id: `${host}/ctr:${owner.name}`,
        zh: `容器 ${owner.name}`,
        en: `container ${owner.name}`,
        container: owner.name,
      });
    else {
      const name = ns.names[0] ?? `#${ns.id}`;
      out.set(ns.id, {
        ns,
        key: `ns:${name}`,
        id: `${host}/ns:${name}`,
        zh: `命名空间 ${name}`,
        en: `namespace ${name}`,
      });
    }
  }
  return out;
}

function links(nss: Map<number, NsInfo>): LinkAt[] {
  return [...nss.values()].flatMap((at) => at.ns.links.map((l) => ({ l, at, id: `${at.id}/if:${l.name}` })));
}

/** More iptables rules than this in one table and one direction are said in one sentence. */
const maxRulesNamed = 3;
const natTargets = new Set(['DNAT', 'SNAT', 'MASQUERADE']);

const kernelDevices =
  /^(gre0|gretap0|erspan0|ip6gre0|ip6tnl0|sit0|tunl0|ip_vti0|ip6_vti0|ovs-system|gre_sys)$/;
const addrs = (l: Link): string[] => l.addrs.filter((a) => !a.startsWith('fe80:'));

export function diffStates(host: string, before: HostState, after: HostState): Change[] {
  const out: Change[] = [];
  const add = (category: ChangeCategory, op: Change['op'], text: Text, ids: string[] = []): void => {
    out.push({ category, op, host, text: { zh: spaced(text.zh), en: text.en }, ids });
  };
  const nsA = namespaces(host, before);
  const nsB = namespaces(host, after);
  // `ip netns del ns1; ip netns add ns1` makes a new namespace under the old name: the old one's
  // key gets its inode, so what was in it reads as gone and what is in the new one as new.
  const recreated = new Set<string>();
  for (const a of nsA.values()) {
    const b = [...nsB.values()].find((x) => x.key === a.key);
    if (b && !a.container && a.key !== 'host' && b.ns.id !== a.ns.id) {
      recreated.add(a.key);
      a.key = `${a.key}@${a.ns.id}`;
    }
  }
  const keysA = new Map([...nsA.values()].map((n) => [n.key, n]));
  const keysB = new Map([...nsB.values()].map((n) => [n.key, n]));

  // Docker first: a new container explains its namespace, veth and rules. With dockerd down on
  // either side its lists are empty, which says nothing about what exists: not compared then.
  const docker = before.docker.running && after.docker.running;
  const cA = new Map(docker ? before.docker.containers.map((c) => [c.name, c]) : []);
  const cB = new Map(docker ? after.docker.containers.map((c) => [c.name, c]) : []);
  const newContainers = new Set([...cB.keys()].filter((n) => !cA.has(n)));
  const goneContainers = new Set([...cA.keys()].filter((n) => !cB.has(n)));
  for (const name of newContainers) {
    const c = cB.get(name)!;
    const nets = Object.entries(c.networks).map(([n, v]) => (v.ip ? `${n}（${v.ip}）` : n));
    const netsEn = Object.entries(c.networks).map(([n, v]) => (v.ip ? `${n} (${v.ip})` : n));
    // A port published on 0.0.0.0 and on :: is one port to the learner.
    const ports = [
      ...new Set(Object.entries(c.ports).flatMap(([p, bs]) => bs.map((b) => `${b.hostPort}→${p}`))),
    ];
    const zh = [
      `新建了容器 ${name}（镜像 ${c.image}，${c.running ? '正在运行' : `已停止，退出码 ${c.exitCode}`}）`,
      nets.length ? `，接在网络${nets.join('、')}上` : '',
      ports.length ? `，发布端口 ${ports.join('、')}` : '',
    ].join('');
    const en = [
      `created container ${name} (image ${c.image}, ${c.running ? 'running' : `stopped, exit code ${c.exitCode}`})`,
      netsEn.length ? `, on network ${netsEn.join(', ')}` : '',
      ports.length ? `, publishing ${ports.join(', ')}` : '',
    ].join('');
    add('container', 'added', { zh, en }, [`${host}/ctr:${name}`]);
    for (const m of c.mounts) {
      const src = m.type === 'volume' ? `数据卷 ${m.name}` : m.source;
      const srcEn = m.type === 'volume' ? `volume ${m.name}` : m.source;
      add(
        'mount',
        'added',
        {
          zh: `容器${name}把${src}挂载到了${m.destination}${m.rw ? '' : '（只读）'}`,
          en: `container ${name} mounts ${srcEn} at ${m.destination}${m.rw ? '' : ' (read-only)'}`,
        },
        [`${host}/ctr:${name}`],
      );
    }
  }
  for (const name of goneContainers)
    add('container', 'removed', { zh: `删除了容器 ${name}`, en: `removed container ${name}` }, [
      `${host}/ctr:${name}`,
    ]);
  for (const [name, b] of cB) {
    const a = cA.get(name);
    if (!a) continue;
    const id = [`${host}/ctr:${name}`];
    if (a.running !== b.running)
      add(
        'container',
        'changed',
        b.running
          ? { zh: `容器 ${name} 启动了`, en: `container ${name} started` }
          : {
              zh: `容器 ${name} 停止了（退出码 ${b.exitCode}）`,
              en: `container ${name} stopped (exit code ${b.exitCode})`,
            },
        id,
      );
    else if (a.running && a.startedAt !== b.startedAt)
      add('container', 'changed', { zh: `容器 ${name} 重启了`, en: `container ${name} restarted` }, id);
    for (const n of Object.keys(b.networks))
      if (!(n in a.networks))
        add(
          'container',
          'changed',
          { zh: `容器 ${name} 连上了网络 ${n}`, en: `container ${name} joined network ${n}` },
          id,
        );
    for (const n of Object.keys(a.networks))
      if (!(n in b.networks))
        add(
          'container',
          'changed',
          { zh: `容器 ${name} 离开了网络 ${n}`, en: `container ${name} left network ${n}` },
          id,
        );
  }

  // Namespaces (a container's comes and goes with the container).
  for (const [k, n] of keysB)
    if (recreated.has(k))
      add(
        'netns',
        'changed',
        {
          zh: `删掉又重新建了${n.zh}（旧的和里面的网卡一起没了）`,
          en: `deleted and re-created ${n.en} (the old one went with its interfaces)`,
        },
        [n.id],
      );
    else if (!keysA.has(k) && !n.container)
      add('netns', 'added', { zh: `新建了${n.zh}`, en: `created ${n.en}` }, [n.id]);
  for (const [k, n] of keysA)
    if (!keysB.has(k) && !n.container && !recreated.has(k.split('@')[0]!))
      add('netns', 'removed', { zh: `删除了${n.zh}`, en: `deleted ${n.en}` }, [n.id]);

  // Links, matched by namespace and name; one that vanished here and appeared there with the same
  // MAC moved (a veth end keeps its MAC when `ip link set X netns Y` moves it).
  const lA = links(nsA).filter((x) => !kernelDevices.test(x.l.name));
  const lB = links(nsB).filter((x) => !kernelDevices.test(x.l.name));
  const key = (x: LinkAt) => `${x.at.key}\0${x.l.name}`;
  const mA = new Map(lA.map((x) => [key(x), x]));
  const mB = new Map(lB.map((x) => [key(x), x]));
  const added = lB.filter((x) => !mA.has(key(x)));
  const removed = lA.filter((x) => !mB.has(key(x)));
  const moved: [LinkAt, LinkAt][] = [];
  for (const b of [...added]) {
    // udev gives a re-made link of the same name the same MAC (MACAddressPolicy=persistent), so a
    // link only moved if the namespace it left still exists.
    const a = removed.find(
      (r) =>
        r.l.mac === b.l.mac &&
        r.l.kind === b.l.kind &&
        r.l.mac !== '00:00:00:00:00:00' &&
        nsB.has(r.at.ns.id) &&
        nsB.get(r.at.ns.id)!.key === r.at.key,
    );
    if (!a) continue;
    moved.push([a, b]);
    added.splice(added.indexOf(b), 1);
    removed.splice(removed.indexOf(a), 1);
  }
  // What comes with a new namespace or container, or leaves with one, is not news.
  const bornWith = (x: LinkAt, known: Map<string, NsInfo>, containers: Set<string>): boolean => {
    if (x.at.container && containers.has(x.at.container)) return true;
    if (!known.has(x.at.key) && x.l.kind === 'loopback') return true;
    // The host end of a new container's veth.
    const peer = peerNs(x, nsA, nsB);
    return !!(peer?.container && containers.has(peer.container));
  };
  const pairs = new Set<LinkAt>();
  // Links added or removed one by one, per namespace and kind: a handful are named one by one,
  // more become one sentence (dockerd restarting drops a dozen container veths at once).
  const buckets = new Map<string, { op: 'added' | 'removed'; xs: LinkAt[] }>();
  const bucket = (x: LinkAt, op: 'added' | 'removed'): void => {
    const k = `${op}\0${x.at.key}\0${x.l.kind}`;
    const b = buckets.get(k) ?? { op, xs: [] };
    b.xs.push(x);
    buckets.set(k, b);
  };
  const flush = (): void => {
    for (const { op, xs } of buckets.values()) {
      const x = xs[0]!;
      if (xs.length > 3) {
        const names = `${xs
          .slice(0, 3)
          .map((y) => y.l.name)
          .join('、')}…`;
        const namesEn = `${xs
          .slice(0, 3)
          .map((y) => y.l.name)
          .join(', ')}, …`;
        add(
          'link',
          op,
          op === 'added'
            ? {
                zh: `在${x.at.zh}里新建了 ${xs.length} 个${kindZh(x.l)}（${names}）`,
                en: `created ${xs.length} ${kindEn(x.l)}s in ${x.at.en} (${namesEn})`,
              }
            : {
                zh: `${x.at.zh}里的 ${xs.length} 个${kindZh(x.l)}没了（${names}）`,
                en: `${xs.length} ${kindEn(x.l)}s are gone from ${x.at.en} (${namesEn})`,
              },
          xs.map((y) => y.id),
        );
        continue;
      }
      for (const y of xs)
        add(
          'link',
          op,
          op === 'added'
            ? {
                zh: `在${y.at.zh}里新建了${kindZh(y.l)} ${y.l.name}`,
                en: `created ${kindEn(y.l)} ${y.l.name} in ${y.at.en}`,
              }
            : { zh: `${y.at.zh}里的 ${y.l.name} 没了`, en: `${y.l.name} is gone from ${y.at.en}` },
          [y.id],
        );
    }
  };
  for (const x of added) {
    if (bornWith(x, keysA, newContainers) || pairs.has(x)) continue;
    if (x.l.kind === 'veth') {
      const peer = added.find(
        (y) => y !== x && y.l.kind === 'veth' && y.l.name === x.l.peer?.name && x.l.peer?.ns === y.at.ns.id,
      );
      if (peer) {
        pairs.add(peer);
        const [x1, x2] = [x, peer].sort((p, q) => p.l.name.localeCompare(q.l.name)) as [LinkAt, LinkAt];
        add(
          'link',
          'added',
          {
            zh: `新建了 veth 对 ${x1.l.name} ↔ ${x2.l.name}${where(x1, x2, 'zh')}`,
            en: `created veth pair ${x1.l.name} ↔ ${x2.l.name}${where(x1, x2, 'en')}`,
          },
          [x1.id, x2.id],
        );
        continue;
      }
    }
    bucket(x, 'added');
  }
  // A container that stopped (or went with dockerd) takes its namespace, and the host end of its
  // veth, with it: said once per container by the Docker part above, or in one sentence here.
  const goneBoxes = new Set(
    [...keysA.values()].filter((n) => n.container && !keysB.has(n.key)).map((n) => n.key),
  );
  const withGoneBox = (x: LinkAt): boolean => {
    if (goneBoxes.has(x.at.key)) return true;
    const peer = x.l.peer?.ns !== undefined ? nsA.get(x.l.peer.ns) : undefined;
    return !!peer && goneBoxes.has(peer.key);
  };
  if (goneBoxes.size && !docker)
    add(
      'container',
      'removed',
      {
        zh: `${goneBoxes.size} 个容器的网络命名空间没了（容器停了），它们接在网桥上的 veth 端口也跟着没了`,
        en: `${goneBoxes.size} containers' network namespaces are gone (the containers stopped), and their veth ports on the bridges with them`,
      },
      [...goneBoxes].map((k) => `${host}/${k}`),
    );
  for (const x of removed) {
    if (bornWith(x, keysB, goneContainers) || pairs.has(x) || withGoneBox(x)) continue;
    // A namespace deleted takes its links with it: say so once, for the ones worth naming.
    if (!keysB.has(x.at.key) && x.l.kind === 'loopback') continue;
    if (x.l.kind === 'veth') {
      const peer = removed.find((y) => y !== x && y.l.kind === 'veth' && y.l.name === x.l.peer?.name);
      if (peer) {
        pairs.add(peer);
        const [n1, n2] = [x.l.name, peer.l.name].sort();
        add(
          'link',
          'removed',
          { zh: `删除了 veth 对 ${n1} ↔ ${n2}`, en: `deleted veth pair ${n1} ↔ ${n2}` },
          [x.id, peer.id],
        );
        continue;
      }
    }
    bucket(x, 'removed');
  }
  flush();
  for (const [a, b] of moved) {
    const renamed = a.l.name !== b.l.name;
    add(
      'link',
      'moved',
      {
        zh: `${a.l.name} 移到了${b.at.zh}里${renamed ? `，改名为 ${b.l.name}` : ''}`,
        en: `${a.l.name} moved into ${b.at.en}${renamed ? `, renamed ${b.l.name}` : ''}`,
      },
      [b.id],
    );
  }
  // Changes on links that stayed (and on moved ones: a move brings a link down).
  const stayed: [LinkAt, LinkAt][] = [
    ...lB.filter((b) => mA.has(key(b))).map((b): [LinkAt, LinkAt] => [mA.get(key(b))!, b]),
    ...moved,
  ];
  // A name more than one namespace has (lo, a container's eth0) says where it is.
  const count = new Map<string, number>();
  for (const x of lB) count.set(x.l.name, (count.get(x.l.name) ?? 0) + 1);
  const said = (x: LinkAt): { zh: string; en: string } =>
    (count.get(x.l.name) ?? 0) > 1 && x.at.key !== 'host'
      ? { zh: `${x.at.zh}里的 ${x.l.name}`, en: `${x.l.name} in ${x.at.en}` }
      : { zh: x.l.name, en: x.l.name };
  for (const [a, b] of stayed) {
    if (b.at.container && newContainers.has(b.at.container)) continue;
    const { zh: n, en: nEn } = said(b);
    const sa = linkState(a.l);
    const sb = linkState(b.l);
    if (sa !== sb)
      add(
        'link',
        'changed',
        { zh: `${n} 的状态从 ${sa} 变成了 ${sb}`, en: `${nEn} went from ${sa} to ${sb}` },
        [b.id],
      );
    if (a.l.master !== b.l.master) {
      if (b.l.master)
        add(
          'bridge-port',
          'added',
          { zh: `${n} 接到了网桥 ${b.l.master} 上`, en: `${nEn} was attached to bridge ${b.l.master}` },
          [b.id],
        );
      else
        add(
          'bridge-port',
          'removed',
          { zh: `${n} 从网桥 ${a.l.master} 上拔下来了`, en: `${nEn} was detached from bridge ${a.l.master}` },
          [b.id],
        );
    }
    if (a.l.mtu !== b.l.mtu)
      add(
        'link',
        'changed',
        {
          zh: `${n} 的 MTU 从 ${a.l.mtu} 改成了 ${b.l.mtu}`,
          en: `${nEn}'s MTU went from ${a.l.mtu} to ${b.l.mtu}`,
        },
        [b.id],
      );
    for (const ip of addrs(b.l))
      if (!addrs(a.l).includes(ip))
        add('address', 'added', { zh: `${n} 有了地址 ${ip}`, en: `${nEn} got address ${ip}` }, [b.id]);
    for (const ip of addrs(a.l))
      if (!addrs(b.l).includes(ip))
        add('address', 'removed', { zh: `${n} 的地址 ${ip} 没了`, en: `${nEn} lost address ${ip}` }, [b.id]);
  }
  // Addresses and bridges of links born in this step (ip link add, then addr add or master).
  for (const x of added) {
    if (bornWith(x, keysA, newContainers)) continue;
    const { zh: n, en: nEn } = said(x);
    for (const ip of addrs(x.l))
      add('address', 'added', { zh: `${n} 有了地址 ${ip}`, en: `${nEn} got address ${ip}` }, [x.id]);
    if (x.l.master && x.l.master !== 'ovs-system')
      add(
        'bridge-port',
        'added',
        { zh: `${n} 接到了网桥 ${x.l.master} 上`, en: `${nEn} was attached to bridge ${x.l.master}` },
        [x.id],
      );
  }

  // Routes, per namespace, the kernel's own (from an address) left out.
  for (const [k, nb] of keysB) {
    if (nb.container && newContainers.has(nb.container)) continue;
    const na = keysA.get(k);
    const rk = (r: NetNamespace['routes'][number]) => `${r.table} ${r.dst} ${r.gateway ?? ''} ${r.dev ?? ''}`;
    const user = (rs: NetNamespace['routes']) =>
      rs.filter((r) => r.protocol !== 'kernel' && !r.dst.startsWith('fe80:') && r.type !== 'multicast');
    const ra = new Set(user(na?.ns.routes ?? []).map(rk));
    const rb = new Set(user(nb.ns.routes).map(rk));
    for (const r of user(nb.ns.routes))
      if (!ra.has(rk(r)))
        add(
          'route',
          'added',
          { zh: `${nb.zh}里加了路由 ${routeText(r)}`, en: `added route ${routeText(r)} in ${nb.en}` },
          [nb.id],
        );
    if (na)
      for (const r of user(na.ns.routes))
        if (!rb.has(rk(r)))
          add(
            'route',
            'removed',
            {
              zh: `${nb.zh}里的路由 ${routeText(r)} 没了`,
              en: `route ${routeText(r)} is gone from ${nb.en}`,
            },
            [nb.id],
          );
  }

  // iptables rules, by table and full text: a few named one by one; more in one table (dockerd
  // moving to another bridge rewrites eight rules per bridge) in one sentence naming the
  // interfaces they are about.
  const rA = new Set(before.iptables.rules.map((r) => `${r.table}\0${r.raw}`));
  const rB = new Set(after.iptables.rules.map((r) => `${r.table}\0${r.raw}`));
  const rules = (op: 'added' | 'removed', rs: IptablesRule[]): void => {
    for (const table of [...new Set(rs.map((r) => r.table))]) {
      const inTable = rs.filter((r) => r.table === table);
      const verb = op === 'added' ? { zh: '加了', en: 'added' } : { zh: '删了', en: 'removed' };
      // Only the plumbing of a bridge is grouped (rules that name an interface): address
      // translation (a -p, a network's MASQUERADE), which the diagram shows too, and rules like a
      // learner's DOCKER-USER DROP are always named.
      const plumbing = (r: IptablesRule) => !natTargets.has(r.target ?? '') && /-[io] \S/.test(r.raw);
      const group = inTable.filter(plumbing);
      const one = group.length <= maxRulesNamed ? inTable : inTable.filter((r) => !plumbing(r));
      for (const r of one)
        add(
          'iptables',
          op,
          {
            zh: `iptables ${table} 表${verb.zh}规则：${r.raw}`,
            en: `iptables ${table} table: ${verb.en} ${r.raw}`,
          },
          [],
        );
      if (group.length <= maxRulesNamed) continue;
      const all = [...new Set(group.flatMap((r) => [...r.raw.matchAll(/-[io] (\S+)/g)].map((m) => m[1]!)))];
      const about = all.length <= 2 ? all : [];
      add(
        'iptables',
        op,
        {
          zh: `iptables ${table} 表${verb.zh} ${group.length} 条规则${about.length ? `，都和 ${about.join('、')} 有关` : ''}（${group[0]!.raw} 等）`,
          en: `iptables ${table} table: ${verb.en} ${group.length} rules${about.length ? `, all about ${about.join(' and ')}` : ''} (${group[0]!.raw}, …)`,
        },
        about.map((d) => `${host}/ns:host/if:${d}`),
      );
    }
  };
  rules(
    'added',
    after.iptables.rules.filter((r) => !rA.has(`${r.table}\0${r.raw}`)),
  );
  rules(
    'removed',
    before.iptables.rules.filter((r) => !rB.has(`${r.table}\0${r.raw}`)),
  );
  for (const p of after.iptables.policies) {
    const old = before.iptables.policies.find((q) => q.table === p.table && q.chain === p.chain);
    if (old && old.policy !== p.policy)
      add(
        'iptables',
        'changed',
        {
          zh: `iptables ${p.table} 表 ${p.chain} 链的默认策略从 ${old.policy} 改成了 ${p.policy}`,
          en: `iptables ${p.table} ${p.chain} policy went from ${old.policy} to ${p.policy}`,
        },
        [],
      );
  }

  // Bridges made by Open vSwitch: ports added or removed.
  const ovsPorts = (s: HostState) =>
    new Set(
      s.ovs.bridges.flatMap((b) =>
        b.ports.filter((p) => p.name !== b.name).map((p) => `${b.name}\0${p.name}`),
      ),
    );
  const oA = ovsPorts(before);
  const oB = ovsPorts(after);
  for (const k of oB)
    if (!oA.has(k)) {
      const [b, p] = k.split('\0');
      add(
        'bridge-port',
        'added',
        { zh: `OVS 网桥 ${b} 加了端口 ${p}`, en: `OVS bridge ${b} got port ${p}` },
        [`${host}/ns:host/if:${p}`],
      );
    }
  for (const k of oA)
    if (!oB.has(k)) {
      const [b, p] = k.split('\0');
      add(
        'bridge-port',
        'removed',
        { zh: `OVS 网桥 ${b} 的端口 ${p} 没了`, en: `OVS bridge ${b} lost port ${p}` },
        [],
      );
    }

  // Images (by id; tags added or taken away), volumes, networks, the daemon.
  if (docker && !before.docker.skipped.includes('images') && !after.docker.skipped.includes('images')) {
    const iA = new Map(before.docker.images.map((i) => [i.id, i]));
    const iB = new Map(after.docker.images.map((i) => [i.id, i]));
    const label = (i: { tags: string[]; id: string }) =>
      i.tags[0] ?? i.id.replace('sha256:', '').slice(0, 12);
    for (const [id, i] of iB) {
      const old = iA.get(id);
      if (!old) add('image', 'added', { zh: `多了镜像 ${label(i)}`, en: `new image ${label(i)}` });
      else
        for (const t of i.tags)
          if (!old.tags.includes(t))
            add('image', 'changed', {
              zh: `镜像 ${label(old)} 多了标签 ${t}`,
              en: `image ${label(old)} got tag ${t}`,
            });
    }
    for (const [id, i] of iA) {
      const now = iB.get(id);
      if (!now) add('image', 'removed', { zh: `删除了镜像 ${label(i)}`, en: `removed image ${label(i)}` });
      else
        for (const t of i.tags)
          if (!now.tags.includes(t))
            add('image', 'changed', { zh: `镜像的标签 ${t} 没了`, en: `tag ${t} was removed` });
    }
  }
  const vA = new Set(docker ? before.docker.volumes.map((v) => v.name) : []);
  const vB = new Set(docker ? after.docker.volumes.map((v) => v.name) : []);
  for (const v of vB)
    if (!vA.has(v))
      add('volume', 'added', { zh: `新建了数据卷 ${v}`, en: `created volume ${v}` }, [`${host}/vol:${v}`]);
  for (const v of vA)
    if (!vB.has(v))
      add('volume', 'removed', { zh: `删除了数据卷 ${v}`, en: `removed volume ${v}` }, [`${host}/vol:${v}`]);
  const nA = new Set(docker ? before.docker.networks.map((n) => n.name) : []);
  const nB = new Map(docker ? after.docker.networks.map((n) => [n.name, n]) : []);
  for (const [n, net] of nB)
    if (!nA.has(n)) {
      const sub = net.subnets[0]?.subnet;
      add('network', 'added', {
        zh: `新建了 Docker 网络 ${n}（${net.driver}${sub ? `，${sub}` : ''}）`,
        en: `created Docker network ${n} (${net.driver}${sub ? `, ${sub}` : ''})`,
      });
    }
  for (const n of nA)
    if (!nB.has(n))
      add('network', 'removed', { zh: `删除了 Docker 网络 ${n}`, en: `removed Docker network ${n}` });
  // The same network with another bridge or subnet (daemon.json's bridge / fixed-cidr, lesson 23).
  for (const old of docker ? before.docker.networks : []) {
    const now = nB.get(old.name);
    if (!now) continue;
    const facts: [string, string, string, string][] = [
      [
        '网桥',
        'bridge',
        old.options['com.docker.network.bridge.name'] ?? '',
        now.options['com.docker.network.bridge.name'] ?? '',
      ],
      ['网段', 'subnet', old.subnets[0]?.subnet ?? '', now.subnets[0]?.subnet ?? ''],
      ['分配地址的范围', 'allocation range', old.subnets[0]?.ipRange ?? '', now.subnets[0]?.ipRange ?? ''],
    ];
    const changed = facts.filter(([, , a, b]) => a !== b);
    if (!changed.length) continue;
    const side = (v: string) => v || '—';
    const bridge = now.options['com.docker.network.bridge.name'];
    add(
      'network',
      'changed',
      {
        zh: `Docker 网络 ${old.name} 变了：${changed.map(([zh, , a, b]) => `${zh} ${side(a)} → ${side(b)}`).join('，')}`,
        en: `Docker network ${old.name} changed: ${changed.map(([, en, a, b]) => `${en} ${side(a)} → ${side(b)}`).join(', ')}`,
      },
      bridge ? [`${host}/ns:host/if:${bridge}`] : [],
    );
  }
  if (before.docker.running !== after.docker.running)
    add(
      'docker',
      'changed',
      after.docker.running
        ? { zh: 'Docker 守护进程启动了', en: 'the Docker daemon started' }
        : { zh: 'Docker 守护进程停了', en: 'the Docker daemon stopped' },
    );
  return out;
}

function peerNs(x: LinkAt, a: Map<number, NsInfo>, b: Map<number, NsInfo>): NsInfo | undefined {
  const id = x.l.peer?.ns;
  if (id === undefined) return undefined;
  return b.get(id) ?? a.get(id);
}

function where(x: LinkAt, y: LinkAt, lang: 'zh' | 'en'): string {
  if (x.at.key === y.at.key) return lang === 'zh' ? `（两端都在${x.at.zh}里）` : ` (both ends in ${x.at.en})`;
  return lang === 'zh'
    ? `（${x.l.name} 在${x.at.zh}里，${y.l.name} 在${y.at.zh}里）`
    : ` (${x.l.name} in ${x.at.en}, ${y.l.name} in ${y.at.en})`;
}

const kinds: Record<string, [string, string]> = {
  bridge: ['网桥', 'bridge'],
  veth: ['veth 网卡', 'veth'],
  vxlan: ['VXLAN 网卡', 'VXLAN interface'],
  gre: ['GRE 网卡', 'GRE interface'],
  gretap: ['GRE 网卡', 'GRE interface'],
  macvlan: ['macvlan 网卡', 'macvlan interface'],
  ipvlan: ['ipvlan 网卡', 'ipvlan interface'],
  openvswitch: ['OVS 网卡', 'OVS interface'],
  dummy: ['dummy 网卡', 'dummy interface'],
};
const kindZh = (l: Link): string => kinds[l.kind]?.[0] ?? `${l.kind} 网卡`;
const kindEn = (l: Link): string => kinds[l.kind]?.[1] ?? `${l.kind} interface`;

function routeText(r: NetNamespace['routes'][number]): string {
  return [
    r.dst,
    r.gateway && `via ${r.gateway}`,
    r.dev && `dev ${r.dev}`,
    r.table !== 'main' && `table ${r.table}`,
  ]
    .filter(Boolean)
    .join(' ');
}

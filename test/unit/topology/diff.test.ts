import { describe, expect, it } from 'vitest';
import { diffStates, spaced } from '../../../engine/topology/diff.ts';
import type { Change } from '../../../engine/topology/types.ts';
import { recorded } from './states.ts';

/**
 * Each row: two states recorded one after the other (scripts/record-states.ts runs the scenarios
 * in this order in one lab), and the sentences the diff must say, zh and en, and must not.
 */
const rows: {
  from: string;
  to: string;
  says: [Change['category'], Change['op'], string, string][];
  not?: RegExp[];
  count?: number;
}[] = [
  {
    from: 'bare',
    to: 'netns-veth',
    says: [
      ['netns', 'added', '新建了命名空间 ns1', 'created namespace ns1'],
      [
        'link',
        'added',
        '新建了 veth 对 veth-ns1 ↔ veth-ns2（veth-ns1 在命名空间 ns1 里，veth-ns2 在命名空间 ns2 里）',
        'created veth pair veth-ns1 ↔ veth-ns2 (veth-ns1 in namespace ns1, veth-ns2 in namespace ns2)',
      ],
      ['address', 'added', 'veth-ns1 有了地址 192.168.0.11/24', 'veth-ns1 got address 192.168.0.11/24'],
    ],
    // ns1's lo is part of a new namespace; kernel routes follow from the addresses.
    not: [/\blo\b/, /路由/],
    count: 5,
  },
  {
    from: 'netns-veth',
    to: 'veth-down',
    says: [
      ['link', 'changed', 'veth-ns2 的状态从 UP 变成了 DOWN', 'veth-ns2 went from UP to DOWN'],
      ['link', 'changed', 'veth-ns1 的状态从 UP 变成了 NO-CARRIER', 'veth-ns1 went from UP to NO-CARRIER'],
    ],
    count: 2,
  },
  {
    from: 'veth-down',
    to: 'veth-host',
    says: [
      [
        'netns',
        'changed',
        '删掉又重新建了命名空间 ns1（旧的和里面的网卡一起没了）',
        'deleted and re-created namespace ns1 (the old one went with its interfaces)',
      ],
      [
        'link',
        'added',
        '新建了 veth 对 veth-ns1 ↔ veth-ns2（两端都在主机的命名空间里）',
        "created veth pair veth-ns1 ↔ veth-ns2 (both ends in the host's namespace)",
      ],
    ],
    // udev gives the re-made veth-ns1 the same MAC: still not a move.
    not: [/移到了/],
  },
  {
    from: 'veth-host',
    to: 'veth-half',
    says: [['link', 'moved', 'veth-ns1 移到了命名空间 ns1 里', 'veth-ns1 moved into namespace ns1']],
    count: 1,
  },
  {
    from: 'veth-half',
    to: 'veth-crossed',
    says: [
      ['link', 'moved', 'veth-ns2 移到了命名空间 ns1 里', 'veth-ns2 moved into namespace ns1'],
      [
        'link',
        'added',
        '新建了 veth 对 veth-a ↔ veth-b（veth-a 在命名空间 ns2 里，veth-b 在主机的命名空间里）',
        "created veth pair veth-a ↔ veth-b (veth-a in namespace ns2, veth-b in the host's namespace)",
      ],
    ],
    count: 2,
  },
  {
    from: 'veth-crossed',
    to: 'docker',
    says: [
      [
        'container',
        'added',
        '新建了容器 web（镜像 nginx，正在运行），接在网络 bridge（172.17.0.2）上，发布端口 8080→80/tcp',
        'created container web (image nginx, running), on network bridge (172.17.0.2), publishing 8080→80/tcp',
      ],
      [
        'container',
        'added',
        '新建了容器 hello（镜像 hello-world，已停止，退出码 0），接在网络 bridge 上',
        'created container hello (image hello-world, stopped, exit code 0), on network bridge',
      ],
      [
        'mount',
        'added',
        '容器 v2 把 /root/container_data 挂载到了 /data（只读）',
        'container v2 mounts /root/container_data at /data (read-only)',
      ],
      ['volume', 'added', '新建了数据卷 dbdata', 'created volume dbdata'],
      [
        'network',
        'added',
        '新建了 Docker 网络 mynet（bridge，172.18.0.0/16）',
        'created Docker network mynet (bridge, 172.18.0.0/16)',
      ],
      ['image', 'added', '多了镜像 myapp:latest', 'new image myapp:latest'],
      ['image', 'changed', '镜像 busybox:latest 多了标签 mybox:v1', 'image busybox:latest got tag mybox:v1'],
      [
        'iptables',
        'added',
        'iptables nat 表加了规则：-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80',
        'iptables nat table: added -A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80',
      ],
      [
        'iptables',
        'added',
        'iptables filter 表加了规则：-A DOCKER-USER -s 10.99.0.2/32 -j DROP',
        'iptables filter table: added -A DOCKER-USER -s 10.99.0.2/32 -j DROP',
      ],
      ['link', 'changed', 'docker0 的状态从 NO-CARRIER 变成了 UP', 'docker0 went from NO-CARRIER to UP'],
    ],
    // The host ends of the containers' veths come with the containers.
    not: [/veth[0-9a-f]{7}/, /新建了 veth 对/],
  },
  {
    from: 'docker',
    to: 'bridge-ovs',
    says: [
      ['netns', 'added', '新建了命名空间 manual', 'created namespace manual'],
      ['link', 'added', '在主机的命名空间里新建了网桥 br0', "created bridge br0 in the host's namespace"],
      [
        'route',
        'added',
        '命名空间 manual 里加了路由 default via 172.17.0.1 dev veth-m',
        'added route default via 172.17.0.1 dev veth-m in namespace manual',
      ],
      ['bridge-port', 'added', 'OVS 网桥 obr0 加了端口 gre0', 'OVS bridge obr0 got port gre0'],
      ['address', 'added', 'br0 有了地址 192.168.100.1/24', 'br0 got address 192.168.100.1/24'],
    ],
  },
  {
    from: 'daemon-config',
    to: 'docker-stopped',
    says: [['docker', 'changed', 'Docker 守护进程停了', 'the Docker daemon stopped']],
    // With dockerd down its lists are empty: that is not "every image was removed".
    not: [/镜像/, /Docker 网络/],
  },
];

describe('state → diff', () => {
  for (const row of rows)
    it(`${row.from} → ${row.to}`, () => {
      const changes = diffStates('host1', recorded(row.from), recorded(row.to));
      for (const [category, op, zh, en] of row.says)
        expect(changes, zh).toContainEqual(expect.objectContaining({ category, op, text: { zh, en } }));
      for (const re of row.not ?? [])
        expect(
          changes.filter((c) => re.test(c.text.zh)).map((c) => c.text.zh),
          String(re),
        ).toEqual([]);
      if (row.count !== undefined) expect(changes.map((c) => c.text.zh)).toHaveLength(row.count);
    });

  it('many links gone at once (dockerd restarted) make one sentence, a few are named one by one', () => {
    const before = recorded('docker');
    const after = structuredClone(before);
    const host = after.namespaces[0]!;
    const ports = host.links.filter((l) => l.kind === 'veth' && l.master === 'docker0').slice(0, 5);
    host.links = host.links.filter((l) => !ports.includes(l));
    const [one] = diffStates('host1', before, after).filter((c) => c.category === 'link');
    expect(one!.text.zh).toMatch(
      /^主机的命名空间里的 5 个 veth 网卡没了（veth[0-9a-f]{7}、veth[0-9a-f]{7}、veth[0-9a-f]{7}…）$/,
    );
    expect(one!.ids).toHaveLength(5);
    const few = structuredClone(before);
    const two = ports.slice(0, 2).map((l) => l.name);
    few.namespaces[0]!.links = few.namespaces[0]!.links.filter((l) => !two.includes(l.name));
    const named = diffStates('host1', before, few).filter((c) => c.category === 'link');
    expect(named.map((c) => c.text.zh)).toEqual(
      ports.slice(0, 2).map((l) => `主机的命名空间里的 ${l.name} 没了`),
    );
  });

  it('the same state twice: nothing changed', () => {
    for (const s of ['bare', 'docker', 'bridge-ovs'])
      expect(diffStates('host1', recorded(s), recorded(s))).toEqual([]);
  });

  it('a change names the graph objects it concerns', () => {
    const [moved] = diffStates('host1', recorded('veth-host'), recorded('veth-half'));
    expect(moved!.ids).toEqual(['host1/ns:ns1/if:veth-ns1']);
  });

  it('spaces Chinese text where a name meets it, not next to Chinese punctuation', () => {
    expect(spaced('命名空间ns1里')).toBe('命名空间 ns1 里');
    expect(spaced('网络bridge（172.17.0.2）上')).toBe('网络 bridge（172.17.0.2）上');
  });
});

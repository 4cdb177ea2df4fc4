import { fixture, tableTest } from './tester.ts';

const placed = {
  ends: [
    { name: 'veth-ns1', netns: 'ns1' },
    { name: 'veth-ns2', netns: 'ns2' },
  ],
};

tableTest('veth', {
  valid: [
    { state: 'netns-veth', params: placed },
    { state: 'netns-veth', params: { ...placed, up: true } },
    {
      state: 'netns-veth',
      params: { ends: [{ name: 'veth-ns2' }, { name: 'veth-ns1' }] },
      name: 'ends anywhere, either order',
    },
    { state: 'veth-host', params: { ends: [{ name: 'veth-ns1' }, { name: 'veth-ns2' }] } },
    {
      state: 'docker',
      params: { ends: [{ name: 'eth0', container: 'web' }, { name: hostEnd('docker', 'web') }] },
      name: "a container's eth0 and its host end",
    },
    { state: 'bridge-ovs', params: { ends: [{ name: 'veth-m', netns: 'manual' }, { name: 'veth-m-br' }] } },
  ],
  invalid: [
    {
      state: 'veth-half',
      params: placed,
      messageId: 'peerNotMoved',
      message: /veth-ns1 在命名空间 ns1 里，但它的另一端 veth-ns2 还在主机的命名空间里，没有移到命名空间 ns2/,
    },
    {
      state: 'veth-crossed',
      params: placed,
      messageId: 'peerNotMoved',
      message: /另一端 veth-ns2 还在命名空间 ns1 里/,
    },
    {
      state: 'veth-host',
      params: placed,
      messageId: 'elsewhere',
      message: /veth-ns1 应该在命名空间 ns1 里，但它在主机的命名空间里/,
    },
    { state: 'veth-down', params: { ...placed, up: true }, messageId: 'down', message: /veth-ns2/ },
    {
      state: 'veth-crossed',
      params: {
        ends: [
          { name: 'veth-ns1', netns: 'ns1' },
          { name: 'veth-a', netns: 'ns2' },
        ],
      },
      messageId: 'notPaired',
      message: /veth-ns1 的另一端是 veth-ns2（在命名空间 ns1 里）/,
    },
    { state: 'bare', params: placed, messageId: 'noNetns' },
    { state: 'bare', params: { ends: [{ name: 'veth-ns1' }, { name: 'veth-ns2' }] }, messageId: 'missing' },
    {
      state: 'bare',
      params: { ends: [{ name: 'docker0' }, { name: 'eth0' }] },
      messageId: 'notVeth',
      message: /docker0 是一块 bridge 网卡/,
    },
  ],
});

/** The host end of a container's eth0, as the kernel named it in that recording. */
function hostEnd(state: string, container: string): string {
  const f = fixture(state);
  const ns = f.state.namespaces.find((n) => n.containers.includes(container))!;
  return ns.links.find((l) => l.name === 'eth0')!.peer!.name!;
}

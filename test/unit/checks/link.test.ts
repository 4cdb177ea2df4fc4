import { tableTest } from './tester.ts';

tableTest('link', {
  valid: [
    { state: 'netns-veth', params: { name: 'lo', netns: 'ns1', up: true } },
    {
      state: 'netns-veth',
      params: { name: 'veth-ns1', netns: 'ns1', up: true, type: 'veth', addr: '192.168.0.11/24' },
    },
    { state: 'bare', params: { name: 'docker0', type: 'bridge' } },
    { state: 'docker', params: { name: 'eth0', container: 'web', up: true, type: 'veth' } },
    { state: 'bridge-ovs', params: { name: 'veth-m-br', master: 'docker0', up: true } },
    { state: 'veth-half', params: { name: 'veth-ns1', exists: false } },
  ],
  invalid: [
    {
      state: 'netns-veth',
      params: { name: 'lo', netns: 'ns2', up: true },
      messageId: 'down',
      message: /命名空间 ns2 里的 lo 是 DOWN/,
    },
    { state: 'veth-down', params: { name: 'veth-ns2', netns: 'ns2', up: true }, messageId: 'down' },
    {
      state: 'veth-half',
      params: { name: 'veth-ns2', netns: 'ns2' },
      messageId: 'elsewhere',
      message: /veth-ns2 应该在命名空间 ns2 里，但它在主机的命名空间里/,
    },
    {
      state: 'netns-veth',
      params: { name: 'veth-ns3', netns: 'ns1' },
      messageId: 'missing',
      message: /lo, veth-ns1/,
    },
    { state: 'netns-veth', params: { name: 'lo', netns: 'ns9' }, messageId: 'noNetns' },
    {
      state: 'netns-veth',
      params: { name: 'veth-ns1', netns: 'ns1', addr: '10.0.0.1' },
      messageId: 'addr',
      message: /192\.168\.0\.11\/24/,
    },
    {
      state: 'netns-veth',
      params: { name: 'veth-ns1', netns: 'ns1', type: 'bridge', mtu: 9000 },
      messageId: 'mtu',
      message: /1500/,
    },
    {
      state: 'bridge-ovs',
      params: { name: 'veth-m-br', master: 'br0' },
      messageId: 'master',
      message: /docker0/,
    },
    { state: 'docker', params: { name: 'eth0', container: 'killed' }, messageId: 'containerStopped' },
    {
      state: 'docker',
      params: { name: 'eth0', container: 'ghost' },
      messageId: 'noContainer',
      message: /v3, v2/,
    },
    { state: 'veth-host', params: { name: 'veth-ns1', exists: false }, messageId: 'present' },
  ],
});

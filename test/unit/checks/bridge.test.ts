import { tableTest } from './tester.ts';

tableTest('bridge', {
  valid: [
    { state: 'bare', params: { name: 'docker0', type: 'linux' } },
    { state: 'docker', params: { name: 'docker0', ports: [{ container: 'web' }, { container: 'cct1' }] } },
    { state: 'bridge-ovs', params: { name: 'br0', up: true } },
    { state: 'bridge-ovs', params: { name: 'docker0', ports: ['veth-m-br', { netns: 'manual' }] } },
    {
      state: 'bridge-ovs',
      params: {
        name: 'obr0',
        type: 'ovs',
        ports: [{ name: 'gre0', type: 'gre', options: { remote_ip: '192.168.56.12' } }],
      },
    },
    { state: 'bare', params: { name: 'br0', exists: false } },
  ],
  invalid: [
    { state: 'bare', params: { name: 'br0' }, messageId: 'missing', message: /ovs-vsctl show/ },
    { state: 'bare', params: { name: 'eth0' }, messageId: 'notBridge', message: /eth0 是一块/ },
    {
      state: 'docker',
      params: { name: 'docker0', ports: [{ container: 'alpha' }] },
      messageId: 'noNsPort',
      message: /容器 alpha 没有接到网桥 docker0 上/,
    },
    {
      state: 'docker',
      params: { name: 'docker0', ports: [{ container: 'killed' }] },
      messageId: 'containerStopped',
    },
    {
      state: 'bridge-ovs',
      params: { name: 'br0', ports: ['veth-m-br'] },
      messageId: 'noPort',
      message: /（没有）/,
    },
    {
      state: 'bridge-ovs',
      params: { name: 'obr0', type: 'linux' },
      messageId: 'type',
      message: /Open vSwitch/,
    },
    {
      state: 'bridge-ovs',
      params: { name: 'obr0', ports: [{ name: 'gre0', type: 'vxlan' }] },
      messageId: 'portType',
    },
    {
      state: 'bridge-ovs',
      params: { name: 'obr0', ports: [{ name: 'gre0', options: { remote_ip: '192.168.56.11' } }] },
      messageId: 'portOption',
      message: /192\.168\.56\.12/,
    },
    { state: 'bridge-ovs', params: { name: 'br0', exists: false }, messageId: 'present' },
  ],
});

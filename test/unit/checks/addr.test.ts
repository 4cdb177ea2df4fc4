import { tableTest } from './tester.ts';

tableTest('addr', {
  valid: [
    { state: 'netns-veth', params: { dev: 'veth-ns1', netns: 'ns1', addr: '192.168.0.11/24' } },
    {
      state: 'netns-veth',
      params: { netns: 'ns2', addr: '192.168.0.12' },
      name: 'any interface, any prefix',
    },
    { state: 'bare', params: { dev: 'docker0', addr: '172.17.0.1/16' } },
    { state: 'bare', params: { dev: 'eth0', addr: '192.168.56.11/24' } },
    { state: 'bridge-ovs', params: { dev: 'br0', addr: '192.168.100.1/24' } },
    {
      state: 'docker',
      params: { container: 'web', dev: 'eth0', addr: '172.17.0.0', exists: false },
      name: 'the network address is nobody’s',
    },
  ],
  invalid: [
    {
      state: 'netns-veth',
      params: { dev: 'veth-ns1', netns: 'ns1', addr: '192.168.0.11/16' },
      messageId: 'prefix',
      message: /掩码是 \/24，应该是 \/16/,
    },
    {
      state: 'veth-half',
      params: { dev: 'veth-ns1', netns: 'ns1', addr: '192.168.0.11/24' },
      messageId: 'missing',
      message: /（没有）|fe80/,
    },
    {
      state: 'veth-half',
      params: { dev: 'veth-ns2', netns: 'ns2', addr: '192.168.0.12/24' },
      messageId: 'elsewhere',
      message: /移动网卡会清掉地址/,
    },
    {
      state: 'netns-veth',
      params: { dev: 'veth-zz', netns: 'ns1', addr: '192.168.0.11/24' },
      messageId: 'noDev',
    },
    {
      state: 'bare',
      params: { dev: 'docker0', addr: '192.168.200.1/24' },
      messageId: 'missing',
      message: /172\.17\.0\.1\/16/,
    },
    {
      state: 'netns-veth',
      params: { netns: 'ns1', addr: '192.168.0.11', exists: false },
      messageId: 'present',
    },
  ],
});

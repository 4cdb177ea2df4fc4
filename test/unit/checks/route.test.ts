import { tableTest } from './tester.ts';

tableTest('route', {
  valid: [
    { state: 'bridge-ovs', params: { netns: 'manual', dst: 'default', via: '172.17.0.1' } },
    { state: 'bridge-ovs', params: { netns: 'manual', dst: '172.17.0.0/16', dev: 'veth-m' } },
    { state: 'netns-veth', params: { netns: 'ns1', dst: '192.168.0.0/24', dev: 'veth-ns1' } },
    { state: 'bare', params: { dst: '172.17.0.0/16', dev: 'docker0' } },
    { state: 'netns-veth', params: { netns: 'ns1', dst: 'default', exists: false } },
  ],
  invalid: [
    {
      state: 'netns-veth',
      params: { netns: 'ns1', dst: 'default', via: '192.168.0.1' },
      messageId: 'missing',
      message: /192\.168\.0\.0\/24 dev veth-ns1/,
    },
    {
      state: 'bridge-ovs',
      params: { netns: 'manual', dst: 'default', via: '172.17.0.2' },
      messageId: 'via',
      message: /经过 172\.17\.0\.1，应该经过 172\.17\.0\.2/,
    },
    { state: 'bridge-ovs', params: { netns: 'manual', dst: '0.0.0.0/0', dev: 'eth0' }, messageId: 'dev' },
    { state: 'bridge-ovs', params: { netns: 'manual', dst: 'default', exists: false }, messageId: 'present' },
    { state: 'bare', params: { netns: 'manual', dst: 'default' }, messageId: 'noNetns' },
  ],
});

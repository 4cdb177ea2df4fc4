import { tableTest } from './tester.ts';

tableTest('netns', {
  valid: [
    { state: 'netns-veth', params: { name: 'ns1' } },
    { state: 'netns-veth', params: ['ns1', 'ns2'] },
    { state: 'netns-veth', params: 'ns2' },
    { state: 'bare', params: { name: 'ns1', exists: false } },
  ],
  invalid: [
    {
      state: 'bare',
      params: { name: 'ns1' },
      messageId: 'missing',
      message: /没有命名空间 ns1（`ip netns list` 里有：（没有））/,
    },
    { state: 'netns-veth', params: { name: 'ns3' }, messageId: 'missing', message: /ns1, ns2/ },
    {
      state: 'netns-veth',
      params: { name: 'ns1', exists: false },
      messageId: 'present',
      message: /ip netns del ns1/,
    },
  ],
});

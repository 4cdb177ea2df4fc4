import { tableTest } from './tester.ts';

tableTest('sysctl', {
  valid: [
    { state: 'bare', params: { key: 'net.ipv4.ip_forward', value: 1 } },
    {
      state: 'netns-veth',
      params: { key: 'net.ipv4.ip_forward', value: '1', netns: 'ns1' },
      name: 'a namespace has its own (probe)',
    },
    {
      state: 'docker',
      params: { key: 'net.ipv4.tcp_syncookies', value: '1' },
      name: 'a key outside the snapshot (probe)',
    },
  ],
  invalid: [
    {
      state: 'bare',
      params: { key: 'net.ipv4.ip_forward', value: '0' },
      messageId: 'value',
      message: /net\.ipv4\.ip_forward 现在是 1，应该是 0/,
    },
  ],
});

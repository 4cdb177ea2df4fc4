import { tableTest } from './tester.ts';

tableTest('network', {
  valid: [
    { state: 'bare', params: { name: 'bridge', driver: 'bridge', subnet: '172.17.0.0/16' } },
    { state: 'docker', params: { name: 'mynet', driver: 'bridge', containers: ['alpha', 'beta'] } },
    { state: 'bare', params: { name: 'mynet', exists: false } },
    {
      state: 'macvlan',
      params: { name: 'mac1', driver: 'macvlan', gateway: '192.168.56.1', options: { parent: 'eth0' } },
    },
    { state: 'macvlan', params: { name: 'mac20', options: { parent: 'eth0.20' } } },
  ],
  invalid: [
    { state: 'bare', params: { name: 'mynet' }, messageId: 'missing', message: /bridge, host, none|bridge/ },
    { state: 'docker', params: { name: 'mynet', driver: 'overlay' }, messageId: 'driver' },
    {
      state: 'docker',
      params: { name: 'mynet', containers: ['web'] },
      messageId: 'container',
      message: /beta, alpha/,
    },
    { state: 'bare', params: { name: 'bridge', subnet: '10.0.0.0/8' }, messageId: 'subnet' },
    { state: 'docker', params: { name: 'mynet', exists: false }, messageId: 'present' },
    { state: 'docker-stopped', params: { name: 'bridge' }, messageId: 'dockerDown' },
    {
      state: 'macvlan',
      name: 'a macvlan network on eth0 where the VLAN sub-interface was asked for',
      params: { name: 'mac1', options: { parent: 'eth0.10' } },
      messageId: 'option',
      message: /parent 是 eth0，应该是 eth0.10/,
    },
    { state: 'bare', params: { name: 'bridge', options: { parent: 'eth0' } }, messageId: 'option' },
    { state: 'macvlan', params: { name: 'mac1', gateway: '192.168.56.254' }, messageId: 'gateway' },
  ],
});

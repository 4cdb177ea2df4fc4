import { tableTest } from './tester.ts';

tableTest('network', {
  valid: [
    { state: 'bare', params: { name: 'bridge', driver: 'bridge', subnet: '172.17.0.0/16' } },
    { state: 'docker', params: { name: 'mynet', driver: 'bridge', containers: ['alpha', 'beta'] } },
    { state: 'bare', params: { name: 'mynet', exists: false } },
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
  ],
});

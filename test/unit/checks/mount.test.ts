import { tableTest } from './tester.ts';

tableTest('mount', {
  valid: [
    {
      state: 'docker',
      params: {
        container: 'v1',
        source: '/root/container_data',
        destination: '/data',
        rw: true,
        type: 'bind',
      },
    },
    {
      state: 'docker',
      params: { container: 'v2', source: '/root/container_data/', destination: '/data/', rw: false },
    },
    { state: 'docker', params: { container: 'v3', type: 'volume', name: 'dbdata', destination: '/data' } },
  ],
  invalid: [
    {
      state: 'docker',
      params: { container: 'v2', destination: '/data', rw: true },
      messageId: 'field',
      message: /RW 是 ro，应该是 rw/,
    },
    {
      state: 'docker',
      params: { container: 'v1', destination: '/data', type: 'volume' },
      messageId: 'field',
      message: /Type 是 bind/,
    },
    { state: 'docker', params: { container: 'web', destination: '/data' }, messageId: 'noMount' },
    { state: 'docker', params: { container: 'v9', destination: '/data' }, messageId: 'noContainer' },
  ],
});

import { tableTest } from './tester.ts';

tableTest('process', {
  valid: [
    {
      state: 'docker',
      params: { command: 'sleep 3600', namespaces: { uts: 'new', pid: 'new' }, hostname: 'myns' },
    },
    {
      state: 'docker',
      params: { command: 'sleep 3600', newNamespaces: ['uts'], namespaces: { net: 'host' } },
    },
    { state: 'docker', params: { command: '/dockerd/' } },
    { state: 'bare', params: { command: 'sleep 3600', exists: false } },
  ],
  invalid: [
    { state: 'bare', params: { command: 'sleep 3600' }, messageId: 'missing' },
    {
      state: 'docker',
      params: { command: 'sleep 3600', newNamespaces: ['net'] },
      messageId: 'sharedNs',
      message: /和主机共用 net 命名空间/,
    },
    {
      state: 'docker',
      params: { command: 'sleep 3600', hostname: 'other' },
      messageId: 'hostname',
      message: /myns，应该是 other/,
    },
    { state: 'docker', params: { command: 'sleep 3600', exists: false }, messageId: 'present' },
  ],
});

import { tableTest } from './tester.ts';

// Probes replay exec results recorded in a real sandbox (test/fixtures/states/probes.ts).
tableTest('file', {
  valid: [
    { state: 'docker', params: { container: 'dc2', path: '/tmp/from-exec' } },
    { state: 'docker', params: { container: 'cct3', path: '/etc/hosts', contains: 'webtest' } },
    {
      state: 'docker',
      params: { container: 'killed', path: '/etc/hostname' },
      name: 'a stopped container, through docker cp',
    },
    {
      state: 'docker',
      params: { path: '/root/container_data/from-container.txt', contains: 'written in container' },
    },
    { state: 'docker', params: { path: '/root/absent.txt', exists: false } },
  ],
  invalid: [
    {
      state: 'docker',
      params: { container: 'dc2', path: '/tmp/not-there' },
      messageId: 'missing',
      message: /容器 dc2 里没有 \/tmp\/not-there/,
    },
    {
      state: 'docker',
      params: { container: 'cct3', path: '/etc/hosts', contains: 'nosuchalias' },
      messageId: 'content',
      message: /127\.0\.0\.1/,
    },
    {
      state: 'docker',
      params: { path: '/root/container_data', type: 'file' },
      messageId: 'type',
      message: /是目录，应该是文件/,
    },
    { state: 'docker', params: { container: 'ghost', path: '/x' }, messageId: 'noContainer' },
  ],
});

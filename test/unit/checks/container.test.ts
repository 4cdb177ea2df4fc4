import { tableTest } from './tester.ts';

tableTest('container', {
  valid: [
    { state: 'docker', params: { image: 'hello-world', running: false, exitCode: 0 } },
    { state: 'docker', params: { name: 'hello', image: 'hello-world:latest', running: false, exitCode: 0 } },
    {
      state: 'docker',
      params: { name: 'web', image: 'nginx', running: true, ports: [{ container: 80, host: 8080 }] },
    },
    { state: 'docker', params: { name: 'dc1', running: true, tty: true } },
    { state: 'docker', params: { name: 'killed', running: false, exitCode: 137 } },
    {
      state: 'docker',
      params: { name: 'api-made', labels: { 'made-by': 'api' }, env: { REDIS_HOST: 'redis' } },
    },
    { state: 'docker', params: { name: 'alpha', networks: ['mynet'] } },
    { state: 'docker', params: { name: 'joiner', networkMode: 'container:alpha' } },
    { state: 'docker', params: { name: 'cct3', links: ['cct1:webtest'] } },
    { state: 'docker', params: { name: 'limited', memory: '64m', cpuShares: 512 } },
    { state: 'docker', params: { name: 'web', ip: '172.17.0.0/16' } },
    { state: 'docker', params: { name: 'mydebian', exists: false } },
    { state: 'bare', params: { image: 'nginx', exists: false } },
    {
      state: 'docker-stopped',
      params: { name: 'web', exists: false },
      name: 'nothing exists while dockerd is down',
    },
  ],
  invalid: [
    {
      state: 'bare',
      params: { image: 'hello-world', exitCode: 0 },
      messageId: 'missing',
      message: /镜像 hello-world 的容器/,
    },
    { state: 'docker', params: { name: 'mydebian' }, messageId: 'missing', message: /v3 \(busybox\)/ },
    {
      state: 'docker',
      params: { name: 'web', image: 'redis' },
      messageId: 'image',
      message: /镜像 nginx 创建的，应该是 redis/,
    },
    {
      state: 'docker',
      params: { name: 'killed', running: true },
      messageId: 'notRunning',
      message: /exited.*137|137/,
    },
    { state: 'docker', params: { name: 'web', running: false }, messageId: 'running' },
    {
      state: 'docker',
      params: { name: 'killed', exitCode: 0 },
      messageId: 'exitCode',
      message: /137，应该是 0/,
    },
    { state: 'docker', params: { name: 'dc2', tty: true }, messageId: 'tty', message: /-t/ },
    {
      state: 'docker',
      params: { name: 'dc2', ports: [{ container: 80 }] },
      messageId: 'port',
      message: /-p 或 -P/,
    },
    {
      state: 'docker',
      params: { name: 'web', ports: [{ container: 80, host: 80 }] },
      messageId: 'hostPort',
      message: /8080，应该是 80/,
    },
    {
      state: 'docker',
      params: { name: 'api-made', labels: { 'made-by': 'cli' } },
      messageId: 'field',
      message: /label made-by 是 api，应该是 cli/,
    },
    { state: 'docker', params: { name: 'cct1', links: ['cct3:web'] }, messageId: 'link' },
    {
      state: 'docker',
      params: { name: 'web', networks: ['mynet'] },
      messageId: 'network',
      message: /bridge/,
    },
    {
      state: 'docker',
      params: { name: 'joiner', networkMode: 'container:beta' },
      messageId: 'field',
      message: /NetworkMode/,
    },
    {
      state: 'docker',
      params: { name: 'web', ip: '192.168.100.0/24' },
      messageId: 'ip',
      message: /172\.17\./,
    },
    {
      state: 'docker',
      params: { name: 'limited', memory: '128m' },
      messageId: 'field',
      message: /Memory 是 67108864/,
    },
    { state: 'docker', params: { name: 'web', exists: false }, messageId: 'present', message: /running/ },
    { state: 'docker-stopped', params: { name: 'web' }, messageId: 'dockerDown' },
  ],
});

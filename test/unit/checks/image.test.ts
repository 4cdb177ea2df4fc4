import { tableTest } from './tester.ts';

tableTest('image', {
  valid: [
    { state: 'bare', params: { name: 'busybox:latest' } },
    { state: 'bare', params: { name: 'docker.io/library/nginx' } },
    { state: 'docker', params: { name: 'mybox:v1', sameAs: 'busybox:latest' } },
    {
      state: 'docker',
      params: {
        name: 'myapp',
        entrypoint: ['/bin/echo', '你好'],
        cmd: ['docker'],
        workdir: '/app',
        user: 'daemon',
        env: { APP_ENV: 'production' },
        volumes: ['/data'],
        labels: { course: 'dockerlab' },
        exposedPorts: ['80/tcp'],
        onBuild: ['COPY index.html /srv/'],
        minHistory: 4,
      },
    },
    { state: 'bare', params: { name: 'mybox:v1', exists: false } },
  ],
  invalid: [
    { state: 'bare', params: { name: 'mybox:v1' }, messageId: 'missing', message: /busybox:latest/ },
    { state: 'docker', params: { name: 'mybox:v1', sameAs: 'nginx' }, messageId: 'notSame' },
    {
      state: 'docker',
      params: { name: 'myapp', cmd: ['nginx'] },
      messageId: 'field',
      message: /Cmd 是 \["docker"\]，应该是 \["nginx"\]/,
    },
    {
      state: 'docker',
      params: { name: 'myapp', exposedPorts: ['443/tcp'] },
      messageId: 'field',
      message: /ExposedPorts/,
    },
    {
      state: 'docker',
      params: { name: 'myapp', author: 'me' },
      messageId: 'field',
      message: /Author 是（空），应该是 me/,
    },
    { state: 'docker', params: { name: 'busybox', minHistory: 50 }, messageId: 'history' },
    {
      state: 'docker',
      params: { name: 'mybox:v1', exists: false },
      messageId: 'present',
      message: /docker rmi mybox:v1/,
    },
    { state: 'docker-stopped', params: { name: 'busybox' }, messageId: 'dockerDown' },
  ],
});

import { tableTest } from './tester.ts';

// Probes replay curl results recorded in a real sandbox (test/fixtures/states/probes.ts).
tableTest('http', {
  valid: [
    { state: 'docker', params: { port: { container: 'web', port: 80 }, contains: 'hello from dockerlab' } },
    { state: 'docker', params: { url: 'http://127.0.0.1:8080/', contains: 'hello from dockerlab' } },
    {
      state: 'bridge-ovs',
      params: { from: { netns: 'manual' }, url: 'http://172.17.0.1:8080/', contains: 'hello from dockerlab' },
    },
  ],
  invalid: [
    {
      state: 'docker',
      params: { url: 'http://127.0.0.1:8080/', contains: 'not on this page' },
      messageId: 'body',
      message: /hello from dockerlab/,
    },
    {
      state: 'docker',
      params: { url: 'http://127.0.0.1:8080/missing.html' },
      messageId: 'status',
      message: /404/,
    },
    { state: 'docker', params: { url: 'http://127.0.0.1:8081/' }, messageId: 'noAnswer' },
    {
      state: 'docker',
      params: { from: { container: 'beta' }, url: 'http://127.0.0.1:8080/' },
      messageId: 'noAnswer',
      name: 'the port is the host’s, not the container’s',
    },
    { state: 'docker', params: { port: { container: 'dc2', port: 80 } }, messageId: 'notPublished' },
  ],
});

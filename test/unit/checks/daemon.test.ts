import { tableTest } from './tester.ts';

tableTest('daemon', {
  valid: [
    {
      state: 'bare',
      params: {
        running: true,
        registryMirrors: ['http://127.0.0.1:5001'],
        icc: true,
        bip: '172.17.0.1/16',
        bridge: 'docker0',
      },
    },
    {
      state: 'bare',
      params: { listen: ['unix:///var/run/docker.sock'], swarm: 'inactive', swarmManager: false },
    },
    {
      state: 'daemon-config',
      params: { labels: ['course=dockerlab'], debug: true, icc: false, listen: ['tcp://0.0.0.0:2375'] },
    },
    { state: 'daemon-config', params: { config: { debug: true, labels: ['course=dockerlab'] } } },
    { state: 'docker-stopped', params: { running: false } },
  ],
  invalid: [
    { state: 'bare', params: { labels: ['course=dockerlab'] }, messageId: 'label', message: /（没有）/ },
    { state: 'bare', params: { debug: true }, messageId: 'debug', message: /false，应该是 true/ },
    { state: 'bare', params: { listen: ['tcp://0.0.0.0:2375'] }, messageId: 'listen' },
    { state: 'bare', params: { icc: false }, messageId: 'icc' },
    { state: 'bare', params: { bip: '192.168.200.1/24' }, messageId: 'bip', message: /172\.17\.0\.1\/16/ },
    { state: 'bare', params: { fixedCidr: '172.17.0.128/25' }, messageId: 'fixedCidr' },
    { state: 'bare', params: { swarm: 'active' }, messageId: 'swarm' },
    { state: 'bare', params: { config: { debug: true } }, messageId: 'config', message: /（没有）/ },
    { state: 'bare', params: { running: false }, messageId: 'running' },
    {
      state: 'docker-stopped',
      params: { debug: true },
      messageId: 'stopped',
      message: /journalctl -u docker/,
    },
  ],
});

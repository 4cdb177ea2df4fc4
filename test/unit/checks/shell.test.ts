import { tableTest } from './tester.ts';

// Probes replay exec results recorded in a real sandbox (test/fixtures/states/probes.ts).
tableTest('shell', {
  valid: [{ state: 'docker', params: { script: 'docker exec alpha ping -c 1 -W 2 beta' } }],
  invalid: [
    {
      state: 'docker',
      params: { script: 'test -e /root/absent.txt' },
      messageId: 'failed',
      message: /用 `test -e \/root\/absent.txt` 来检查，它没有成功/,
    },
    {
      state: 'docker',
      params: {
        script: 'test -e /root/absent.txt',
        explain: { zh: '还没有创建 absent.txt', en: 'absent.txt is not there yet' },
      },
      messageId: 'explained',
      message: /还没有创建/,
    },
  ],
});

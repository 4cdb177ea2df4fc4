import { tableTest } from './tester.ts';

tableTest('cgroup', {
  valid: [
    { state: 'docker', params: { container: 'limited', memory: '64m', cpuShares: 512 } },
    { state: 'docker', params: { container: 'limited', memory: 67108864, cpuWeight: 20 } },
    { state: 'docker', params: { container: 'web', cpuWeight: 100 } },
  ],
  invalid: [
    {
      state: 'docker',
      params: { container: 'web', pidsMax: 'max' },
      messageId: 'value',
      message: /pids\.max/,
    },
    {
      state: 'docker',
      params: { container: 'web', memory: '64m' },
      messageId: 'value',
      message: /memory\.max 是 max，应该是 67108864/,
    },
    {
      state: 'docker',
      params: { container: 'limited', cpuShares: 1024 },
      messageId: 'value',
      message: /cpu\.weight 是 20，应该是 39/,
    },
    { state: 'docker', params: { container: 'killed', memory: '64m' }, messageId: 'containerStopped' },
    { state: 'docker', params: { container: 'nope' }, messageId: 'noContainer' },
  ],
});

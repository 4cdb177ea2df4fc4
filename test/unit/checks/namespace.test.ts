import { tableTest } from './tester.ts';

tableTest('namespace', {
  valid: [
    { state: 'docker', params: { type: 'net', same: [{ container: 'alpha' }, { container: 'joiner' }] } },
    {
      state: 'docker',
      params: { type: 'net', different: [{ container: 'alpha' }, { container: 'beta' }, { host: true }] },
    },
    { state: 'docker', params: { type: 'uts', different: [{ process: 'sleep 3600' }, { host: true }] } },
    { state: 'docker', params: { type: 'mnt', same: [{ pid: 1 }, { host: true }] } },
    { state: 'netns-veth', params: { type: 'net', different: [{ netns: 'ns1' }, { netns: 'ns2' }] } },
  ],
  invalid: [
    {
      state: 'docker',
      params: { type: 'net', same: [{ container: 'alpha' }, { container: 'beta' }] },
      messageId: 'notSame',
      message: /容器 alpha 和容器 beta 不在同一个 net 命名空间里/,
    },
    {
      state: 'docker',
      params: { type: 'pid', same: [{ container: 'alpha' }, { container: 'joiner' }] },
      messageId: 'notSame',
    },
    {
      state: 'docker',
      params: { type: 'net', different: [{ container: 'alpha' }, { container: 'joiner' }] },
      messageId: 'notDifferent',
      message: /应该各自独立/,
    },
    {
      state: 'docker',
      params: { type: 'net', same: [{ container: 'killed' }, { host: true }] },
      messageId: 'notFound',
    },
  ],
});

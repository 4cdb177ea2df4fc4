import { tableTest } from './tester.ts';

// Probes replay exec results recorded in a real sandbox (test/fixtures/states/probes.ts).
tableTest('reach', {
  valid: [
    { state: 'netns-veth', params: { from: { netns: 'ns1' }, to: '192.168.0.12' } },
    { state: 'netns-veth', params: { from: { netns: 'ns2' }, to: '192.168.0.11' } },
    { state: 'netns-veth', params: { from: { netns: 'ns1' }, to: '192.168.0.99', reachable: false } },
    {
      state: 'docker',
      params: { from: { container: 'cct3' }, to: 'webtest', port: 80 },
      name: 'a --link alias, from the container’s /etc/hosts',
    },
    {
      state: 'docker',
      params: { from: { container: 'alpha' }, to: 'beta' },
      name: 'a name on a user network (Docker DNS)',
    },
    {
      state: 'docker',
      params: { from: { container: 'joiner' }, to: 'beta' },
      name: 'a container sharing alpha’s namespace asks the same embedded DNS',
    },
    {
      state: 'docker',
      params: { from: { container: 'alpha' }, to: 'nosuchname', reachable: false },
      name: 'an unresolvable name counts as unreachable when the step wants it blocked',
    },
    {
      state: 'docker',
      params: { from: { container: 'cct3' }, to: 'beta', reachable: false },
      name: 'the default bridge has no DNS for container names',
    },
    { state: 'docker', params: { to: { container: 'web' }, port: 80 } },
    { state: 'bridge-ovs', params: { from: { netns: 'manual' }, to: { container: 'web' } } },
  ],
  invalid: [
    {
      state: 'docker',
      params: { from: { container: 'alpha' }, to: { container: 'cct1' } },
      messageId: 'unreachable',
      name: 'a user network is isolated from the default bridge',
    },
    {
      state: 'veth-down',
      params: { from: { netns: 'ns1' }, to: '192.168.0.12' },
      messageId: 'unreachable',
      message: /从命名空间 ns1 ping 不通 192\.168\.0\.12：/,
    },
    { state: 'netns-veth', params: { from: { netns: 'ns1' }, to: '192.168.0.99' }, messageId: 'unreachable' },
    { state: 'docker', params: { from: { container: 'alpha' }, to: 'nosuchname' }, messageId: 'unresolved' },
    {
      state: 'docker',
      params: { to: { container: 'web' }, port: 81 },
      messageId: 'unreachable',
      message: /TCP 81/,
    },
    {
      state: 'docker',
      params: { from: { container: 'killed' }, to: '172.17.0.1' },
      messageId: 'containerStopped',
    },
    { state: 'docker', params: { to: { container: 'hello' } }, messageId: 'noTarget' },
    { state: 'bare', params: { from: { netns: 'ns1' }, to: '192.168.0.12' }, messageId: 'noNetns' },
  ],
});

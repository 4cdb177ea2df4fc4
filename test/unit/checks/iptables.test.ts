import { fixture, tableTest } from './tester.ts';

tableTest('iptables', {
  valid: [
    {
      state: 'classes',
      name: 'an equivalent target: REJECT where the step says DROP',
      params: { chain: 'DOCKER-USER', rule: { source: '10.99.0.3', target: 'DROP|REJECT' } },
    },
    { state: 'docker', params: { chain: 'DOCKER-USER', rule: { source: '10.99.0.2', target: 'DROP' } } },
    {
      state: 'docker',
      params: {
        table: 'nat',
        chain: 'DOCKER',
        rule: { protocol: 'TCP', dport: 8080, target: 'DNAT', toDestination: `${webIp()}:80` },
      },
    },
    {
      state: 'docker',
      params: { table: 'nat', chain: 'POSTROUTING', rule: { source: '172.17.0.0/16', target: 'MASQUERADE' } },
    },
    { state: 'bare', params: { chain: 'FORWARD', policy: 'DROP' } },
    {
      state: 'bare',
      params: { chain: 'DOCKER-USER', rule: { source: '10.99.0.2', target: 'DROP' }, exists: false },
    },
  ],
  invalid: [
    {
      state: 'classes',
      name: 'exact text refuses the REJECT rule',
      params: { chain: 'DOCKER-USER', rule: { source: '10.99.0.3', target: 'DROP' } },
      messageId: 'missing',
    },
    {
      state: 'bare',
      params: { chain: 'DOCKER-USER', rule: { source: '10.99.0.2', target: 'DROP' } },
      messageId: 'missing',
      message: /RETURN/,
    },
    {
      state: 'docker',
      params: { table: 'nat', chain: 'DOCKER', rule: { dport: 9090, target: 'DNAT' } },
      messageId: 'missing',
    },
    {
      state: 'docker',
      params: { chain: 'DOCKER-USER', rule: { source: '10.99.0.2' }, exists: false },
      messageId: 'present',
      message: /-A DOCKER-USER -s 10\.99\.0\.2\/32 -j DROP/,
    },
    {
      state: 'bare',
      params: { chain: 'INPUT', policy: 'DROP' },
      messageId: 'policy',
      message: /ACCEPT，应该是 DROP/,
    },
    { state: 'bare', params: { chain: 'NOPE', rule: { target: 'ACCEPT' } }, messageId: 'noChain' },
  ],
});

function webIp(): string {
  return fixture('docker').state.docker.containers.find((c) => c.name === 'web')!.networks.bridge!.ip;
}

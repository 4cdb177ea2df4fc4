import { tableTest } from './tester.ts';

tableTest('volume', {
  valid: [
    { state: 'docker', params: { name: 'dbdata', driver: 'local' } },
    { state: 'bare', params: { name: 'dbdata', exists: false } },
  ],
  invalid: [
    { state: 'bare', params: { name: 'dbdata' }, messageId: 'missing' },
    { state: 'docker', params: { name: 'dbdata', exists: false }, messageId: 'present' },
    { state: 'docker', params: { name: 'dbdata', driver: 'nfs' }, messageId: 'driver' },
    { state: 'docker-stopped', params: { name: 'dbdata' }, messageId: 'dockerDown' },
  ],
});

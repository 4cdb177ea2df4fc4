import { tableTest } from './tester.ts';

// The bare scenario typed its commands into an interactive bash, which wrote ~/.bash_history.
tableTest('history', {
  valid: [
    { state: 'bare', params: { command: 'docker version' } },
    { state: 'bare', params: { command: 'docker info' } },
    { state: 'bare', params: { command: 'curl', args: ['--unix-socket'] } },
  ],
  invalid: [
    {
      state: 'bare',
      params: { command: 'docker logs', args: ['-f'] },
      messageId: 'missing',
      message: /docker logs.*-f/,
    },
    { state: 'bare', params: { command: 'docker version', args: ['--format'] }, messageId: 'missing' },
  ],
});

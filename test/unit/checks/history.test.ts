import { describe, expect, it } from 'vitest';
import { ran } from '../../../engine/checks/kinds/history.ts';
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

describe('history matching', () => {
  it('matches word by word, through chains and sudo', () => {
    expect(ran(['docker run -d web && sudo docker logs -f web'], 'docker logs', ['-f'])).toBeDefined();
    expect(ran(['docker logsx -f web'], 'docker logs')).toBeUndefined();
    expect(ran(['docker logs web'], 'docker logs', ['-f'])).toBeUndefined();
    expect(ran(['docker logs --tail=5 web'], 'docker logs', ['--tail'])).toBeDefined();
  });
});

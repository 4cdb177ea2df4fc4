import { describe, expect, it } from 'vitest';
import { judge, pieces } from '../../../engine/checks/kinds/history.ts';
import type { ShellCommand } from '../../../engine/inspect/types.ts';
import { kinds } from '../../../engine/checks/index.ts';
import { fixture, tableTest } from './tester.ts';

// The bare scenario typed its commands into an interactive bash (test/fixtures/states/scenarios.ts),
// whose prompt (guest/bashrc) recorded each with its exit status; some typed while dockerd was stopped.
tableTest('history', {
  valid: [
    { state: 'bare', params: { command: 'docker version' } },
    { state: 'bare', params: { command: 'docker info' } },
    { state: 'bare', params: { command: 'curl', args: ['--unix-socket'] } },
    {
      state: 'bare',
      name: 'another client for the same API: socat to the socket',
      params: { command: 'nc', args: ['-U'], or: [{ command: 'socat' }] },
    },
    { state: 'bare', name: 'a VAR=value prefix', params: { command: 'docker image ls' } },
    {
      state: 'bare',
      name: 'stopped with Ctrl-C (SIGINT) counts when the step allows it',
      params: { command: 'docker logs', args: ['-f|--follow'], status: [0, 130] },
    },
  ],
  invalid: [
    {
      state: 'bare',
      name: 'typed while dockerd was stopped: failed',
      params: { command: 'docker top' },
      messageId: 'failed',
      message: /docker top/,
    },
    {
      state: 'bare',
      name: 'a pipeline hides the failure in $?, not in PIPESTATUS',
      params: { command: 'docker inspect' },
      messageId: 'failed',
    },
    {
      state: 'bare',
      name: 'before a `;` its status is lost',
      params: { command: 'docker volume ls' },
      messageId: 'unknown',
    },
    {
      state: 'bare',
      name: 'stopped with Ctrl-C does not count by default',
      params: { command: 'docker logs', args: ['-f'] },
      messageId: 'failed',
    },
    {
      state: 'bare',
      params: { command: 'docker logs', args: ['--since'] },
      messageId: 'missing',
      message: /docker logs.*--since/,
    },
  ],
});

const line = (cmd: string, status = 0, pipe: number[] = [status]): ShellCommand => ({
  status,
  pipe,
  t: 0,
  cmd,
});

describe('a host whose shell recorded nothing', () => {
  it('says so instead of passing or blaming the learner', async () => {
    const state = { ...fixture('bare').state, commands: null };
    const k = kinds.history!;
    const reports = await k.check(k.meta.schema.parse({ command: 'docker ps' }), {
      host: 'host1',
      states: { host1: state },
      exec: () => Promise.reject(new Error('history runs no probe')),
    });
    expect(reports.map((r) => [r.ok, r.messageId])).toEqual([[false, 'noRecord']]);
  });
});

describe('history matching', () => {
  it('splits at operators outside quotes only', () => {
    expect(pieces('a && b | c; d || e & f').map((p) => [p.text.trim(), p.op])).toEqual([
      ['a', '&&'],
      ['b', '|'],
      ['c', ';'],
      ['d', '||'],
      ['e', '&'],
      ['f', ''],
    ]);
    expect(pieces(`echo "a|b; c" 'x && y' 2>&1`)).toHaveLength(1);
    expect(pieces('docker logs $(docker ps -q | head -1) && echo ok').map((p) => p.op)).toEqual(['&&', '']);
  });
  it('matches flags the ways a shell accepts them', () => {
    const want = (cmd: string, args: string[]): boolean =>
      judge([line(cmd)], [{ command: 'docker logs', args }]).ok;
    expect(want('docker logs -f web', ['-f|--follow'])).toBe(true);
    expect(want('docker logs --follow web', ['-f|--follow'])).toBe(true);
    expect(want('docker logs -tf web', ['-f'])).toBe(true);
    expect(want('docker logs --tail=5 web', ['--tail'])).toBe(true);
    expect(want('sudo docker logs -f web', ['-f'])).toBe(true);
    expect(want('docker logsx -f web', ['-f'])).toBe(false);
    expect(want('docker logs web', ['-f'])).toBe(false);
    expect(want('docker logs --format-f web', ['-f'])).toBe(false);
    expect(want('timeout --preserve-status -s INT 3 docker logs -f web', ['-f'])).toBe(true);
    expect(want('env TZ=UTC docker logs -f web', ['-f'])).toBe(true);
  });
  it('matches a name given as --opt=name, and a VAR= before the command', () => {
    const w = (cmd: string, command: string, args: string[]): boolean =>
      judge([line(cmd)], [{ command, args }]).ok;
    expect(w('docker run -d --name=remote-made busybox', 'docker', ['run', 'remote-made'])).toBe(true);
    expect(
      w('docker -H tcp://host2:2375 run --name remote-made busybox', 'docker', ['run', 'remote-made']),
    ).toBe(true);
    expect(w('DOCKER_HOST=tcp://host2:2375 docker ps', 'docker', ['-H|--host|DOCKER_HOST='])).toBe(true);
    expect(w('docker --host tcp://host2:2375 ps', 'docker', ['-H|--host|DOCKER_HOST='])).toBe(true);
    expect(w('docker ps', 'docker', ['-H|--host|DOCKER_HOST='])).toBe(false);
    expect(
      w("curl -X POST 'http://host2:2375/containers/create?name=x'", 'curl', ['*:2375/*create?name=x']),
    ).toBe(true);
    expect(w('curl http://host2:2375/containers/json', 'curl', ['*:2375/*create?name=x'])).toBe(false);
    expect(w('docker run --name remote-made-2 busybox', 'docker', ['remote-made'])).toBe(false);
  });
  it('trusts a part only when its own status is known to be 0', () => {
    const w = [{ command: 'docker version' }];
    expect(judge([line('docker version && echo ok')], w).ok).toBe(true);
    expect(judge([line('docker version && echo ok', 1)], w)).toMatchObject({ ok: false, why: 'failed' });
    expect(judge([line('docker version | head -3', 0, [0, 0])], w).ok).toBe(true);
    expect(judge([line('docker version | head -1', 0, [141, 0])], w).ok).toBe(true);
    expect(judge([line('docker version | cat', 0, [1, 0])], w)).toMatchObject({ ok: false, why: 'failed' });
    // Typed by a strict runner (set -o pipefail): $? is the SIGPIPE of the early part.
    expect(judge([line('docker version | head -1', 141, [141, 0])], w).ok).toBe(true);
    expect(judge([line('docker version | grep -q nope', 1, [141, 1])], w).ok).toBe(false);
    expect(judge([line('docker version || true')], w)).toMatchObject({ ok: false, why: 'unknown' });
    expect(judge([line('docker version; echo')], w)).toMatchObject({ ok: false, why: 'unknown' });
    expect(judge([line('docker version | cat && echo x')], w)).toMatchObject({ ok: false, why: 'unknown' });
    // A later success wins over an earlier failure, whatever the order.
    expect(judge([line('docker version', 1), line('docker version')], w).ok).toBe(true);
    expect(judge([line('docker version'), line('docker version', 1)], w).ok).toBe(true);
  });
});

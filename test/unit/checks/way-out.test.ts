/**
 * A way out of every near miss (issue 14): when a check finds the object but with a wrong
 * property, its message says how to get from here to right. A setting fixed at creation
 * (a mount, a port, the image, -t, a link) cannot be changed: the learner who reruns the corrected
 * `docker run` meets "Conflict. The container name is already in use", so the message says to
 * remove it first. A setting that can change in place names the command that changes it.
 * Over states recorded from a real VM (test/fixtures/states/docker.json).
 */
import { describe, expect, it } from 'vitest';
import { kinds } from '../../../engine/checks/index.ts';
import { loadLessons } from '../../../engine/lessons/load.ts';
import { render } from '../../../engine/checks/render.ts';
import { run, zhSpacing, type Case } from './tester.ts';

interface WayOut extends Case {
  kind: string;
  messageId: string;
  /** The zh and en text must each contain these, in order. */
  zh: string[];
  en: string[];
}

const cases: WayOut[] = [
  {
    kind: 'mount',
    name: 'forgot :ro (lesson 19 step 3)',
    state: 'docker',
    params: { container: 'v1', source: '/root/container_data', destination: '/data', rw: false },
    messageId: 'field',
    zh: ['RW 是 rw，应该是 ro', '先 `docker rm -f v1`，再在 `-v` 的最后加上 `:ro` 重新 `docker run`'],
    en: ['`docker rm -f v1` first', 'with `:ro` at the end of `-v`'],
  },
  {
    kind: 'mount',
    name: 'an extra :ro',
    state: 'docker',
    params: { container: 'v2', destination: '/data', rw: true },
    messageId: 'field',
    zh: ['先 `docker rm -f v2`，再去掉 `-v` 最后的 `:ro` 重新 `docker run`'],
    en: ['without the `:ro` at the end of `-v`'],
  },
  {
    kind: 'mount',
    name: 'the wrong host directory',
    state: 'docker',
    params: { container: 'v1', source: '/root/other', destination: '/data' },
    messageId: 'field',
    zh: ['Source', '先 `docker rm -f v1`，再用 `-v /root/other:/data` 重新 `docker run`'],
    en: ['with `-v /root/other:/data`'],
  },
  {
    kind: 'container',
    name: 'the wrong image',
    state: 'docker',
    params: { name: 'web', image: 'redis' },
    messageId: 'image',
    zh: ['先 `docker rm -f web`，再用 redis 重新 `docker run`'],
    en: ['`docker rm -f web` first, then `docker run` it again from redis'],
  },
  {
    kind: 'container',
    name: 'no -t',
    state: 'docker',
    params: { name: 'dc2', tty: true },
    messageId: 'tty',
    zh: ['先 `docker rm -f dc2`，再加上 `-t`（通常写成 `-it`）重新 `docker run`'],
    en: ['with `-t` (usually `-it`)'],
  },
  {
    kind: 'container',
    name: 'no -p',
    state: 'docker',
    params: { name: 'dc2', ports: [{ container: 80, host: 8080 }] },
    messageId: 'port',
    zh: ['先 `docker rm -f dc2`，再加上 `-p 8080:80` 重新 `docker run`'],
    en: ['with `-p 8080:80`'],
  },
  {
    kind: 'container',
    name: 'the wrong host port',
    state: 'docker',
    params: { name: 'web', ports: [{ container: 80, host: 80 }] },
    messageId: 'hostPort',
    zh: ['映射到了主机的 8080，应该是 80', '先 `docker rm -f web`，再用 `-p 80:80` 重新 `docker run`'],
    en: ['with `-p 80:80`'],
  },
  {
    kind: 'container',
    name: 'a missing --link',
    state: 'docker',
    params: { name: 'cct1', links: ['cct3:web'] },
    messageId: 'link',
    zh: ['先 `docker rm -f cct1`，再加上 `--link cct3:web` 重新 `docker run`'],
    en: ['with `--link cct3:web`'],
  },
  {
    kind: 'container',
    name: 'a missing label',
    state: 'docker',
    params: { name: 'api-made', labels: { 'made-by': 'cli' } },
    messageId: 'field',
    zh: ['先 `docker rm -f api-made`，再改好命令重新 `docker run`'],
    en: ['`docker rm -f api-made` first'],
  },
  {
    kind: 'container',
    name: 'not on a network: connect it, no need to recreate',
    state: 'docker',
    params: { name: 'web', networks: ['mynet'] },
    messageId: 'network',
    zh: ['`docker network connect mynet web`'],
    en: ['`docker network connect mynet web`'],
  },
  {
    kind: 'container',
    name: 'stopped: start it',
    state: 'docker',
    params: { name: 'killed', running: true },
    messageId: 'notRunning',
    zh: ['`docker start killed`', '`docker logs killed`'],
    en: ['`docker start killed`'],
  },
  {
    kind: 'container',
    name: 'a memory limit: docker update, with --memory-swap (lesson 22)',
    state: 'docker',
    params: { name: 'limited', memory: '128m' },
    messageId: 'update',
    zh: ['`docker update --memory 128m --memory-swap 256m limited`'],
    en: ['`docker update --memory 128m --memory-swap 256m limited`'],
  },
  {
    kind: 'cgroup',
    name: 'memory.max: docker update, with --memory-swap',
    state: 'docker',
    params: { container: 'web', memory: '64m' },
    messageId: 'value',
    zh: ['`docker update --memory 64m --memory-swap 128m web`'],
    en: ['`docker update --memory 64m --memory-swap 128m web`'],
  },
  {
    kind: 'cgroup',
    name: 'cpu.weight 20: the --cpu-shares the lesson wrote (512), not the smallest (501)',
    state: 'docker',
    params: { container: 'web', cpuWeight: 20 },
    messageId: 'value',
    zh: ['`docker update --cpu-shares 512 web`'],
    en: ['`docker update --cpu-shares 512 web`'],
  },
  {
    kind: 'network',
    name: 'the wrong driver: remove and create the network again',
    state: 'docker',
    params: { name: 'mynet', driver: 'overlay' },
    messageId: 'driver',
    zh: ['`docker network rm mynet`', '用 `-d overlay` 重新 `docker network create`'],
    en: ['`docker network rm mynet`', 'with `-d overlay`'],
  },
  {
    kind: 'network',
    name: 'a container not on it: connect',
    state: 'docker',
    params: { name: 'mynet', containers: ['web'] },
    messageId: 'container',
    zh: ['`docker network connect mynet web`'],
    en: ['`docker network connect mynet web`'],
  },
  {
    kind: 'daemon',
    name: 'a daemon setting: restart dockerd after editing daemon.json',
    state: 'bare',
    params: { icc: false },
    messageId: 'icc',
    zh: ['icc 是', '改好 /etc/docker/daemon.json 后要 `systemctl restart docker`'],
    en: ['`systemctl restart docker`'],
  },
  {
    kind: 'image',
    name: 'an image setting: fix the Dockerfile and build again',
    state: 'docker',
    params: { name: 'myapp', cmd: ['nginx'] },
    messageId: 'field',
    zh: ['Cmd 是', '改好 Dockerfile，再用 `docker build -t myapp .` 重新构建'],
    en: ['`docker build -t myapp .` again'],
  },
  {
    kind: 'shell',
    name: 'a shell check without explain says what it ran, not an exit status',
    state: 'docker',
    params: { script: 'test -e /root/absent.txt' },
    messageId: 'failed',
    zh: ['这一步用 `test -e /root/absent.txt` 来检查，它没有成功'],
    en: ['checked by running `test -e /root/absent.txt`'],
  },
];

describe('a way out of each near miss', () => {
  for (const c of cases)
    it(`${c.kind}: ${c.name}`, async () => {
      const { reports, texts } = await run(c.kind, c);
      const at = reports.findIndex((r) => !r.ok && r.messageId === c.messageId);
      expect(at, JSON.stringify(reports)).toBeGreaterThanOrEqual(0);
      const text = texts[at]!;
      const inOrder = (s: string, parts: string[]): void => {
        let from = 0;
        for (const p of parts) {
          const i = s.indexOf(p, from);
          expect(i, `"${p}" in "${s}"`).toBeGreaterThanOrEqual(0);
          from = i + p.length;
        }
      };
      inOrder(text.zh, c.zh);
      inOrder(text.en, c.en);
      expect(zhSpacing(text.zh)).toEqual([]);
      // No message speaks of a script's exit status: say what was looked for.
      expect(text.zh).not.toMatch(/退出码是/);
    });

  it('a missing container is worded alike by the container kind and by a kind looking inside it (said once on the page)', async () => {
    // Lesson 16 step 1 before anything is done: `container: box` and `bridge: docker0, ports: [box]`.
    const a = await run('container', { state: 'bare', params: { name: 'box', running: true } });
    const b = await run('bridge', {
      state: 'bare',
      params: { name: 'docker0', ports: [{ container: 'box' }] },
    });
    expect(a.texts[0]!.zh).toMatch(/^没有名为 box 的容器/);
    expect(b.texts.map((x) => x.zh)).toContain(a.texts[0]!.zh);
    const n = await run('netns', { state: 'bare', params: { name: 'manual' } });
    const v = await run('addr', {
      state: 'bare',
      params: { dev: 'veth-m', netns: 'manual', addr: '172.17.0.200/16' },
    });
    expect(v.texts.map((x) => x.zh)).toContain(n.texts[0]!.zh);
  });

  it('every shell check in the course says in words what it looked for (explain)', async () => {
    const lessons = await loadLessons('lessons');
    const bare = lessons.flatMap((l) =>
      l.steps.flatMap((s) =>
        s.check
          .filter((c) => c.kind === 'shell' && !(c.params as { explain?: unknown }).explain)
          .map((c) => `${l.file}:${c.line}`),
      ),
    );
    expect(bare).toEqual([]);
  });

  it('a long shell script is shown on one line, cut at 120 characters', async () => {
    const script = `${'true && '.repeat(30)}\n  test -e /root/absent.txt`;
    const kind = kinds.shell!;
    const reports = await kind.check(kind.meta.schema.parse({ script }), {
      host: 'host1',
      states: {},
      exec: () => Promise.resolve({ code: 1, stdout: '', stderr: '', timedOut: false }),
    });
    const text = render(kind.meta.messages, reports[0]!);
    expect(text.zh).toMatch(/^这一步用 `true && true && .{90,}\.\.\.` 来检查，它没有成功$/);
    expect(text.zh).not.toContain('\n');
    expect(text.zh.length).toBeLessThan(140);
  });
});

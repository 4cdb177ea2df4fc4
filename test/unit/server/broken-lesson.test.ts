/** One bad lesson file is one bad lesson: the server starts, serves the others, and says what is wrong. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCourse } from '../../../engine/lessons/load.ts';
import { checkCatalog } from '../../../engine/lessons/catalog.ts';
import type { App } from '../../../engine/server/app.ts';
import type { ApiError, LessonSummary, LessonView } from '../../../engine/protocol.ts';
import { Client, fixtureLessons, testApp } from './harness.ts';

const repo = path.join(import.meta.dirname, '../../..');
let dir: string;
let app: App & { dir: string };

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-broken-'));
  fs.copyFileSync(path.join(fixtureLessons, '01-files.md'), path.join(dir, '01-files.md'));
  // A lesson whose front matter is not YAML, and one with no steps at all.
  fs.writeFileSync(path.join(dir, '02-bad-yaml.md'), '---\nid: [unclosed\n---\n\n## 一步\n\n正文\n');
  fs.writeFileSync(
    path.join(dir, '03-no-check.md'),
    '---\nid: 03-no-check\ntitle: 没有步骤\nchapter: 3\nhosts: 1\nminutes: 5\n---\n\n介绍\n\n## 小结\n\n完。\n',
  );
  // A lesson whose second check names a kind that does not exist (`fille` for `file`).
  const good = fs.readFileSync(path.join(fixtureLessons, '01-files.md'), 'utf8');
  fs.writeFileSync(
    path.join(dir, '04-bad-check.md'),
    good
      .replace('id: 01-files', 'id: 04-bad-check')
      .replace('- file: { path: /tmp/dl-test/b }', '- fille: { path: /tmp/dl-test/b }'),
  );
  const course = await loadCourse(dir, await checkCatalog());
  app = await testApp({ ...course });
});
afterAll(async () => {
  await app.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('a broken lesson file', () => {
  it('is loaded on its own: the good lesson loads, each bad one is reported with file:line', async () => {
    const { lessons, broken } = await loadCourse(dir, await checkCatalog());
    expect(lessons.map((l) => l.id)).toEqual(['01-files']);
    expect(broken.map((b) => b.id)).toEqual(['02-bad-yaml', '03-no-check', '04-bad-check']);
    // The bad condition is refused at load, with the line of the condition itself.
    const bad = broken[2]!.problems[0]!;
    expect(bad.what).toContain('unknown check kind `fille`');
    expect(fs.readFileSync(bad.file, 'utf8').split('\n')[bad.line - 1]).toContain('fille:');
    // Without the check library only the file's own structure is judged.
    expect((await loadCourse(dir)).lessons.map((l) => l.id)).toEqual(['01-files', '04-bad-check']);
    expect(broken[0]!.problems[0]!.file).toBe(path.join(dir, '02-bad-yaml.md'));
    expect(broken[0]!.problems[0]!.line).toBeGreaterThan(0);
  });

  it('is listed as broken, and opening it shows its problems while the good lesson opens', async () => {
    const c = new Client(app.url);
    const list = await c.json<LessonSummary[]>('GET', '/api/lessons');
    expect(list.status).toBe(200);
    expect(list.body.map((l) => [l.id, l.broken !== undefined])).toEqual([
      ['01-files', false],
      ['02-bad-yaml', true],
      ['03-no-check', true],
      ['04-bad-check', true],
    ]);
    const bad = await c.json<ApiError>('GET', '/api/lessons/02-bad-yaml');
    expect(bad.status).toBe(503);
    expect(bad.body.error.zh).toContain('这一课的文件有错误');
    expect(bad.body.error.zh).toMatch(/02-bad-yaml\.md:\d+: /);
    const good = await c.json<LessonView>('GET', '/api/lessons/01-files');
    expect(good.status).toBe(200);
    expect(good.body.steps.length).toBeGreaterThan(0);
  });

  it('does not stop `dockerlab serve`: it starts, names the file, and serves the others', async () => {
    const child = spawn(process.execPath, [path.join(repo, 'bin/dockerlab.js'), 'serve', '--port', '0'], {
      cwd: repo,
      env: {
        ...process.env,
        DOCKERLAB_LOCAL_SHELL: '1',
        DOCKERLAB_LESSONS: dir,
        DOCKERLAB_DATA: path.join(dir, 'data'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setInterval(() => {
          const m = /(http:\/\/localhost:\d+\/)/.exec(out);
          if (m) {
            clearInterval(timer);
            resolve(m[1]!);
          }
        }, 100);
        child.once('exit', (code) => {
          clearInterval(timer);
          reject(new Error(`serve exited ${code}: ${out}`));
        });
      });
      expect(out).toContain('02-bad-yaml.md');
      const list = await new Client(url).json<LessonSummary[]>('GET', '/api/lessons');
      expect(list.body.find((l) => l.id === '01-files')?.broken).toBeUndefined();
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  }, 60_000);
});

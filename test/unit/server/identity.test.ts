/**
 * Identity: the public id, the session secret hashed at rest, the migration of a database from
 * before (schema 1, where the id was the cookie), PINs, rate limits and the state folder's modes.
 * Real SQLite files and the real server.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Client, testApp } from './harness.ts';
import { Store } from '../../../engine/server/store.ts';
import { hashPin, verifyPin } from '../../../engine/server/secrets.ts';
import type { ApiError, LessonView, SessionView } from '../../../engine/protocol.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'dl-identity-'));
const mode = (p: string) => fs.statSync(p).mode & 0o777;

/** A progress database as the server before this change wrote it (schema 1). */
function schemaOneDb(file: string, learners: { id: string; name: string | null }[]): void {
  const db = new Database(file);
  db.exec(`CREATE TABLE migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT (datetime('now')));
    CREATE TABLE learners (id TEXT PRIMARY KEY, token TEXT NOT NULL UNIQUE, name TEXT,
      created_at TEXT NOT NULL DEFAULT (datetime('now')));
    CREATE TABLE lessons (learner_id TEXT NOT NULL REFERENCES learners(id), lesson_id TEXT NOT NULL,
      current_step INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL DEFAULT (datetime('now')),
      PRIMARY KEY (learner_id, lesson_id));
    CREATE TABLE steps (learner_id TEXT NOT NULL REFERENCES learners(id), lesson_id TEXT NOT NULL,
      step INTEGER NOT NULL, passed INTEGER NOT NULL DEFAULT 0, skipped INTEGER NOT NULL DEFAULT 0,
      hints_opened INTEGER NOT NULL DEFAULT 0, solution_shown INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (learner_id, lesson_id, step));
    INSERT INTO migrations (version) VALUES (1);`);
  for (const [i, l] of learners.entries()) {
    db.prepare('INSERT INTO learners (id, token, name) VALUES (?, ?, ?)').run(l.id, `token-${i}`, l.name);
    db.prepare('INSERT INTO lessons (learner_id, lesson_id, current_step) VALUES (?, ?, 2)').run(
      l.id,
      '01-files',
    );
    db.prepare('INSERT INTO steps (learner_id, lesson_id, step, passed) VALUES (?, ?, 0, 1)').run(
      l.id,
      '01-files',
    );
    db.prepare('INSERT INTO steps (learner_id, lesson_id, step, passed) VALUES (?, ?, 1, 1)').run(
      l.id,
      '01-files',
    );
  }
  db.close();
}

describe('identity', () => {
  it('migrates schema 1: new public ids, progress kept, the old cookie accepted once and stored only hashed', () => {
    const dir = tmp();
    const file = path.join(dir, 'progress.db');
    const oldA = 'Q2xhc3NpY1NlY3JldEFBQUFB';
    schemaOneDb(file, [
      { id: oldA, name: null },
      { id: 'T2xkQ2xhc3NtYXRlQkJCQkJC', name: '小王' },
    ]);
    const s = new Store(file);
    expect(s.schemaVersion).toBe(2);
    const a = s.session(oldA);
    expect(a).toMatchObject({ legacy: true, learner: { name: null, hasPin: false } });
    expect(a!.learner.id).toMatch(/^[0-9a-f]{16}$/);
    expect(s.progress(a!.learner.id, '01-files').currentStep).toBe(2);
    expect(s.passedCounts(a!.learner.id).get('01-files')).toBe(2);
    const wang = s.learnerByName('小王')!;
    expect(s.passedCounts(wang.id).get('01-files')).toBe(2);
    s.close();
    // At rest: neither old secret in the file, in any form the server could send back as is.
    const bytes =
      fs.readFileSync(file, 'latin1') +
      (fs.existsSync(`${file}-wal`) ? fs.readFileSync(`${file}-wal`, 'latin1') : '');
    expect(bytes).not.toContain(oldA);
    // Opening again runs nothing twice.
    const again = new Store(file);
    expect(again.schemaVersion).toBe(2);
    expect(again.session(oldA)?.learner.id).toBe(a!.learner.id);
    again.close();
  });

  it('keeps the state folder 0700 and the database 0600', () => {
    const dir = path.join(tmp(), 'state');
    const s = new Store(path.join(dir, 'progress.db'));
    s.openSession(s.createLearner().id);
    expect(mode(dir)).toBe(0o700);
    for (const f of fs.readdirSync(dir)) expect([f, mode(path.join(dir, f))]).toEqual([f, 0o600]);
    s.close();
    // A folder made before with 0755 as DOCKERLAB_DATA is tightened.
    const data = path.join(tmp(), 'data');
    fs.mkdirSync(data, { mode: 0o755 });
    fs.chmodSync(data, 0o755);
    const before = process.env.DOCKERLAB_DATA;
    process.env.DOCKERLAB_DATA = data;
    try {
      new Store().close();
      expect(mode(data)).toBe(0o700);
      expect(mode(path.join(data, 'progress.db'))).toBe(0o600);
    } finally {
      if (before === undefined) delete process.env.DOCKERLAB_DATA;
      else process.env.DOCKERLAB_DATA = before;
    }
  });

  it('hashes PINs with scrypt and a salt of their own', async () => {
    const h1 = await hashPin('2468');
    const h2 = await hashPin('2468');
    expect(h1).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(h1).not.toBe(h2);
    expect(h1).not.toContain('2468');
    expect(await verifyPin('2468', h1)).toBe(true);
    expect(await verifyPin('2469', h1)).toBe(false);
    expect(await verifyPin('2468', 'md5$x')).toBe(false);
  });

  it('over HTTP: a legacy cookie works once and is replaced; the page never sees a secret', async () => {
    const dir = tmp();
    const dbFile = path.join(dir, 'old.db');
    const old = 'T2xkQ29va2llRnJvbUJlZm9yZQ';
    schemaOneDb(dbFile, [{ id: old, name: null }]);
    const app = await testApp({ dbFile });
    try {
      const c = new Client(app.url);
      c.cookie = `dl_sid=${old}`;
      const first = await c.json<SessionView>('GET', '/api/session');
      expect(first.status).toBe(200);
      expect(first.body.learnerId).not.toBe(old);
      expect(c.cookie).toMatch(/^dl_sid=[\w-]{43}$/); // re-issued
      const view = await c.json<LessonView>('GET', '/api/lessons/01-files');
      expect(view.body.progress.currentStep).toBe(2);
      expect((await c.session()).learnerId).toBe(first.body.learnerId);
      // The old value no longer opens that learner: it is a stranger's (a new anonymous learner).
      const replay = new Client(app.url);
      replay.cookie = `dl_sid=${old}`;
      expect((await replay.session()).learnerId).not.toBe(first.body.learnerId);
      // What the page gets has no secret in it.
      expect(JSON.stringify(first.body)).not.toContain(c.cookie.slice('dl_sid='.length));
    } finally {
      await app.close();
    }
  });

  it('rate-limits new learners and sign-ins per client address with 429 and Retry-After', async () => {
    const app = await testApp({
      classCode: 'k',
      rateLimits: { signInsPerMinute: 3, learnersPerHour: 2 },
    });
    const anon = await testApp({ rateLimits: { signInsPerMinute: 3, learnersPerHour: 2 } });
    try {
      const post = (name: string, pin: string) =>
        fetch(new URL('/api/session', app.url), {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: app.url.replace(/\/$/, '') },
          body: JSON.stringify({ classCode: 'k', name, pin }),
        });
      expect((await post('甲', '1111')).status).toBe(200);
      expect((await post('甲', '0000')).status).toBe(403);
      expect((await post('乙', '1111')).status).toBe(200);
      const limited = await post('甲', '1111');
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const text = ((await limited.json()) as ApiError).error;
      expect(text.zh).toContain('太频繁');
      expect(text.en).toContain('try again in');

      const visit = () => fetch(new URL('/api/session', anon.url));
      const known = new Client(anon.url);
      await known.session();
      expect((await visit()).status).toBe(200);
      const third = await visit();
      expect(third.status).toBe(429);
      // 2 an hour: the next one in about half an hour.
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(1700);
      expect(third.headers.get('set-cookie')).toBeNull();
      // A learner who has a cookie is not limited.
      expect((await known.json('GET', '/api/lessons')).status).toBe(200);
    } finally {
      await app.close();
      await anon.close();
    }
  });
});

describe('class sign-in race', () => {
  it('gives a new name to one of two sign-ins at the same moment, never two learners', async () => {
    const app = await testApp({ classCode: 'k' });
    const post = (pin: string) =>
      fetch(new URL('/api/session', app.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: app.url.replace(/\/$/, '') },
        body: JSON.stringify({ classCode: 'k', name: '同名', pin }),
      });
    try {
      const [a, b] = await Promise.all([post('1111'), post('2222')]);
      const won = a.status === 200 ? '1111' : '2222';
      expect([a.status, b.status].sort()).toEqual([200, expect.any(Number)]);
      expect([403, 409]).toContain(a.status === 200 ? b.status : a.status);
      expect((await post(won)).status).toBe(200);
      expect((await post(won === '1111' ? '2222' : '1111')).status).toBe(403);
      expect(app.store.namedLearners().filter((l) => l.name === '同名')).toHaveLength(1);
    } finally {
      await app.close();
    }
  });
});

describe('dockerlab class', () => {
  it('lists the names and clears a forgotten PIN: signed out everywhere, progress kept, a new PIN at the next sign-in', async () => {
    const data = tmp();
    const before = process.env.DOCKERLAB_DATA;
    process.env.DOCKERLAB_DATA = data;
    try {
      const s = new Store();
      const li = s.createLearner('小李', await hashPin('2468'));
      s.markPassed(li.id, '01-files', 0);
      const secret = s.openSession(li.id);
      s.close();
      const { main } = await import('../../../engine/server/class-cli.ts');
      expect(await main(['list'])).toBe(0);
      expect(await main(['forget-pin', '小王'])).toBe(1);
      expect(await main(['forget-pin', '小李'])).toBe(0);
      expect(await main(['nonsense'])).toBe(2);
      const after = new Store();
      expect(after.session(secret)).toBeNull();
      expect(after.learnerByName('小李')).toEqual({ id: li.id, name: '小李', hasPin: false });
      expect(after.passedCounts(li.id).get('01-files')).toBe(1);
      after.close();
    } finally {
      if (before === undefined) delete process.env.DOCKERLAB_DATA;
      else process.env.DOCKERLAB_DATA = before;
    }
  });
});

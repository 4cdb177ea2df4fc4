/**
 * Learners and their progress in SQLite (better-sqlite3, synchronous: every query here is tiny).
 * Schema changes are numbered migrations recorded in the `migrations` table, applied in order at open.
 *
 * A learner has a public id (JSON, logs, saved-lab folders) and any number of sessions, each a
 * random secret held by one browser as its cookie; only the secret's sha256 is stored. In class
 * mode a learner also has a PIN, stored with scrypt (see secrets.ts). The folder is 0700 and the
 * database file 0600: progress and names are nobody else's business on a shared machine.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hashSecret, newPublicId, newSecret } from './secrets.ts';

type Migration = string | ((db: Database.Database) => void);

const migrations: Migration[] = [
  `CREATE TABLE learners (
     id TEXT PRIMARY KEY,
     token TEXT NOT NULL UNIQUE,
     name TEXT,
     created_at TEXT NOT NULL DEFAULT (datetime('now')));
   CREATE TABLE lessons (
     learner_id TEXT NOT NULL REFERENCES learners(id),
     lesson_id TEXT NOT NULL,
     current_step INTEGER NOT NULL DEFAULT 0,
     updated_at TEXT NOT NULL DEFAULT (datetime('now')),
     PRIMARY KEY (learner_id, lesson_id));
   CREATE TABLE steps (
     learner_id TEXT NOT NULL REFERENCES learners(id),
     lesson_id TEXT NOT NULL,
     step INTEGER NOT NULL,
     passed INTEGER NOT NULL DEFAULT 0,
     skipped INTEGER NOT NULL DEFAULT 0,
     hints_opened INTEGER NOT NULL DEFAULT 0,
     solution_shown INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (learner_id, lesson_id, step));`,
  // 2: the learner id was also the cookie (and page JS saw it). Each learner gets a new public id;
  // the old id becomes a legacy session, accepted once more and then replaced by a new secret.
  (db) => {
    db.exec(`CREATE TABLE learners_v2 (
       id TEXT PRIMARY KEY,
       name TEXT,
       pin_hash TEXT,
       created_at TEXT NOT NULL DEFAULT (datetime('now')));
     CREATE INDEX learners_name ON learners_v2(name);
     CREATE TABLE sessions (
       secret_hash TEXT PRIMARY KEY,
       learner_id TEXT NOT NULL REFERENCES learners(id),
       legacy INTEGER NOT NULL DEFAULT 0,
       created_at TEXT NOT NULL DEFAULT (datetime('now')));
     CREATE INDEX sessions_learner ON sessions(learner_id);`);
    const old = db.prepare('SELECT id, name, created_at FROM learners').all() as {
      id: string;
      name: string | null;
      created_at: string;
    }[];
    for (const row of old) {
      const id = newPublicId();
      db.prepare('INSERT INTO learners_v2 (id, name, created_at) VALUES (?, ?, ?)').run(
        id,
        row.name,
        row.created_at,
      );
      db.prepare('INSERT INTO sessions (secret_hash, learner_id, legacy) VALUES (?, ?, 1)').run(
        hashSecret(row.id),
        id,
      );
      for (const table of ['lessons', 'steps'])
        db.prepare(`UPDATE ${table} SET learner_id = ? WHERE learner_id = ?`).run(id, row.id);
    }
    db.exec('DROP TABLE learners; ALTER TABLE learners_v2 RENAME TO learners;');
  },
];

export interface Learner {
  /** Public: fine in JSON, logs and folder names. */
  id: string;
  name: string | null;
  /** Class mode: the learner has set a PIN. */
  hasPin: boolean;
}

/** A session found by its secret; `legacy` secrets (from before migration 2) are to be replaced. */
export interface SessionRow {
  learner: Learner;
  legacy: boolean;
}

interface LearnerRow {
  id: string;
  name: string | null;
  pin_hash: string | null;
}

const toLearner = (r: LearnerRow): Learner => ({ id: r.id, name: r.name, hasPin: r.pin_hash !== null });

export interface StepRow {
  step: number;
  passed: boolean;
  skipped: boolean;
  hintsOpened: number;
  solutionShown: boolean;
}

export interface LessonProgress {
  currentStep: number;
  steps: Map<number, StepRow>;
}

export function dataDir(): string {
  return process.env.DOCKERLAB_DATA ?? path.join(os.homedir(), '.dockerlab');
}

export function defaultDbFile(): string {
  return path.join(dataDir(), 'progress.db');
}

/**
 * The database's folder made 0700 if we make it (or it is the data folder), and the file 0600
 * before SQLite opens it: SQLite gives its -wal and -shm files the database file's mode.
 */
function privateFile(file: string): void {
  const dir = path.dirname(file);
  const made = !fs.existsSync(dir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (made || path.resolve(dir) === path.resolve(dataDir())) fs.chmodSync(dir, 0o700);
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  fs.chmodSync(file, 0o600);
  for (const extra of ['-wal', '-shm']) if (fs.existsSync(file + extra)) fs.chmodSync(file + extra, 0o600);
}

export class Store {
  private readonly db: Database.Database;

  /** `:memory:` for tests. */
  constructor(file: string = defaultDbFile()) {
    if (file !== ':memory:') privateFile(file);
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('foreign_keys = ON');
    // Deleted rows are overwritten, not left in free pages: an ended session, or the old ids
    // migration 2 replaces, must not stay readable in the file.
    this.db.pragma('secure_delete = ON');
    this.migrate();
  }

  private migrate(): void {
    this.db.exec(`CREATE TABLE IF NOT EXISTS migrations (
      version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT (datetime('now')))`);
    const row = this.db.prepare('SELECT MAX(version) AS v FROM migrations').get() as { v: number | null };
    const done = row.v ?? 0;
    // A migration may rebuild a table others refer to: foreign keys are checked once at its end.
    this.db.pragma('foreign_keys = OFF');
    try {
      for (let v = done + 1; v <= migrations.length; v++) {
        this.db.transaction(() => {
          const m = migrations[v - 1]!;
          if (typeof m === 'string') this.db.exec(m);
          else m(this.db);
          const broken = this.db.pragma('foreign_key_check') as unknown[];
          if (broken.length > 0)
            throw new Error(
              `migration ${v} left ${broken.length} rows pointing nowhere: ${JSON.stringify(broken[0])}`,
            );
          this.db.prepare('INSERT INTO migrations (version) VALUES (?)').run(v);
        })();
      }
    } finally {
      this.db.pragma('foreign_keys = ON');
    }
  }

  get schemaVersion(): number {
    return (this.db.prepare('SELECT MAX(version) AS v FROM migrations').get() as { v: number }).v;
  }

  createLearner(name: string | null = null, pinHash: string | null = null): Learner {
    const id = newPublicId();
    this.db.prepare('INSERT INTO learners (id, name, pin_hash) VALUES (?, ?, ?)').run(id, name, pinHash);
    return { id, name, hasPin: pinHash !== null };
  }

  learner(id: string): Learner | null {
    const r = this.db.prepare('SELECT id, name, pin_hash FROM learners WHERE id = ?').get(id) as
      LearnerRow | undefined;
    return r ? toLearner(r) : null;
  }

  /** Class mode: a name finds the learner again (who must then know their PIN). */
  learnerByName(name: string): Learner | null {
    const r = this.db
      .prepare('SELECT id, name, pin_hash FROM learners WHERE name = ? ORDER BY created_at, rowid LIMIT 1')
      .get(name) as LearnerRow | undefined;
    return r ? toLearner(r) : null;
  }

  /** Gives an unnamed learner a name and a PIN (their first class sign-in keeps their progress). */
  nameLearner(id: string, name: string, pinHash: string): void {
    this.db.prepare('UPDATE learners SET name = ?, pin_hash = ? WHERE id = ?').run(name, pinHash, id);
  }

  setPin(id: string, pinHash: string): void {
    this.db.prepare('UPDATE learners SET pin_hash = ? WHERE id = ?').run(pinHash, id);
  }

  pinHash(id: string): string | null {
    const r = this.db.prepare('SELECT pin_hash FROM learners WHERE id = ?').get(id) as
      { pin_hash: string | null } | undefined;
    return r?.pin_hash ?? null;
  }

  /** A new session for the learner; returns its secret (for the cookie), which is not kept. */
  openSession(learnerId: string): string {
    const secret = newSecret();
    this.db
      .prepare('INSERT INTO sessions (secret_hash, learner_id) VALUES (?, ?)')
      .run(hashSecret(secret), learnerId);
    return secret;
  }

  session(secret: string): SessionRow | null {
    const r = this.db
      .prepare(
        `SELECT l.id, l.name, l.pin_hash, s.legacy FROM sessions s JOIN learners l ON l.id = s.learner_id
         WHERE s.secret_hash = ?`,
      )
      .get(hashSecret(secret)) as (LearnerRow & { legacy: number }) | undefined;
    return r ? { learner: toLearner(r), legacy: r.legacy === 1 } : null;
  }

  /**
   * A teacher's way out for a learner who forgot their PIN: the PIN is cleared (the next sign-in
   * with the name sets a new one) and every browser signed in as them is signed out.
   */
  forgetPin(name: string): Learner | null {
    const learner = this.learnerByName(name);
    if (!learner) return null;
    this.db.transaction(() => {
      this.db.prepare('UPDATE learners SET pin_hash = NULL WHERE id = ?').run(learner.id);
      this.db.prepare('DELETE FROM sessions WHERE learner_id = ?').run(learner.id);
    })();
    return { ...learner, hasPin: false };
  }

  /** Named learners (class mode), for the teacher: name, whether a PIN is set, signed-in browsers. */
  namedLearners(): { name: string; hasPin: boolean; sessions: number }[] {
    const rows = this.db
      .prepare(
        `SELECT l.name, l.pin_hash IS NOT NULL AS has_pin, COUNT(s.secret_hash) AS sessions
         FROM learners l LEFT JOIN sessions s ON s.learner_id = l.id
         WHERE l.name IS NOT NULL GROUP BY l.id ORDER BY l.name`,
      )
      .all() as { name: string; has_pin: number; sessions: number }[];
    return rows.map((r) => ({ name: r.name, hasPin: r.has_pin === 1, sessions: r.sessions }));
  }

  endSession(secret: string): void {
    this.db.prepare('DELETE FROM sessions WHERE secret_hash = ?').run(hashSecret(secret));
  }

  progress(learnerId: string, lessonId: string): LessonProgress {
    const lesson = this.db
      .prepare('SELECT current_step FROM lessons WHERE learner_id = ? AND lesson_id = ?')
      .get(learnerId, lessonId) as { current_step: number } | undefined;
    const rows = this.db
      .prepare(
        'SELECT step, passed, skipped, hints_opened, solution_shown FROM steps WHERE learner_id = ? AND lesson_id = ?',
      )
      .all(learnerId, lessonId) as {
      step: number;
      passed: number;
      skipped: number;
      hints_opened: number;
      solution_shown: number;
    }[];
    const steps = new Map<number, StepRow>();
    for (const r of rows) {
      steps.set(r.step, {
        step: r.step,
        passed: r.passed === 1,
        skipped: r.skipped === 1,
        hintsOpened: r.hints_opened,
        solutionShown: r.solution_shown === 1,
      });
    }
    return { currentStep: lesson?.current_step ?? 0, steps };
  }

  /** Passed steps per lesson, for the chapter list. */
  passedCounts(learnerId: string): Map<string, number> {
    const rows = this.db
      .prepare(
        'SELECT lesson_id, COUNT(*) AS n FROM steps WHERE learner_id = ? AND passed = 1 GROUP BY lesson_id',
      )
      .all(learnerId) as { lesson_id: string; n: number }[];
    return new Map(rows.map((r) => [r.lesson_id, r.n]));
  }

  setCurrentStep(learnerId: string, lessonId: string, step: number): void {
    this.db
      .prepare(
        `INSERT INTO lessons (learner_id, lesson_id, current_step) VALUES (?, ?, ?)
         ON CONFLICT (learner_id, lesson_id) DO UPDATE SET current_step = excluded.current_step, updated_at = datetime('now')`,
      )
      .run(learnerId, lessonId, step);
  }

  private updateStep(learnerId: string, lessonId: string, step: number, set: string): void {
    this.db
      .prepare(`INSERT INTO steps (learner_id, lesson_id, step) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`)
      .run(learnerId, lessonId, step);
    this.db
      .prepare(`UPDATE steps SET ${set} WHERE learner_id = ? AND lesson_id = ? AND step = ?`)
      .run(learnerId, lessonId, step);
  }

  markPassed(learnerId: string, lessonId: string, step: number, skipped = false): void {
    this.updateStep(learnerId, lessonId, step, skipped ? 'passed = 1, skipped = 1' : 'passed = 1');
  }

  /** Records one more opened hint, at most `available`; returns how many are open now. */
  openHint(learnerId: string, lessonId: string, step: number, available: number): number {
    this.updateStep(
      learnerId,
      lessonId,
      step,
      `hints_opened = MIN(hints_opened + 1, ${Math.max(0, available | 0)})`,
    );
    return this.progress(learnerId, lessonId).steps.get(step)?.hintsOpened ?? 0;
  }

  markSolutionShown(learnerId: string, lessonId: string, step: number): void {
    this.updateStep(learnerId, lessonId, step, 'solution_shown = 1');
  }

  close(): void {
    this.db.close();
  }
}

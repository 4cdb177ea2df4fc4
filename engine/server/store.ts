/**
 * Learners and their progress in SQLite (better-sqlite3, synchronous: every query here is tiny).
 * Schema changes are numbered migrations recorded in the `migrations` table, applied in order at open.
 */
import Database from 'better-sqlite3';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const migrations: string[] = [
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
];

export interface Learner {
  id: string;
  token: string;
  name: string | null;
}

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

export function defaultDbFile(): string {
  const dir = process.env.DOCKERLAB_DATA ?? path.join(os.homedir(), '.dockerlab');
  return path.join(dir, 'progress.db');
}

export class Store {
  private readonly db: Database.Database;

  /** `:memory:` for tests. */
  constructor(file: string = defaultDbFile()) {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('foreign_keys = ON');
    this.migrate();
  }

  private migrate(): void {
    this.db.exec(`CREATE TABLE IF NOT EXISTS migrations (
      version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT (datetime('now')))`);
    const row = this.db.prepare('SELECT MAX(version) AS v FROM migrations').get() as { v: number | null };
    const done = row.v ?? 0;
    for (let v = done + 1; v <= migrations.length; v++) {
      this.db.transaction(() => {
        this.db.exec(migrations[v - 1]!);
        this.db.prepare('INSERT INTO migrations (version) VALUES (?)').run(v);
      })();
    }
  }

  get schemaVersion(): number {
    return (this.db.prepare('SELECT MAX(version) AS v FROM migrations').get() as { v: number }).v;
  }

  createLearner(name: string | null = null): Learner {
    const learner = { id: randomId(), token: randomId(), name };
    this.db
      .prepare('INSERT INTO learners (id, token, name) VALUES (?, ?, ?)')
      .run(learner.id, learner.token, name);
    return learner;
  }

  learner(id: string): Learner | null {
    return (
      (this.db.prepare('SELECT id, token, name FROM learners WHERE id = ?').get(id) as Learner | undefined) ??
      null
    );
  }

  /** Class codes give a name: the same name in the same class finds the same learner again. */
  learnerByName(name: string): Learner | null {
    return (
      (this.db.prepare('SELECT id, token, name FROM learners WHERE name = ?').get(name) as
        Learner | undefined) ?? null
    );
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

function randomId(): string {
  return crypto.randomBytes(18).toString('base64url');
}

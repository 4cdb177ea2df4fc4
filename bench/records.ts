/**
 * Figures kept between runs for the bench: the last `dockerlab verify --all` (it takes 15 minutes,
 * too long to run inside `npm run bench`), written by verify when it proved the whole course.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

const VerifyAllRecord = z.object({
  at: z.string(),
  minutes: z.number().positive(),
  lessons: z.int().min(1),
  passed: z.int().min(0),
  jobs: z.int().min(1),
  cases: z.boolean(),
});
export type VerifyAllRecord = z.infer<typeof VerifyAllRecord>;

/** Where the record lives: the user's dockerlab state folder (DOCKERLAB_DATA, default ~/.dockerlab). */
export function verifyRecordFile(): string {
  return path.join(process.env.DOCKERLAB_DATA ?? path.join(os.homedir(), '.dockerlab'), 'verify-all.json');
}

/** Keeps how long a whole-course verify took; a record that cannot be written is only a lost figure. */
export function recordVerifyAll(record: VerifyAllRecord): void {
  try {
    fs.mkdirSync(path.dirname(verifyRecordFile()), { recursive: true });
    fs.writeFileSync(verifyRecordFile(), JSON.stringify(VerifyAllRecord.parse(record)) + '\n');
  } catch {
    // a read-only home: the bench then reports verifyAllMin as missing
  }
}

/** The last whole-course verify, or null when none was recorded (or the record is unreadable). */
export function lastVerifyAll(file = verifyRecordFile()): VerifyAllRecord | null {
  try {
    const parsed = VerifyAllRecord.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

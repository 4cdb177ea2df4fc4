/**
 * Loads the course from lessons/: one Markdown file per lesson (`NN-slug.md`), an optional English
 * twin beside it (`NN-slug.en.md`). Problems in a file throw a LessonError naming file and line;
 * `dockerlab lessons lint` reports them all at once.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { parseLesson } from './parse.ts';
import { LessonError } from './problem.ts';
import type { Lesson } from './types.ts';

/** The Chinese lesson files of a directory, in course order (`NN-slug.md`, English twins left out). */
export async function lessonFiles(dir = 'lessons'): Promise<string[]> {
  const names = await readdir(dir);
  return names
    .filter((n) => /^\d+-[^.]+\.md$/.test(n))
    .sort((a, b) => parseInt(a, 10) - parseInt(b, 10) || a.localeCompare(b))
    .map((n) => path.join(dir, n));
}

export async function loadLesson(file: string): Promise<Lesson> {
  const { lesson, problems } = parseLesson(await readFile(file, 'utf8'), file);
  if (problems.length > 0) throw new LessonError(problems);
  return lesson;
}

export async function loadLessons(dir = 'lessons'): Promise<Lesson[]> {
  return Promise.all((await lessonFiles(dir)).map(loadLesson));
}

/** The English twin of a lesson file, if one sits beside it. */
export function englishTwin(file: string): string {
  return file.replace(/\.md$/, '.en.md');
}

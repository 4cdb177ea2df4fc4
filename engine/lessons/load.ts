/**
 * Loads the course from lessons/: one Markdown file per lesson (`NN-slug.md`), an optional English
 * twin beside it (`NN-slug.en.md`). Problems in a file throw a LessonError naming file and line;
 * `dockerlab lessons lint` reports them all at once.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { parseLesson } from './parse.ts';
import { LessonError, type Problem } from './problem.ts';
import { conditionProblems, type CheckCatalog } from './lint.ts';
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

/** A lesson file that cannot be loaded: the server lists it and shows its problems to whoever opens it. */
export interface BrokenLesson {
  /** The file name without `.md` (`07-dockerfile-instructions`): the id a lesson would most likely have. */
  id: string;
  file: string;
  chapter: number;
  problems: Problem[];
}

/**
 * The whole course for the server: every lesson that loads, and the ones that do not, each on its
 * own — one bad file must not keep the other lessons from every learner. Given the check library
 * (`checkCatalog()`), conditions are validated too.
 */
export async function loadCourse(
  dir = 'lessons',
  catalog?: CheckCatalog,
): Promise<{ lessons: Lesson[]; broken: BrokenLesson[] }> {
  const lessons: Lesson[] = [];
  const broken: BrokenLesson[] = [];
  for (const file of await lessonFiles(dir)) {
    try {
      const lesson = await loadLesson(file);
      // With the check library at hand, a bad condition makes the lesson broken here, at load.
      const bad = catalog ? conditionProblems(lesson, catalog) : [];
      if (bad.length > 0) throw new LessonError(bad);
      lessons.push(lesson);
    } catch (e) {
      const problems: Problem[] =
        e instanceof LessonError
          ? e.problems
          : [{ file, line: 1, what: `cannot be read: ${(e as Error).message}`, fix: 'check the file exists and is readable UTF-8' }];
      const id = path.basename(file, '.md');
      broken.push({ id, file, chapter: parseInt(id, 10) || 0, problems });
    }
  }
  // Two files claiming one id would make one lesson unreachable: the later one is reported broken.
  const seen = new Set<string>();
  for (const l of [...lessons]) {
    if (!seen.has(l.id)) {
      seen.add(l.id);
      continue;
    }
    lessons.splice(lessons.indexOf(l), 1);
    broken.push({
      id: path.basename(l.file, '.md'),
      file: l.file,
      chapter: l.chapter,
      problems: [{ file: l.file, line: 2, what: `the id "${l.id}" is used by another lesson too`, fix: 'give each lesson its own id' }],
    });
  }
  return { lessons, broken };
}

/** The English twin of a lesson file, if one sits beside it. */
export function englishTwin(file: string): string {
  return file.replace(/\.md$/, '.en.md');
}

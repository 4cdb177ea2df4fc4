// The real course: every lesson in lessons/ lints clean against the real check library, loads, and
// covers the 25 lessons of COURSE.md and lesson 26 (macvlan, issue 11) with the right number of hosts.
import { describe, expect, it } from 'vitest';
import { lintFiles } from '../../../engine/lessons/cli.ts';
import { lessonFiles, loadLessons } from '../../../engine/lessons/load.ts';
import { formatProblem } from '../../../engine/lessons/problem.ts';

describe('lessons/', () => {
  it('lints clean', async () => {
    const problems = await lintFiles(await lessonFiles('lessons'));
    expect(problems.map(formatProblem)).toEqual([]);
  });

  it('holds lessons 1 to 26, two hosts exactly for 11 and 23-26', async () => {
    const lessons = await loadLessons('lessons');
    expect(lessons.map((l) => l.chapter)).toEqual(Array.from({ length: 26 }, (_, i) => i + 1));
    expect(lessons.filter((l) => l.hosts === 2).map((l) => l.chapter)).toEqual([11, 23, 24, 25, 26]);
    for (const l of lessons) {
      expect(l.intro.length, l.id).toBeGreaterThan(50);
      expect(l.summary.length, l.id).toBeGreaterThan(20);
      for (const s of l.steps) expect(s.hints.length, `${l.id} ${s.title}`).toBeGreaterThan(0);
    }
  });
});

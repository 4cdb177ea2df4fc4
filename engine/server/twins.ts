/** The English twins (`NN-slug.en.md`) of loaded lessons, by lesson id: the page shows them in English. */
import fs from 'node:fs';
import { englishTwin, loadLesson } from '../lessons/load.ts';
import type { Lesson } from '../lessons/types.ts';
import { logger } from '../log.ts';

const log = logger('course');

export async function englishTwins(lessons: Lesson[]): Promise<Map<string, Lesson>> {
  const twins = new Map<string, Lesson>();
  for (const l of lessons) {
    const file = englishTwin(l.file);
    if (!fs.existsSync(file)) continue;
    try {
      twins.set(l.id, await loadLesson(file));
    } catch (e) {
      // A broken twin costs only the English text: the Chinese lesson is shown instead.
      log.warn('English twin not loaded', { file, error: (e as Error).message });
    }
  }
  return twins;
}

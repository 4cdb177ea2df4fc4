/**
 * English on the chapter list and the lesson page (issue 14): every lesson of the real course has
 * an English title (its `title_en`, or its English twin's), and a lesson page in English says when
 * the text itself is Chinese. Real lessons, real Course and SQLite store.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadLessons } from '../../../engine/lessons/load.ts';
import { Course } from '../../../engine/server/course.ts';
import { Store } from '../../../engine/server/store.ts';
import { englishTwins } from '../../../engine/server/twins.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-english-'));
const store = new Store(path.join(dir, 'progress.db'));
afterAll(() => {
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function course(): Promise<Course> {
  const lessons = await loadLessons('lessons');
  return new Course({ lessons, english: await englishTwins(lessons), store });
}

const han = /[\u3400-\u9fff]/;

describe('English titles', () => {
  it('every lesson has one on the chapter list in English, and keeps its Chinese one in Chinese', async () => {
    const c = await course();
    const en = c.summaries('someone', 'en');
    const zh = c.summaries('someone', 'zh');
    expect(en).toHaveLength(26);
    for (const [i, l] of en.entries()) {
      expect(l.title, `${l.id}: "${l.title}"`).not.toMatch(han);
      expect(zh[i]!.title, l.id).toMatch(han);
    }
    // The twin's title wins over any title_en.
    expect(en.find((l) => l.id === '15-netns-veth')!.title).toBe('Network namespaces and veth pairs');
    expect(en.find((l) => l.id === '19-volumes')!.title).toBe('Data volumes');
  });

  it('a lesson page in English says which language its text is in', async () => {
    const c = await course();
    const v19 = c.view('someone', '19-volumes', 'en');
    expect(v19.title).toBe('Data volumes');
    expect(v19.textLang).toBe('zh');
    expect(v19.intro).toMatch(han);
    expect(c.view('someone', '15-netns-veth', 'en').textLang).toBe('en');
    expect(c.view('someone', '19-volumes', 'zh')).toMatchObject({ title: '数据卷', textLang: 'zh' });
  });
});

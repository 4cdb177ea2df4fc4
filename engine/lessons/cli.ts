/**
 * `dockerlab lessons lint [files]`: checks lesson files (all of lessons/ by default) and prints each
 * problem as `file:line: what is wrong — how to fix it`. Exit 1 when there is any.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { say } from '../log.ts';
import { checkCatalog } from './catalog.ts';
import { englishTwin, lessonFiles } from './load.ts';
import { existsSync } from 'node:fs';
import { lintCourse, lintSource, type LintOptions } from './lint.ts';
import { formatProblem, type Problem } from './problem.ts';
import type { Parsed } from './parse.ts';

export async function lintFiles(files: string[], options: LintOptions = {}): Promise<Problem[]> {
  const catalog = await checkCatalog();
  const problems: Problem[] = [];
  const parsed: Parsed[] = [];
  for (const file of files) {
    const r = lintSource(await readFile(file, 'utf8'), file, catalog, options);
    problems.push(...r.problems);
    parsed.push(r.parsed);
  }
  const dirs = [...new Set(files.map((f) => path.dirname(f)))];
  const siblings = (await Promise.all(dirs.map((d) => lessonFiles(d)))).flat();
  problems.push(...lintCourse(parsed, siblings.map((f) => path.basename(f, '.md'))));
  return problems;
}

export async function main(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'lint') {
    say(
      '用法 / usage: dockerlab lessons lint [--require-wrong] [file.md ...]   (默认检查 lessons/ 下全部课程 / all of lessons/ by default)\n' +
        '  --require-wrong   每一步至少要有一个 ```wrong 块 / every step needs a ```wrong block',
    );
    return sub === undefined || sub === 'help' || sub === '--help' ? 0 : 2;
  }
  const options: LintOptions = {};
  let files = rest.filter((a) => a !== '--require-wrong');
  if (files.length < rest.length) options.requireWrong = true;
  const flag = files.find((a) => a.startsWith('-'));
  if (flag) {
    say(`未知选项 / unknown option ${flag}: dockerlab lessons lint [--require-wrong] [file.md ...]`);
    return 2;
  }
  if (files.length === 0) {
    files = await lessonFiles('lessons');
    // English twins are optional but, where present, must be as sound as the Chinese lesson.
    files = files.flatMap((f) => (existsSync(englishTwin(f)) ? [f, englishTwin(f)] : [f]));
  }
  const problems = await lintFiles(files, options);
  for (const p of problems) say(formatProblem(p));
  say(problems.length === 0 ? `✓ ${files.length} 个课程文件没有问题 / ${files.length} lesson files are clean` : `✗ ${problems.length} 个问题 / ${problems.length} problems`);
  return problems.length === 0 ? 0 : 1;
}

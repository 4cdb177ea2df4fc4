/**
 * The lesson linter: everything a lesson file can get wrong that a machine can see before a VM
 * boots. Each problem names the file, the line, and the fix.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Token } from 'marked';
import { parseLesson, roles, type Parsed } from './parse.ts';
import type { Problem } from './problem.ts';
import type { Lesson } from './types.ts';
import { nearest } from './suggest.ts';
import { vocabularyProblems } from './vocabulary.ts';

export interface LintOptions {
  /** Every step must carry at least one ```wrong block (default: `requireWrongByDefault`). */
  requireWrong?: boolean;
}

/**
 * Off while the course is being given its near-miss blocks; the lead turns it on once every lesson
 * has them (`dockerlab lessons lint --require-wrong` asks for it meanwhile).
 */
export const requireWrongByDefault = false;

/** Fence names of code that a learner reads: never taken for a misspelt role. */
const languages = new Set(['bash', 'sh', 'shell', 'console', 'text', 'plaintext', 'yaml', 'yml', 'json', 'dockerfile', 'python', 'ini', 'diff', 'markdown', 'conf', 'toml', 'html', 'js', 'ts', 'c', 'go', 'make', 'makefile', 'nginx', 'sql', 'xml', 'css']);

/** What the linter needs to know of the check library (engine/checks), injected for tests. */
export interface CheckCatalog {
  has(kind: string): boolean;
  /** Problems with a condition's parameters, in words; empty when they are fine. */
  validate(kind: string, params: unknown): string[];
}

const fields: Record<string, string> = {
  id: 'the file name without `.md`, e.g. `15-netns-veth`',
  title: 'the lesson title in Chinese',
  title_en: 'the lesson title in English, for the chapter list in English (a lesson with an English twin takes the twin\'s title)',
  chapter: 'the lesson number, the `NN` of the file name',
  hosts: 'how many VMs the lesson needs: 1, or 2 for cross-host lessons',
  minutes: 'about how long the lesson takes, a whole number',
  prerequisites: 'a list of lesson ids the learner should have done, `[]` if none',
  setup: 'bash that brings a fresh sandbox to the lesson start: one string for host1, or `host1: ...` / `host2: ...`',
};
const required = ['id', 'title', 'chapter', 'hosts', 'minutes', 'prerequisites'];

export function lintSource(source: string, file: string, catalog: CheckCatalog, options: LintOptions = {}): { parsed: Parsed; problems: Problem[] } {
  const parsed = parseLesson(source, file);
  return { parsed, problems: [...parsed.problems, ...lintParsed(parsed, catalog, options), ...vocabularyProblems(source, file)] };
}

/**
 * Every ```check condition of a lesson against the check library: unknown kinds, bad parameters,
 * hosts the lesson lacks. The linter reports these, and the server refuses to serve a lesson that
 * has any, so a bad condition is a problem at load with its file:line, never a message at run time.
 */
export function conditionProblems(lesson: Lesson, catalog: CheckCatalog): Problem[] {
  const out: Problem[] = [];
  const add = (line: number, what: string, fix: string): void => void out.push({ file: lesson.file, line, what, fix });
  const hosts = new Set(Array.from({ length: lesson.hosts }, (_, i) => `host${i + 1}`));
  const hostFix = `use one of ${[...hosts].join(', ')}, or raise \`hosts:\` in the front matter`;
  for (const c of lesson.steps.flatMap((s) => s.check)) {
    if (!catalog.has(c.kind)) {
      add(c.line, `unknown check kind \`${c.kind}\``, 'use a kind listed in docs/checks.md, or `shell` as a last resort');
      continue;
    }
    for (const msg of catalog.validate(c.kind, c.params)) add(c.line, `bad parameters for \`${c.kind}\`: ${msg}`, 'see the parameters of this kind in docs/checks.md');
    const host = c.params && typeof c.params === 'object' && !Array.isArray(c.params) ? (c.params as Record<string, unknown>).host : undefined;
    if (host !== undefined && !hosts.has(String(host))) add(c.line, `condition on host \`${String(host)}\`, which this lesson does not have`, hostFix);
  }
  return out;
}

export function lintParsed(parsed: Parsed, catalog: CheckCatalog, options: LintOptions = {}): Problem[] {
  const requireWrong = options.requireWrong ?? requireWrongByDefault;
  const { lesson, frontMatter: fm, frontMatterLines: at } = parsed;
  const file = lesson.file;
  const out: Problem[] = [];
  const add = (line: number, what: string, fix: string): void => void out.push({ file, line, what, fix });
  const fmLine = (k: string): number => at[k] ?? 1;

  for (const k of Object.keys(fm)) {
    if (!(k in fields)) add(fmLine(k), `unknown front-matter field \`${k}\``, `remove it, or use one of: ${Object.keys(fields).join(', ')}`);
  }
  for (const k of required) if (!(k in fm)) add(1, `front matter lacks \`${k}\``, `add \`${k}:\` — ${fields[k]}`);

  const stem = path.basename(file).replace(/(\.en)?\.md$/, '');
  const number = parseInt(stem, 10);
  if ('id' in fm && fm.id !== stem) add(fmLine('id'), `id \`${String(fm.id)}\` does not match the file name`, `set \`id: ${stem}\` or rename the file`);
  if ('title' in fm && (typeof fm.title !== 'string' || fm.title.trim() === '')) add(fmLine('title'), 'title is empty or not text', `write ${fields.title}`);
  if ('title_en' in fm && (typeof fm.title_en !== 'string' || fm.title_en.trim() === '' || /[\u3400-\u9fff]/.test(fm.title_en))) add(fmLine('title_en'), 'title_en is empty, not text, or not in English', `write ${fields.title_en}`);
  if ('chapter' in fm && fm.chapter !== number) add(fmLine('chapter'), `chapter ${String(fm.chapter)} does not match the file number ${number}`, `set \`chapter: ${number}\``);
  if ('hosts' in fm && !(Number.isInteger(fm.hosts) && (fm.hosts as number) >= 1 && (fm.hosts as number) <= 4)) add(fmLine('hosts'), `hosts must be a whole number from 1 to 4, got \`${String(fm.hosts)}\``, `write ${fields.hosts}`);
  if ('minutes' in fm && !(Number.isInteger(fm.minutes) && (fm.minutes as number) > 0)) add(fmLine('minutes'), `minutes must be a positive whole number, got \`${String(fm.minutes)}\``, `write ${fields.minutes}`);
  if ('prerequisites' in fm && !(Array.isArray(fm.prerequisites) && fm.prerequisites.every((p) => typeof p === 'string'))) add(fmLine('prerequisites'), 'prerequisites must be a list of lesson ids', 'write e.g. `prerequisites: [01-hello-docker]`, or `[]`');
  if ('setup' in fm) {
    const s = fm.setup;
    const ok = typeof s === 'string' || (s !== null && typeof s === 'object' && !Array.isArray(s) && Object.values(s).every((v) => typeof v === 'string'));
    if (!ok) add(fmLine('setup'), 'setup must be bash text, or a map of host name to bash text', `write ${fields.setup}`);
  }

  const hosts = new Set(Array.from({ length: lesson.hosts }, (_, i) => `host${i + 1}`));
  const hostFix = `use one of ${[...hosts].join(', ')}, or raise \`hosts:\` in the front matter`;
  for (const h of Object.keys(lesson.setup)) if (!hosts.has(h)) add(fmLine('setup'), `setup names host \`${h}\`, which this lesson does not have`, hostFix);

  // A misspelt fence name (```solutoin) is reported where it is, instead of as a missing block.
  const misspelt = new Map<number | null, Set<string>>();
  for (const f of parsed.fences) {
    if ((roles as readonly string[]).includes(f.name)) {
      if (f.step === null) add(f.line, `a \`\`\`${f.name} block outside any step`, 'move it into the `## ` step it belongs to (the intro and the summary are shown to learners as they are)');
      continue;
    }
    if (!f.name || languages.has(f.name.toLowerCase())) continue;
    if (f.name !== 'topology' && nearest(f.name, ['topology'])) {
      add(f.line, `unknown fence name \`\`\`${f.name} — did you mean \`\`\`topology?`, 'write ```topology: as it is, the block is shown to learners as code instead of a live diagram');
      continue;
    }
    const role = nearest(f.name, roles);
    if (!role) continue;
    add(f.line, `unknown fence name \`\`\`${f.name} — did you mean \`\`\`${role}?`, `write \`\`\`${role}: as it is, the block is shown to learners as code`);
    if (!misspelt.has(f.step)) misspelt.set(f.step, new Set());
    misspelt.get(f.step)!.add(role);
  }

  for (const step of lesson.steps) {
    const where = `step "${step.title}"`;
    const typo = misspelt.get(step.index) ?? new Set<string>();
    if (step.check.length === 0 && !typo.has('check')) add(step.line, `${where} has no conditions in its \`\`\`check block`, 'add a ```check block with at least one `- kind: { params }` condition');
    if (step.hints.length === 0 && !typo.has('hint')) add(step.line, `${where} has no hint`, 'add one to three ```hint blocks, each telling a little more than the last');
    if (step.hints.length > 3) add(step.line, `${where} has ${step.hints.length} hints`, 'keep at most three ```hint blocks');
    if (Object.keys(step.solution).length === 0 && !typo.has('solution')) add(step.line, `${where} has no reference solution`, 'add a ```solution block with the bash that completes the step (```solution host2 for another host)');
    for (const h of Object.keys(step.solution)) if (!hosts.has(h)) add(step.line, `${where} has a solution for host \`${h}\``, hostFix);
    if (requireWrong && !step.cases.some((c) => c.role === 'wrong') && !typo.has('wrong')) add(step.line, `${where} has no \`\`\`wrong block`, 'add a learner\'s plausible wrong attempt in a ```wrong block, its first line a `#` comment saying why it is wrong (see docs/authoring.md)');
    for (const c of step.cases) {
      if (!c.why) add(c.line, `this \`\`\`${c.role} block does not start with a \`#\` comment`, c.role === 'wrong' ? 'make its first line `# why this is wrong`, e.g. `# the container was created but never started`' : 'make its first line `# what makes this answer unusual`, e.g. `# long flags instead of short ones`');
      for (const [h, line] of Object.entries(c.lines)) {
        if (!hosts.has(h)) add(line, `a \`\`\`${c.role} block for host \`${h}\``, hostFix);
        if (!(c.scripts[h] ?? '').split('\n').some((l) => l.trim() && !l.trim().startsWith('#'))) add(line, `this \`\`\`${c.role} block has no command`, 'write the commands after the `#` comment');
      }
    }
  }
  out.push(...conditionProblems(lesson, catalog));

  for (const { token, line } of parsed.tokens) {
    for (const href of links(token)) {
      if (/^([a-z]+:|#|\/)/i.test(href)) continue;
      const target = path.resolve(path.dirname(file), decodeURI(href.split('#')[0] ?? ''));
      if (!existsSync(target)) add(line, `broken link \`${href}\``, `point it at an existing file relative to ${path.dirname(file)}/`);
    }
  }
  return out;
}

/** Every link target inside a token, however deeply nested (lists, paragraphs, emphasis). */
function links(token: Token): string[] {
  const out: string[] = [];
  const walk = (t: unknown): void => {
    if (!t || typeof t !== 'object') return;
    const o = t as Record<string, unknown>;
    if ((o.type === 'link' || o.type === 'image') && typeof o.href === 'string') out.push(o.href);
    for (const key of ['tokens', 'items']) if (Array.isArray(o[key])) (o[key] as unknown[]).forEach(walk);
  };
  walk(token);
  return out;
}

/** Problems that span files: duplicate ids and prerequisites that name no lesson. */
export function lintCourse(all: Parsed[], otherIds: Iterable<string> = []): Problem[] {
  const out: Problem[] = [];
  const seen = new Map<string, string>();
  // Lessons not being linted this time (lint of one file) still count as prerequisites.
  const ids = new Set([...all.map((p) => p.lesson.id), ...otherIds]);
  for (const p of all) {
    const { id, file } = p.lesson;
    const line = p.frontMatterLines.id ?? 1;
    // An English twin carries its Chinese lesson's id on purpose.
    const english = file.endsWith('.en.md');
    if (!english && id) {
      const other = seen.get(id);
      if (other) out.push({ file, line, what: `duplicate lesson id \`${id}\` (also in ${other})`, fix: 'give each lesson its own id, the file name without .md' });
      seen.set(id, file);
    }
    for (const pre of p.lesson.prerequisites) {
      if (!ids.has(pre)) out.push({ file, line: p.frontMatterLines.prerequisites ?? 1, what: `prerequisite \`${pre}\` is not a lesson`, fix: 'use the id of a lesson in the same directory' });
    }
  }
  return out;
}

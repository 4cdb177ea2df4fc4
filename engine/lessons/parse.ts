/**
 * Turns a lesson file's text into a Lesson, collecting problems instead of stopping at the first:
 * the linter wants them all, with lines. Front matter is YAML between `---` lines; the body is
 * split with marked's lexer into the intro, `## ` steps and the closing summary.
 */
import { Lexer, type Token, type Tokens } from 'marked';
import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Node } from 'yaml';
import type { Case, Condition, Lesson, Step } from './types.ts';
import type { Problem } from './problem.ts';
import { parseTopologyFence } from '../topology/fence.ts';

export interface Parsed {
  lesson: Lesson;
  problems: Problem[];
  /** Front matter as written, with the line of each key, for the linter's field checks. */
  frontMatter: Record<string, unknown>;
  frontMatterLines: Record<string, number>;
  /** Every top-level token with its 1-based line, for link checks. */
  tokens: { token: Token; line: number }[];
  /** Every fenced block: its info string's first word, line, and step (null: intro or summary). */
  fences: Fence[];
}

export interface Fence {
  name: string;
  line: number;
  /** 0-based index of the step it sits in; null in the intro or the summary. */
  step: number | null;
}

/**
 * A fenced block's role, from its info string: ```check, ```hint, ```solution [host], and the
 * near-miss answers ```wrong [host] and ```ok [host], which only `dockerlab verify` sees.
 */
export const roles = ['check', 'hint', 'solution', 'wrong', 'ok'] as const;
const special = new Set<string>(roles);

export function parseLesson(source: string, file: string): Parsed {
  const problems: Problem[] = [];
  const add = (line: number, what: string, fix: string): void => void problems.push({ file, line, what, fix });
  const text = source.replace(/\r\n/g, '\n');

  // Front matter: the file must open with `---` and close it with another `---` line.
  let fm: Record<string, unknown> = {};
  const fmLines: Record<string, number> = {};
  let bodyStart = 0;
  let bodyLine = 1;
  const m = /^---\n([\s\S]*?)\n---\n/.exec(text);
  if (!m) {
    add(1, 'no front matter', 'start the file with a `---` line, the YAML fields (id, title, chapter, hosts, minutes, prerequisites, setup) and a closing `---` line');
  } else {
    const lc = new LineCounter();
    const doc = parseDocument(m[1] ?? '', { lineCounter: lc });
    for (const e of doc.errors) add(1 + lc.linePos(e.pos[0]).line, `front matter is not valid YAML: ${e.message.split('\n')[0]}`, 'fix the YAML syntax');
    if (isMap(doc.contents)) {
      for (const pair of doc.contents.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const range = (pair.key as Node | null)?.range;
        fmLines[key] = 1 + (range ? lc.linePos(range[0]).line : 0);
      }
      fm = (doc.toJS() as Record<string, unknown>) ?? {};
    } else if (doc.errors.length === 0) {
      add(2, 'front matter is not a YAML mapping', 'write `key: value` lines between the `---` lines');
    }
    bodyStart = m[0].length;
    bodyLine = 1 + m[0].split('\n').length - 1;
  }

  // Locate each top-level token in the body so every error can name its line.
  const body = text.slice(bodyStart);
  const tokens: { token: Token; line: number }[] = [];
  let cursor = 0;
  let line = bodyLine;
  for (const token of new Lexer().lex(body)) {
    const at = body.indexOf(token.raw, cursor);
    if (at >= 0) {
      line += countNewlines(body, cursor, at);
      cursor = at;
    }
    tokens.push({ token, line });
    line += countNewlines(body, cursor, cursor + token.raw.length);
    cursor += token.raw.length;
  }

  const intro: string[] = [];
  const sections: { title: string; line: number; parts: { token: Token; line: number }[] }[] = [];
  const fences: Fence[] = [];
  for (const t of tokens) {
    if (t.token.type === 'heading' && (t.token as Tokens.Heading).depth === 2) {
      sections.push({ title: (t.token as Tokens.Heading).text.trim(), line: t.line, parts: [] });
    } else if (sections.length === 0) {
      intro.push(t.token.raw);
    } else {
      sections[sections.length - 1]?.parts.push(t);
    }
    if (t.token.type === 'code' && (t.token as Tokens.Code).codeBlockStyle !== 'indented') {
      const name = ((t.token as Tokens.Code).lang ?? '').trim().split(/\s+/)[0] ?? '';
      fences.push({ name, line: t.line, step: sections.length - 1 >= 0 ? sections.length - 1 : null });
      if (name === 'topology') topologyProblems((t.token as Tokens.Code).text, t.line, fm.hosts, add);
    }
  }

  // Every section with a ```check block is a step; the last section must have none: the summary.
  const steps: Step[] = [];
  let summary = '';
  // Fences were numbered by section; sections are steps except a closing summary (step null).
  const stepOf = new Map<number, number | null>();
  sections.forEach((s, i) => {
    const hasCheck = s.parts.some((p) => fenceRole(p.token)?.role === 'check');
    if (!hasCheck && i === sections.length - 1) {
      summary = s.parts.map((p) => p.token.raw).join('');
      stepOf.set(i, null);
      return;
    }
    stepOf.set(i, steps.length);
    steps.push(buildStep(s, steps.length, add));
  });
  for (const f of fences) if (f.step !== null) f.step = stepOf.get(f.step) ?? null;
  const last = sections[sections.length - 1];
  if (last && last.parts.some((p) => fenceRole(p.token)?.role === 'check')) {
    add(sections[sections.length - 1]?.line ?? bodyLine, 'no summary section', 'end the lesson with a `## 小结` heading and a few sentences, with no ```check block');
  }
  if (steps.length === 0) add(bodyLine, 'the lesson has no steps', 'add `## ` sections, each with a ```check, ```hint and ```solution block');

  const lesson: Lesson = {
    id: typeof fm.id === 'string' ? fm.id : '',
    title: typeof fm.title === 'string' ? fm.title : '',
    titleEn: typeof fm.title_en === 'string' ? fm.title_en : undefined,
    chapter: typeof fm.chapter === 'number' ? fm.chapter : 0,
    hosts: typeof fm.hosts === 'number' ? fm.hosts : 1,
    minutes: typeof fm.minutes === 'number' ? fm.minutes : 0,
    prerequisites: Array.isArray(fm.prerequisites) ? fm.prerequisites.map(String) : [],
    setup: normaliseSetup(fm.setup),
    intro: intro.join('').trim(),
    steps,
    summary: summary.trim(),
    file,
  };
  return { lesson, problems, frontMatter: fm, frontMatterLines: fmLines, tokens, fences };
}

/**
 * A ```topology block (a small live diagram, engine/topology/fence.ts) stays in the text the
 * learner sees; what it names must parse, and its `host:` must be one of the lesson's VMs.
 */
function topologyProblems(text: string, fenceLine: number, hosts: unknown, add: Add): void {
  const { fence, problems } = parseTopologyFence(text);
  for (const p of problems) add(fenceLine + p.line, p.what, p.fix);
  const n = typeof hosts === 'number' ? hosts : 1;
  if (fence.host && Number(fence.host.slice(4)) > n) {
    const line = 1 + text.split('\n').findIndex((l) => /^\s*host\s*:/.test(l));
    add(fenceLine + line, `topology block draws \`${fence.host}\`, which this lesson does not have`, `use one of ${Array.from({ length: n }, (_, i) => `host${i + 1}`).join(', ')}, or raise \`hosts:\` in the front matter`);
  }
}

function countNewlines(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (s.charCodeAt(i) === 10) n++;
  return n;
}

export function fenceRole(token: Token): { role: string; host?: string } | undefined {
  if (token.type !== 'code') return undefined;
  const info = ((token as Tokens.Code).lang ?? '').trim().split(/\s+/);
  const role = info[0] ?? '';
  if (!special.has(role)) return undefined;
  return info[1] ? { role, host: info[1] } : { role };
}

/** `setup:` is one bash string (for host1) or a map of host name to bash. */
export function normaliseSetup(v: unknown): Record<string, string> {
  if (typeof v === 'string') return { host1: v };
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const out: Record<string, string> = {};
    for (const [k, s] of Object.entries(v)) if (typeof s === 'string') out[k] = s;
    return out;
  }
  return {};
}

type Add = (line: number, what: string, fix: string) => void;

function buildStep(s: { title: string; line: number; parts: { token: Token; line: number }[] }, index: number, add: Add): Step {
  const body: string[] = [];
  const check: Condition[] = [];
  const hints: string[] = [];
  const solution: Record<string, string> = {};
  const cases: Case[] = [];
  // The case that consecutive ```wrong/```ok blocks of one role and new hosts extend.
  let run = null as Case | null;
  let checks = 0;
  for (const { token, line } of s.parts) {
    const role = fenceRole(token);
    const content = (token as Tokens.Code).text;
    if (token.type === 'space') {
      body.push(token.raw); // whitespace keeps a run of near-miss blocks together
      continue;
    }
    if (role?.role === 'wrong' || role?.role === 'ok') {
      const host = role.host ?? 'host1';
      const kind: Case['role'] = role.role;
      if (run && run.role === kind && !(host in run.scripts)) {
        run.scripts[host] = content;
        run.lines[host] = line;
      } else {
        run = { role: kind, why: comment(content), scripts: { [host]: content }, line, lines: { [host]: line } };
        cases.push(run);
      }
      continue;
    }
    run = null;
    if (!role) {
      body.push(token.raw);
    } else if (role.role === 'check') {
      checks++;
      if (checks > 1) add(line, `step "${s.title}" has more than one \`\`\`check block`, 'merge the conditions into one ```check list');
      check.push(...parseCheck(content, line + 1, add));
    } else if (role.role === 'hint') {
      hints.push(content.trim());
    } else {
      // Several blocks for one host run one after another; hosts run in the order they appear.
      const host = role.host ?? 'host1';
      solution[host] = solution[host] ? `${solution[host]}\n${content}` : content;
    }
  }
  return { index, title: s.title, body: body.join('').trim(), check, hints, solution, cases, line: s.line };
}

/** The text of a block's first line when it is a `# comment`, else ''. */
function comment(script: string): string {
  const first = script.split('\n')[0]?.trim() ?? '';
  return first.startsWith('#') && !first.startsWith('#!') ? first.replace(/^#+\s*/, '').trim() : '';
}

/** A ```check block: a YAML list of `- kind: params` (a mapping of kinds is accepted too). */
export function parseCheck(text: string, firstLine: number, add: Add): Condition[] {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  const lineOf = (n: Node | null | undefined): number => firstLine + (n?.range ? lc.linePos(n.range[0]).line - 1 : 0);
  if (doc.errors.length > 0) {
    for (const e of doc.errors) add(firstLine + lc.linePos(e.pos[0]).line - 1, `check block is not valid YAML: ${e.message.split('\n')[0]}`, 'fix the YAML: a list of `- kind: { params }` items');
    return [];
  }
  const out: Condition[] = [];
  const root = doc.contents;
  const js: unknown = doc.toJS();
  if (isSeq(root)) {
    root.items.forEach((item, i) => {
      if (!isMap(item) || item.items.length !== 1) {
        add(lineOf(item as Node), 'a check item must be a mapping with exactly one kind', 'write each condition as `- kind: { params }` (put `host:` inside the params)');
        return;
      }
      const entry = Object.entries((js as Record<string, unknown>[])[i] ?? {})[0];
      if (entry) out.push({ kind: entry[0], params: entry[1] ?? null, line: lineOf(item) });
    });
  } else if (isMap(root)) {
    root.items.forEach((pair, i) => {
      const entry = Object.entries((js as Record<string, unknown>) ?? {})[i];
      if (entry) out.push({ kind: entry[0], params: entry[1] ?? null, line: lineOf(pair.key as Node) });
    });
  } else {
    add(firstLine, 'the check block is empty or not a list', 'write a YAML list of `- kind: { params }` conditions');
  }
  return out;
}

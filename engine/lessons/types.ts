/** A lesson as loaded from lessons/*.md: front matter, then steps (## headings with a ```check block). */

/** One condition of a check block: `{ kind: params }`, with an optional `host` inside params. */
export interface Condition {
  kind: string;
  params: unknown;
  /** 1-based line in the lesson file, for error messages. */
  line: number;
}

export interface Step {
  /** 0-based position among the lesson's steps. */
  index: number;
  title: string;
  /** Markdown of the step's explanation and commands (check/hint/solution blocks removed). */
  body: string;
  check: Condition[];
  hints: string[];
  /** Reference solution per host: bash scripts. */
  solution: Record<string, string>;
  /** Near-miss answers (```wrong, ```ok) that `dockerlab verify` runs; never shown to learners. */
  cases: Case[];
  line: number;
}

/**
 * A near-miss answer to a step: `wrong` is a learner's plausible mistake the check must reject, `ok`
 * an unusual but right answer it must accept. A run of consecutive blocks of one role with distinct
 * hosts (```wrong, ```wrong host2) is one case.
 */
export interface Case {
  role: 'wrong' | 'ok';
  /** The first line's `#` comment: why it is wrong, or what makes it unusual; '' when missing. */
  why: string;
  /** Bash per host, in the order written. */
  scripts: Record<string, string>;
  /** Line of the case's first fence, for `file:line` in reports. */
  line: number;
  /** Line of each host's fence. */
  lines: Record<string, number>;
}

export interface Lesson {
  id: string;
  title: string;
  /** The title in English (front matter `title_en`), for the chapter list and pages in English when the lesson has no English twin. */
  titleEn?: string | undefined;
  chapter: number;
  hosts: number;
  minutes: number;
  prerequisites: string[];
  /** Bash run per host before the lesson starts, bringing a fresh sandbox to the lesson's start state. */
  setup: Record<string, string>;
  /** Markdown before the first step. */
  intro: string;
  steps: Step[];
  /** Markdown after the last step. */
  summary: string;
  file: string;
}

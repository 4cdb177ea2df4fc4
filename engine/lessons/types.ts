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
  line: number;
}

export interface Lesson {
  id: string;
  title: string;
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

/** A mistake found in a lesson file, printed as `file:line: what is wrong — how to fix it`. */
export interface Problem {
  file: string;
  /** 1-based line in the lesson file. */
  line: number;
  what: string;
  fix: string;
}

export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}: ${p.what} — ${p.fix}`;
}

/** Thrown by loadLesson when a file cannot be turned into a Lesson at all. */
export class LessonError extends Error {
  constructor(readonly problems: Problem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'LessonError';
  }
}

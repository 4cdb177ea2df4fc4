/**
 * The engine's logger: one JSON line per event on stderr (no console in engine/). LOG_LEVEL picks
 * the least severe level shown: debug, info (default), warn, error.
 */
const levels = { debug: 10, info: 20, warn: 30, error: 40 } as const;
type Level = keyof typeof levels;
const threshold = levels[(process.env.LOG_LEVEL as Level) ?? 'info'] ?? levels.info;

function write(level: Level, scope: string, msg: string, fields?: Record<string, unknown>): void {
  if (levels[level] < threshold) return;
  process.stderr.write(JSON.stringify({ t: new Date().toISOString(), level, scope, msg, ...fields }) + '\n');
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export function logger(scope: string): Logger {
  return {
    debug: (m, f) => write('debug', scope, m, f),
    info: (m, f) => write('info', scope, m, f),
    warn: (m, f) => write('warn', scope, m, f),
    error: (m, f) => write('error', scope, m, f),
  };
}

/** What a command-line tool prints for a person: plain text on stdout, no JSON. */
export function say(text: string): void {
  process.stdout.write(text + '\n');
}

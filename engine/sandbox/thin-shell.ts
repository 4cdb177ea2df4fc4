/**
 * The thin shell client (thin-shell.c): what node-pty spawns for a VM's shell, instead of a second
 * Node process (`dockerlab sandbox shell`, ~70 MB and ~0.5 s to start). Compiled from its source
 * on first use with the C compiler setup installs, keyed by a hash of the source, next to the
 * labs' folder; where it cannot be built the Node client is used and a warning says why.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { labsDir } from './paths.ts';
import { logger } from '../log.ts';

const log = logger('thin-shell');
const source = path.join(import.meta.dirname, 'thin-shell.c');

/** Where the compiled client for this source lives. */
export function thinShellFile(dir = path.join(path.dirname(labsDir), 'bin')): string {
  const hash = crypto.createHash('sha256').update(fs.readFileSync(source)).digest('hex').slice(0, 12);
  return path.join(dir, `dockerlab-shell-${hash}`);
}

let built: string | null | undefined;

/**
 * The compiled client, built now if it is not there yet; null when it cannot be (no compiler, a
 * folder we cannot write): then use the Node client. Safe with several processes building at once
 * (each writes its own temporary file and renames it into place).
 */
export function thinShell(): string | null {
  if (built !== undefined) return built;
  const file = thinShellFile();
  if (isExecutable(file)) return (built = file);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
    const r = spawnSync('cc', ['-O2', '-Wall', '-Werror', '-o', tmp, source], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.error?.message ?? r.stderr.trim());
    fs.renameSync(tmp, file);
    return (built = file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    log.warn('the thin shell client could not be built: terminals use the Node client (slower, bigger)', {
      error: (e as Error).message,
    });
    return (built = null);
  }
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * bundle.ts: an entry and its imports as one file next to the entry (so import.meta.dirname is the
 * entry's folder), made again when a source changed and only then.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundled } from '../../../engine/sandbox/bundle.ts';

describe('bundled', () => {
  it('runs the entry with its imports, and rebuilds when (and only when) a source changed', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-bundle-'));
    try {
      const entry = path.join(dir, 'main.ts');
      const out = path.join(dir, '.main.mjs');
      fs.writeFileSync(
        entry,
        "import { word } from './lib/word.ts';\nconsole.log(word(), import.meta.dirname);\n",
      );
      fs.mkdirSync(path.join(dir, 'lib'));
      const lib = path.join(dir, 'lib/word.ts');
      fs.writeFileSync(lib, "export const word = (): string => 'first';\n");
      const run = (file: string) => execFileSync(process.execPath, [file], { encoding: 'utf8' }).trim();

      expect(await bundled(entry, out)).toBe(out);
      expect(run(out)).toBe(`first ${dir}`);
      const made = fs.statSync(out).mtimeMs;

      await new Promise((r) => setTimeout(r, 20));
      await bundled(entry, out); // nothing changed: the same file
      expect(fs.statSync(out).mtimeMs).toBe(made);

      fs.writeFileSync(lib, "export const word = (): string => 'second';\n");
      await bundled(entry, out);
      expect(run(out)).toBe(`second ${dir}`);
      expect(fs.readdirSync(dir).filter((f) => f.startsWith('.main.mjs.'))).toEqual(['.main.mjs.json']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * A TypeScript entry point and everything it imports as one JavaScript file, for processes whose
 * start is on someone's clock: a lab's supervisor under tsx spent ~0.35–0.5 s loading and
 * transforming its modules before it started QEMU (a new lab takes ~1.5 s), the bundle ~0.1 s.
 * esbuild (tsx's own) writes it next to the entry, so `import.meta.dirname` still names the
 * entry's folder; packages stay imports. Rebuilt when any source it was made from changed (by
 * content, read at each use: a few dozen small files).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

interface Manifest {
  /** Sources the bundle was made from (absolute). */
  inputs: string[];
  /** sha256 of their contents, in that order. */
  hash: string;
}

function hashOf(inputs: string[]): string | null {
  const h = crypto.createHash('sha256');
  try {
    for (const f of inputs) h.update(f).update('\0').update(fs.readFileSync(f)).update('\0');
  } catch {
    return null; // a source is gone: build again
  }
  return h.digest('hex');
}

/** The bundle of `entry` at `out` (built or rebuilt first if needed). Throws if esbuild cannot. */
export async function bundled(entry: string, out: string): Promise<string> {
  const manifestFile = `${out}.json`;
  try {
    const m = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as Manifest;
    if (fs.existsSync(out) && hashOf(m.inputs) === m.hash) return out;
  } catch {
    // none yet, or unreadable: build
  }
  const esbuild = await import('esbuild');
  // Written aside and renamed: two labs starting at once never run a half-written bundle.
  const tmp = `${out}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`;
  const dir = path.dirname(entry);
  const result = await esbuild.build({
    entryPoints: [entry],
    outfile: tmp,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    metafile: true,
    absWorkingDir: dir,
    logLevel: 'silent',
    banner: { js: `// Made by engine/sandbox/bundle.ts from ${path.basename(entry)}; do not edit.` },
  });
  const inputs = Object.keys(result.metafile.inputs).map((f) => path.resolve(dir, f));
  const hash = hashOf(inputs);
  fs.renameSync(tmp, out);
  if (hash) fs.writeFileSync(manifestFile, JSON.stringify({ inputs, hash } satisfies Manifest));
  return out;
}

/** Where dockerlab keeps things on the host. Both live outside the repository. */
import path from 'node:path';

/** Built images and snapshots, reused across runs and clones (keyed by a hash of their inputs). */
export const cacheDir = process.env.DOCKERLAB_CACHE ?? '/var/cache/dockerlab';
/** Running labs: one folder each, removed when the lab ends. */
export const labsDir = process.env.DOCKERLAB_LABS ?? '/var/lib/dockerlab/labs';
/** Labs saved whole (RAM and disks) while their learner is away: one folder per key. */
export const savedDir = process.env.DOCKERLAB_SAVED ?? '/var/lib/dockerlab/saved';
export const repoRoot = path.resolve(import.meta.dirname, '../..');

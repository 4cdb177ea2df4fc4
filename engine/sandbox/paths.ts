/** Where dockerlab keeps things on the host, outside the repository. */
import os from 'node:os';
import path from 'node:path';

/**
 * State of running and saved labs: under /var/lib/dockerlab for root, else under the user's own
 * ~/.dockerlab, so a server started by another user (after setup, as root, built the image) works.
 */
const stateDir = process.getuid?.() === 0 ? '/var/lib/dockerlab' : path.join(os.homedir(), '.dockerlab');

/** Built images and snapshots, reused across runs and clones (keyed by a hash of their inputs); only read when not root. */
export const cacheDir = process.env.DOCKERLAB_CACHE ?? '/var/cache/dockerlab';
/** Running labs: one folder each, removed when the lab ends. */
export const labsDir = process.env.DOCKERLAB_LABS ?? path.join(stateDir, 'labs');
/** Labs saved whole (RAM and disks) while their learner is away: one folder per key. */
export const savedDir = process.env.DOCKERLAB_SAVED ?? path.join(stateDir, 'saved');
export const repoRoot = path.resolve(import.meta.dirname, '../..');

/** In the guest: the agent's spare login shell as `PID HOSTNAME starting|ready` (agent.py, SPARE_STATUS). */
export const guestSpareStatus = '/run/dockerlab-spare';

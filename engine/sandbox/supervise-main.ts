/**
 * A lab's supervisor as a program of its own (bundled by lab.ts: see bundle.ts): `node
 * .supervisor.mjs LAB_DIR`. It lives as long as its lab (its VMs, hub and timers keep it running).
 */
import { supervise } from './supervisor.ts';

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: supervise-main LAB_DIR\n');
  process.exit(2);
}
await supervise(dir);

/** Memory figures for the tests that flood the host side (rogue-agent, hub). */
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

export const MiB = 1024 * 1024;

// A collection on demand, so that what is still held can be told from garbage not yet collected.
v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * Memory growth of this process, in MiB: `peakRss` while the work ran (it includes garbage: V8
 * collects once about 64 MiB of buffers went unreferenced, so a stream of any length shows up to
 * that much), and `held`, the heap and buffers still referenced afterwards.
 */
export function memoryMeter() {
  gc();
  const base = process.memoryUsage();
  let rss = base.rss;
  const timer = setInterval(() => (rss = Math.max(rss, process.memoryUsage().rss)), 10);
  const started = Date.now();
  return {
    async stop() {
      clearInterval(timer);
      rss = Math.max(rss, process.memoryUsage().rss);
      // Buffers are freed once their owners are collected and the sweep is done: twice, a turn apart.
      gc();
      await new Promise((r) => setImmediate(r));
      gc();
      const after = process.memoryUsage();
      return {
        peakRss: Math.round((rss - base.rss) / MiB),
        held: Math.round((after.heapUsed + after.arrayBuffers - base.heapUsed - base.arrayBuffers) / MiB),
        ms: Date.now() - started,
      };
    },
  };
}

/**
 * `dockerlab serve`: the web app on http://localhost:8080 (PORT to change). Settings:
 * DOCKERLAB_MAX_LABS (2), DOCKERLAB_IDLE_MINUTES (30), DOCKERLAB_ORIGINS, DOCKERLAB_CLASS_CODE,
 * DOCKERLAB_DATA (progress database folder), DOCKERLAB_LESSONS (lessons/),
 * DOCKERLAB_LISTEN (127.0.0.1; 0.0.0.0 for a classroom), DOCKERLAB_KEEP_DAYS (7: how long a lab
 * saved for an absent learner is kept), DOCKERLAB_LOCAL_SHELL=1 (a local bash instead of VMs, for
 * working on the web app; never with the real course as root).
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { Condition } from '../lessons/types.ts';
import type { Lab } from '../sandbox/api.ts';
import type { Evaluate, Snapshot } from './course.ts';
import { vmProviderWithPool } from './vm-provider.ts';
import { startApp } from './app.ts';
import { loadCourse } from '../lessons/load.ts';
import { checkCatalog } from '../lessons/catalog.ts';
import { formatProblem } from '../lessons/problem.ts';
import { englishTwins } from './twins.ts';
import { logger, say } from '../log.ts';

const log = logger('serve');

/** Loaded on the first check, so the server starts even while the checks are being worked on. */
const evaluate: Evaluate = async (conditions: Condition[], lab: Lab, baseline) => {
  const { evaluateConditions } = await import('../checks/evaluate.ts');
  return evaluateConditions(conditions, lab, { baseline });
};

/** The inspector's snapshot of every host: each step's baseline (renamed ≠ removed, recreated ≠ restarted). */
const snapshot: Snapshot = async (lab: Lab) => {
  const { inspectLab } = await import('../inspect/inspect.ts');
  return inspectLab(lab);
};

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!(n > 0)) throw new Error(`Expected ${name} to be a positive number, got \`${raw}\``);
  return n;
}

export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { port: { type: 'string' } } });
  const port = Number(values.port ?? process.env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    say(`端口不对 / bad port: ${values.port ?? process.env.PORT}`);
    return 2;
  }
  const local = process.env.DOCKERLAB_LOCAL_SHELL === '1';
  // Real VMs come with a warm pool (DOCKERLAB_WARM ready labs, default 1: vm-provider.ts).
  const provider = local ? (await import('./local-lab.ts')).localProvider : await vmProviderWithPool();
  if (!local) {
    const { pruneSaved } = await import('../sandbox/saved.ts');
    // Old ones, then least recently saved ones over the quota (DOCKERLAB_SAVED_MAX_GB) or the
    // free-space floor: at start and every 10 minutes while serving.
    const prune = () => {
      const pruned = pruneSaved(positive('DOCKERLAB_KEEP_DAYS', 7) * 86_400_000);
      if (pruned.length > 0)
        say(
          `删除了 ${pruned.length} 个已保存的实验机器 / removed ${pruned.length} saved labs (age or quota)`,
        );
    };
    prune();
    setInterval(() => {
      try {
        prune();
      } catch (e) {
        say(`清理已保存的实验机器失败 / pruning saved labs failed: ${(e as Error).message}`);
      }
    }, 10 * 60_000).unref();
  }
  const { lessons, broken } = await loadCourse(
    process.env.DOCKERLAB_LESSONS ?? 'lessons',
    await checkCatalog(),
  );
  for (const b of broken) {
    say(`这一课有错误，先不提供 / lesson not served until fixed: ${b.file}`);
    for (const p of b.problems) say(`  ${formatProblem(p)}`);
  }
  let app;
  try {
    app = await startApp({
      lessons,
      broken,
      english: await englishTwins(lessons),
      provider,
      evaluate,
      snapshot: local ? undefined : snapshot,
      port,
      listenHost: process.env.DOCKERLAB_LISTEN ?? '127.0.0.1',
      maxLabs: positive('DOCKERLAB_MAX_LABS', 2),
      idleMs: positive('DOCKERLAB_IDLE_MINUTES', 30) * 60_000,
      classCode: process.env.DOCKERLAB_CLASS_CODE || undefined,
      origins: process.env.DOCKERLAB_ORIGINS,
      saveLabsOnClose: !local,
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    say(`端口 ${port} 已被占用，请用 PORT=另一个端口 再试 / port ${port} is in use: try PORT=<another port>`);
    return 1;
  }
  // Last resort: a throw that escaped every handler is a bug, but one learner's request must not
  // take every other learner's lab down with it. Log it and keep serving.
  process.on('uncaughtException', (e) =>
    log.error('uncaught exception', { error: e.message, stack: e.stack }),
  );
  process.on('unhandledRejection', (e) =>
    log.error('unhandled rejection', {
      error: (e as Error)?.message ?? String(e),
      stack: (e as Error)?.stack,
    }),
  );
  if (local) say('注意：终端是本机的 bash，不是虚拟机 / NOTE: terminals are a local bash, not VMs');
  say(`Docker 实验室已启动 / dockerlab is serving: ${app.url}`);
  const listen = process.env.DOCKERLAB_LISTEN ?? '127.0.0.1';
  if (!['127.0.0.1', 'localhost', '::1'].includes(listen) && !process.env.DOCKERLAB_ORIGINS) {
    // Requests whose Host is not an allowed origin get 421 (DNS rebinding): say so up front.
    const lan = Object.values(os.networkInterfaces())
      .flat()
      .filter((a) => a && a.family === 'IPv4' && !a.internal)
      .map((a) => `http://${a!.address}:${app.port}`);
    say(
      `注意：学员用别的地址打开会被拒绝（421），请设置 DOCKERLAB_ORIGINS=${lan.join(',') || 'http://<本机地址>:端口'}\n` +
        `NOTE: other machines are refused (421) until their address is allowed: set DOCKERLAB_ORIGINS=${lan.join(',') || 'http://<this machine>:<port>'}`,
    );
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  // Saving the labs takes seconds. Ctrl-C under `npm start` can deliver SIGINT twice at once (the
  // terminal's, and npm's forwarded copy), so only a signal a while after the first one forces exit.
  const firstAt = Date.now();
  const again = () => {
    if (Date.now() - firstAt < 2000) return;
    say('强制退出，实验机器没有保存 / forced exit: labs not saved');
    process.exit(130);
  };
  process.on('SIGINT', again);
  process.on('SIGTERM', again);
  say(
    '正在保存并关闭实验机器…（再按一次 Ctrl-C 强制退出）/ saving and stopping labs… (Ctrl-C again to force)',
  );
  await app.close();
  say('已保存 / saved; 下次打开课程时会原样恢复 / they resume as they were');
  return 0;
}

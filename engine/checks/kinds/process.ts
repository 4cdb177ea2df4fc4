import { z } from 'zod';
import { defineKind, fail, ok, stateOf } from '../kind.ts';
import { list, t } from '../render.ts';

const schema = z.strictObject({
  /** Text the process's command line contains (e.g. `sleep 1000`), or `/regex/`. */
  command: z.string().min(1),
  exists: z.boolean().default(true),
  /** Namespace types the process must NOT share with the host, e.g. `[uts, pid]` after `unshare --uts --pid`. */
  newNamespaces: z.array(z.enum(['net', 'uts', 'pid', 'mnt', 'ipc', 'user', 'cgroup'])).optional(),
});

function matcher(pattern: string): (s: string) => boolean {
  const m = /^\/(.+)\/([a-z]*)$/.exec(pattern);
  if (m) {
    const re = new RegExp(m[1]!, m[2]);
    return (s) => re.test(s);
  }
  return (s) => s.includes(pattern);
}

export default defineKind(
  {
    id: 'process',
    description: t(
      '主机上有（或没有）一个命令行匹配的进程，并且它在新的命名空间里（用于 unshare、lsns）',
      'a process whose command line matches runs (or not), optionally in namespaces of its own (for unshare, lsns)',
    ),
    schema,
    messages: {
      ok: t('进程 {pid}（{cmd}）符合要求', 'process {pid} ({cmd}) is as expected'),
      gone: t('没有命令行包含“{command}”的进程了', 'no process matches "{command}" any more'),
      present: t(
        '进程 {pid}（{cmd}）还在运行，它应该已经结束了',
        'process {pid} ({cmd}) is still running; it should have ended',
      ),
      missing: t('没有找到命令行包含“{command}”的进程', 'no process matches "{command}"'),
      sharedNs: t(
        '进程 {pid}（{cmd}）和主机共用 {types} 命名空间，它应该在新的命名空间里（unshare 少了对应的选项？）',
        'process {pid} ({cmd}) shares the {types} namespace with the host; it should have its own (a missing unshare option?)',
      ),
    },
    example: 'process: { command: "sleep 1000", newNamespaces: [uts, pid] }',
  },
  (p, ctx) => {
    const state = stateOf(ctx);
    const test = matcher(p.command);
    // The inspector itself (python3 -) and the shell that started it are never what a lesson means.
    const procs = state.processes.filter(
      (x) => x.args.length && test(x.args.join(' ')) && x.args[0] !== 'python3',
    );
    if (!p.exists)
      return procs.length
        ? [fail('present', { pid: procs[0]!.pid, cmd: procs[0]!.args.join(' ') })]
        : [ok('gone', { command: p.command })];
    if (!procs.length) return [fail('missing', { command: p.command })];
    const wanted = p.newNamespaces ?? [];
    const shared = (x: (typeof procs)[number]): string[] =>
      wanted.filter((ty) => x.ns[ty] === state.hostNs[ty]);
    const good = procs.find((x) => shared(x).length === 0);
    if (good) return [ok('ok', { pid: good.pid, cmd: good.args.join(' ') })];
    const x = procs[procs.length - 1]!;
    return [fail('sharedNs', { pid: x.pid, cmd: x.args.join(' '), types: list(shared(x)) })];
  },
);

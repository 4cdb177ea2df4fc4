import { z } from 'zod';
import type { Process } from '../../inspect/types.ts';
import { defineKind, fail, ok, stateOf } from '../kind.ts';
import { list, t } from '../render.ts';
import type { Report } from '../types.ts';

const nsType = z.enum(['net', 'uts', 'pid', 'mnt', 'ipc', 'user', 'cgroup']);
const schema = z.strictObject({
  command: z.string().min(1).describe('Text the command line contains (e.g. `sleep 1000`), or `/regex/`.'),
  exists: z.boolean().default(true),
  namespaces: z
    .partialRecord(nsType, z.enum(['new', 'host']))
    .optional()
    .describe(
      'Per namespace type: `new` (its own, e.g. after `unshare --uts`) or `host` (shared with the host).',
    ),
  newNamespaces: z.array(nsType).optional().describe('Shorthand: these types must be `new`.'),
  hostname: z
    .string()
    .optional()
    .describe("The hostname inside the process's UTS namespace (after `unshare --uts` + `hostname X`)."),
});
type P = z.infer<typeof schema>;

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
      '主机上有（或没有）一个命令行匹配的进程，并且它在新的（或主机的）命名空间里（用于 unshare、lsns）',
      'a process whose command line matches runs (or not), in namespaces of its own or the host’s (for unshare, lsns)',
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
      ownNs: t(
        '进程 {pid}（{cmd}）有自己的 {types} 命名空间，它应该和主机共用',
        'process {pid} ({cmd}) has its own {types} namespace; it should share the host’s',
      ),
      hostname: t(
        '进程 {pid} 所在的 UTS 命名空间里主机名是 {found}，应该是 {want}',
        "the hostname in process {pid}'s UTS namespace is {found}, expected {want}",
      ),
    },
    example: 'process: { command: "sleep 3600", namespaces: { uts: new, pid: new }, hostname: myns }',
    reads: ['processes', 'hostNs'],
    probes: ['hostname'],
  },
  async (p, ctx) => {
    const state = stateOf(ctx);
    const test = matcher(p.command);
    // The inspector itself (python3 -) is never what a lesson means.
    const procs = state.processes.filter(
      (x) => x.args.length && x.args[0] !== 'python3' && test(x.args.join(' ')),
    );
    if (!p.exists)
      return procs.length
        ? [fail('present', { pid: procs[0]!.pid, cmd: procs[0]!.args.join(' ') })]
        : [ok('gone', { command: p.command })];
    if (!procs.length) return [fail('missing', { command: p.command })];
    const tried = procs.map((x) => ({ x, problems: nsProblems(x, p, state.hostNs) }));
    const good = tried.find((r) => r.problems.length === 0) ?? tried[tried.length - 1]!;
    if (good.problems.length) return good.problems;
    const { x } = good;
    if (p.hostname !== undefined) {
      // The UTS namespace's hostname is not in /proc: one probe, with the host's `hostname` binary.
      const r = await ctx.exec(ctx.host, `nsenter -t ${x.pid} -u hostname`, 10_000);
      const found = r.stdout.trim() || `? (${r.stderr.trim().slice(0, 80)})`;
      if (found !== p.hostname) return [fail('hostname', { pid: x.pid, found, want: p.hostname })];
    }
    return [ok('ok', { pid: x.pid, cmd: x.args.join(' ') })];
  },
);

function nsProblems(x: Process, p: P, hostNs: Record<string, number>): Report[] {
  const want: Record<string, 'new' | 'host'> = { ...(p.namespaces ?? {}) };
  for (const ty of p.newNamespaces ?? []) want[ty] = 'new';
  const shared = Object.keys(want).filter((ty) => want[ty] === 'new' && x.ns[ty] === hostNs[ty]);
  const own = Object.keys(want).filter((ty) => want[ty] === 'host' && x.ns[ty] !== hostNs[ty]);
  const cmd = x.args.join(' ');
  const out: Report[] = [];
  if (shared.length) out.push(fail('sharedNs', { pid: x.pid, cmd, types: list(shared) }));
  if (own.length) out.push(fail('ownNs', { pid: x.pid, cmd, types: list(own) }));
  return out;
}

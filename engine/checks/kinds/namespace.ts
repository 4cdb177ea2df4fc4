import { z } from 'zod';
import type { HostState } from '../../inspect/types.ts';
import { defineKind, fail, ok, stateOf } from '../kind.ts';
import { findContainer } from '../place.ts';
import { t } from '../render.ts';
import type { Report, Text } from '../types.ts';

const types = ['net', 'uts', 'pid', 'mnt', 'ipc', 'user', 'cgroup'] as const;
/** Whose namespace: a container's, a named netns, a pid, the first process whose command line contains a text, or the host. */
const who = z.union([
  z.strictObject({ container: z.string().min(1) }),
  z.strictObject({ netns: z.string().min(1) }),
  z.strictObject({ pid: z.number().int().positive() }),
  z.strictObject({ process: z.string().min(1) }),
  z.strictObject({ host: z.literal(true) }),
]);
type Who = z.infer<typeof who>;

const schema = z
  .strictObject({
    type: z.enum(types),
    same: z.array(who).min(2).optional().describe('All of these share one namespace of `type`.'),
    different: z
      .array(who)
      .min(2)
      .optional()
      .describe('Each of these has its own namespace of `type` (no two share).'),
  })
  .refine((p) => p.same || p.different, { message: 'give `same: [...]` or `different: [...]`' });

function label(w: Who): Text {
  if ('container' in w) return t(`容器 ${w.container}`, `container ${w.container}`);
  if ('netns' in w) return t(`命名空间 ${w.netns}`, `netns ${w.netns}`);
  if ('pid' in w) return t(`进程 ${w.pid}`, `process ${w.pid}`);
  if ('process' in w) return t(`进程“${w.process}”`, `process "${w.process}"`);
  return t('主机', 'the host');
}

function inodeOf(state: HostState, type: string, w: Who): number | undefined {
  const byPid = (pid: number): number | undefined => state.processes.find((p) => p.pid === pid)?.ns[type];
  if ('container' in w) {
    const c = findContainer(state, w.container);
    return c?.running ? byPid(c.pid) : undefined;
  }
  if ('netns' in w)
    return type === 'net' ? state.namespaces.find((n) => n.names.includes(w.netns))?.id : undefined;
  if ('pid' in w) return byPid(w.pid);
  if ('process' in w) {
    const hit = state.processes.filter(
      (p) => p.args.join(' ').includes(w.process) && !p.args.join(' ').includes('python3 -'),
    );
    return hit[hit.length - 1]?.ns[type];
  }
  return state.hostNs[type];
}

export default defineKind(
  {
    id: 'namespace',
    description: t(
      '几个容器、进程或命名空间共用（或不共用）同一个某类命名空间',
      'several containers, processes or netns share (or do not share) one namespace of a type',
    ),
    schema,
    messages: {
      ok: t(
        '{list} 的 {type} 命名空间符合要求（{how}）',
        'the {type} namespaces of {list} are as expected ({how})',
      ),
      notFound: t(
        '找不到{who}（容器没有运行、进程不存在，或命名空间不存在）',
        '{who} cannot be found (container not running, no such process, or no such netns)',
      ),
      notSame: t(
        '{a} 和 {b} 不在同一个 {type} 命名空间里（{ia} ≠ {ib}）',
        '{a} and {b} are not in the same {type} namespace ({ia} ≠ {ib})',
      ),
      notDifferent: t(
        '{a} 和 {b} 在同一个 {type} 命名空间里（{ia}），应该各自独立',
        '{a} and {b} share one {type} namespace ({ia}); each should have its own',
      ),
    },
    example: 'namespace: { type: net, same: [{ container: base }, { container: joiner }] }',
    reads: ['containers', 'namespaces', 'processes', 'hostNs'],
  },
  (p, ctx) => {
    const state = stateOf(ctx);
    const group = p.same ?? p.different!;
    const out: Report[] = [];
    const ids = group.map((w) => inodeOf(state, p.type, w));
    group.forEach((w, i) => ids[i] === undefined && out.push(fail('notFound', { who: label(w) })));
    if (out.length) return out;
    for (let i = 0; i < group.length; i++)
      for (let j = i + 1; j < group.length; j++) {
        const d = { a: label(group[i]!), b: label(group[j]!), type: p.type, ia: ids[i]!, ib: ids[j]! };
        if (p.same && ids[i] !== ids[j] && j === i + 1) out.push(fail('notSame', d));
        if (p.different && ids[i] === ids[j]) out.push(fail('notDifferent', d));
      }
    const names = group.map((w) => label(w));
    const joined = t(names.map((n) => n.zh).join('、'), names.map((n) => n.en).join(', '));
    return out.length
      ? out
      : [
          ok('ok', {
            list: joined,
            type: p.type,
            how: p.same ? t('共用一个', 'shared') : t('各自独立', 'separate'),
          }),
        ];
  },
);

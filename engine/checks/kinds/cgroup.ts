import { z } from 'zod';
import { parseBytes, twice } from '../docker.ts';
import { defineKind, fail, ok, stateOf } from '../kind.ts';
import { pickContainer, placeMessages } from '../place.ts';
import { t } from '../render.ts';
import type { Report } from '../types.ts';

const schema = z.strictObject({
  container: z.string().min(1),
  memory: z
    .union([z.string(), z.number()])
    .optional()
    .describe('memory.max, as `--memory` takes it: `256m`, `1g`, or bytes.'),
  cpuShares: z
    .number()
    .int()
    .min(2)
    .optional()
    .describe('`--cpu-shares`; cgroup v2 stores it as cpu.weight = 1 + (shares − 2) × 9999 / 262142.'),
  cpuWeight: z.number().int().min(1).optional(),
  pidsMax: z.union([z.number().int(), z.literal('max')]).optional(),
});

/** The conversion runc applies when writing --cpu-shares into cgroup v2's cpu.weight. */
export const sharesToWeight = (shares: number): number => 1 + Math.floor(((shares - 2) * 9999) / 262142);

/**
 * The roundest --cpu-shares that gives this cpu.weight (512 for 20, as lessons write it, rather than
 * the smallest, 501), for the `docker update` a message suggests.
 */
export function weightToShares(weight: number): number {
  for (const step of [1024, 256, 128, 64, 16, 8, 2, 1])
    for (let s = step; s <= 262_144; s += step) if (sharesToWeight(s) === weight) return s;
  return 1024;
}

export default defineKind(
  {
    id: 'cgroup',
    description: t(
      '容器的 cgroup（v2）里的资源限制符合要求：内存上限、CPU 权重、进程数',
      "a container's cgroup v2 limits are as expected: memory.max, cpu.weight, pids.max",
    ),
    schema,
    messages: {
      ...placeMessages,
      containerStopped: t(
        '容器 {container} 没有在运行，已经没有 cgroup 可看了',
        'container {container} is not running, so it has no cgroup',
      ),
      ok: t(
        '容器 {container} 的 cgroup 限制符合要求（{summary}）',
        "container {container}'s cgroup limits are as expected ({summary})",
      ),
      noCgroup: t('读不到容器 {container} 的 cgroup', "container {container}'s cgroup could not be read"),
      value: t(
        '容器 {container} 的 {file} 是 {found}，应该是 {want}。运行中的容器可以直接改：`docker update {option} {container}`',
        "container {container}'s {file} is {found}, expected {want}. A running container can be changed in place: `docker update {option} {container}`",
      ),
    },
    example: 'cgroup: { container: limited, memory: 256m, cpuShares: 512 }',
    reads: ['containers'],
  },
  (p, ctx) => {
    const state = stateOf(ctx);
    const { c, report } = pickContainer(state, p.container, { running: true });
    if (report) return [report];
    const cg = c.cgroup;
    if (!cg) return [fail('noCgroup', { container: p.container })];
    const out: Report[] = [];
    /** `option` is what `docker update` takes to set it: the way out the message gives. */
    const cmp = (file: string, found: string | undefined, want: string, option: string): void => {
      if (found !== want)
        out.push(fail('value', { container: p.container, file, found: found ?? '?', want, option }));
    };
    if (p.memory !== undefined)
      // --memory-swap goes with it: a container made with --memory has a swap limit of twice that,
      // and docker update refuses a memory limit above the swap limit.
      cmp(
        'memory.max',
        cg.memoryMax,
        String(parseBytes(p.memory)),
        `--memory ${p.memory} --memory-swap ${twice(p.memory)}`,
      );
    if (p.cpuShares !== undefined)
      cmp('cpu.weight', cg.cpuWeight, String(sharesToWeight(p.cpuShares)), `--cpu-shares ${p.cpuShares}`);
    if (p.cpuWeight !== undefined)
      cmp('cpu.weight', cg.cpuWeight, String(p.cpuWeight), `--cpu-shares ${weightToShares(p.cpuWeight)}`);
    if (p.pidsMax !== undefined)
      cmp('pids.max', cg.pidsMax, String(p.pidsMax), `--pids-limit ${p.pidsMax === 'max' ? -1 : p.pidsMax}`);
    const summary = `memory.max=${cg.memoryMax ?? '?'}, cpu.weight=${cg.cpuWeight ?? '?'}`;
    return out.length ? out : [ok('ok', { container: p.container, summary })];
  },
);

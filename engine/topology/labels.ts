/**
 * What a box says, and how wide that is: the labels of the topology diagram, apart from the layout
 * so the page can show and describe a graph before (and without) loading elkjs. Builds under both
 * tsconfigs.
 */
import type { TopoNode } from './types.ts';

export type Lang = 'zh' | 'en';

/** One line of text in a box; `cls` picks its style (name, state, addr, fact, nat, muted). */
export interface Line {
  text: string;
  cls: 'title' | 'name' | 'state' | 'addr' | 'fact' | 'nat' | 'muted';
}

/** What nodeLines needs to know. */
export interface LabelOptions {
  lang: Lang;
  /** Mounts on container boxes. */
  showMounts?: boolean;
}

export const fontPx = 12;
export const lineHeight = 16;

/** Width of `s` in px at fontPx in a monospace font (CJK characters are full width). */
export function textWidth(s: string, px = fontPx): number {
  let w = 0;
  // 0.62 em, not 0.6: bold titles and fallback fonts run a little wider.
  for (const ch of s) w += /[\u2e80-\u9fff\uff00-\uffef\u3000-\u303f]/.test(ch) ? px : px * 0.62;
  return Math.ceil(w);
}

const words: Record<string, [string, string]> = {
  host: ['主机', 'host'],
  netnsHost: ['主机的网络命名空间', "host's network namespace"],
  netns: ['网络命名空间', 'network namespace'],
  netnsUnnamed: ['没有名字的网络命名空间', 'unnamed network namespace'],
  container: ['容器', 'container'],
  bridge: ['网桥', 'bridge'],
  ovs: ['OVS 网桥', 'OVS bridge'],
  volume: ['数据卷', 'volume'],
  lan: ['局域网', 'LAN'],
  remote: ['隧道远端', 'tunnel remote'],
  route: ['默认路由', 'default route'],
  ports: ['发布端口', 'published'],
  netnsName: ['ip netns 名字', 'ip netns name'],
  hidden: ['个对象收起来了', 'objects folded'],
  running: ['运行中', 'running'],
  exited: ['已退出', 'exited'],
  created: ['已创建', 'created'],
  paused: ['已暂停', 'paused'],
};
export const word = (k: string, lang: Lang): string => words[k]?.[lang === 'zh' ? 0 : 1] ?? k;

/** The lines a node shows: title first, then its facts. */
export function nodeLines(n: TopoNode, o: LabelOptions): Line[] {
  const L = o.lang;
  const lines: Line[] = [];
  const add = (text: string, cls: Line['cls']) => lines.push({ text, cls });
  switch (n.kind) {
    case 'host':
      add(`${word('host', L)} ${n.name}`, 'title');
      break;
    case 'netns':
      if (n.flavor === 'host') add(word('netnsHost', L), 'title');
      else add(`${word(n.flavor === 'unnamed' ? 'netnsUnnamed' : 'netns', L)} ${n.name}`, 'title');
      break;
    case 'container': {
      const st = n.state ?? '';
      add(`${word('container', L)} ${n.name}`, 'title');
      add(`${n.image ?? ''} · ${word(st, L)}`, st === 'running' ? 'fact' : 'muted');
      if (n.ports?.length)
        add(`${word('ports', L)} ${[...new Set(n.ports.map(shortPort))].join(' ')}`, 'fact');
      if (o.showMounts) for (const m of n.mounts ?? []) add(m, 'fact');
      break;
    }
    case 'bridge':
      add(`${word(n.flavor === 'ovs' ? 'ovs' : 'bridge', L)} ${n.name}`, 'title');
      add(n.state ?? '', 'state');
      break;
    case 'interface':
      add(n.name, 'name');
      add(`${n.flavor ?? ''} ${n.state ?? ''}`.trim(), 'state');
      break;
    case 'volume':
      add(`${word('volume', L)} ${n.name}`, 'title');
      break;
    case 'lan':
      add(word('lan', L), 'title');
      break;
    case 'remote':
      add(`${word('remote', L)} ${n.name}`, 'title');
      break;
  }
  for (const a of n.addrs ?? []) add(a, 'addr');
  if (n.tunnel && n.kind !== 'remote') add(n.tunnel, 'fact');
  if (n.defaultRoute) add(`${word('route', L)} ${n.defaultRoute}`, 'fact');
  for (const f of n.nat ?? []) add(`${f.type} ${f.text}`, 'nat');
  return lines;
}

/** `0.0.0.0:8080→80/tcp` and `:::8080→80/tcp` are one port to the learner: `8080→80/tcp`. */
function shortPort(p: string): string {
  const i = p.lastIndexOf(':', p.indexOf('→'));
  return p.slice(i + 1);
}

/**
 * One vocabulary for the course: the 术语表 of docs/authoring.md as data, and the lint rule that
 * finds its variants in the prose a learner reads (the title, the intro, step text, hints and the
 * summary; never code, inline code, checks or solutions). Each problem names the preferred term.
 */
import type { Problem } from './problem.ts';

export interface Term {
  /** The preferred Chinese term. */
  zh: string;
  /** The English term, shown in parentheses after the Chinese the first time a lesson uses it. */
  en: string;
  /** Variants not to use, each a pattern and how it reads in the 术语表. */
  avoid: { pattern: RegExp; shown: string }[];
}

const cjk = '\\u3400-\\u9fff\\uf900-\\ufaff';
/** An English word standing on its own: not part of a flag (`--volumes-from`), a file (`daemon.json`) or a longer word. */
const word = (w: string): RegExp => new RegExp(`(?<![-.\\w/])${w}(?![-.\\w/])`, 'i');

/** The 术语表. docs/authoring.md shows the same table; a unit test keeps the two in step. */
export const terms: Term[] = [
  {
    zh: '命名空间',
    en: 'namespace',
    // 空间 alone, where it means a namespace; 用户空间, 磁盘空间 and the like are other words.
    avoid: [
      { pattern: /名字空间|名称空间/, shown: '名字空间、名称空间' },
      { pattern: /(?<!命名|用户|内核|磁盘|存储|地址|内存|硬盘|剩余|可用|命名的)空间/, shown: '空间（单独用来指命名空间时）' },
      { pattern: word('namespaces?'), shown: 'namespace（正文里）' },
    ],
  },
  {
    zh: '数据卷',
    en: 'volume',
    avoid: [
      { pattern: /(?<!数据)卷/, shown: '卷、匿名卷、命名卷、存储卷（写成数据卷、匿名数据卷、命名数据卷）' },
      { pattern: word('volumes?'), shown: 'volume（正文里）' },
    ],
  },
  { zh: '绑定挂载', en: 'bind mount', avoid: [{ pattern: word('bind[- ]mounts?'), shown: 'bind mount（正文里）' }] },
  {
    zh: '网桥',
    en: 'bridge',
    avoid: [
      { pattern: /桥接器|桥设备/, shown: '桥接器、桥设备' },
      { pattern: word('bridges?'), shown: 'bridge（正文里；指 Docker 的 `bridge` 网络时写成行内代码）' },
    ],
  },
  {
    zh: '镜像加速器',
    en: 'registry mirror',
    avoid: [{ pattern: /仓库镜像|镜像缓存|加速镜像|镜像代理/, shown: '仓库镜像、镜像缓存、加速镜像、镜像代理' }],
  },
  { zh: '仓库', en: 'registry', avoid: [{ pattern: /注册中心|注册服务器|注册表/, shown: '注册中心、注册服务器、注册表' }] },
  {
    zh: '守护进程',
    en: 'daemon',
    avoid: [
      { pattern: /守护程序|后台程序/, shown: '守护程序、后台程序' },
      { pattern: word('daemons?'), shown: 'daemon（正文里）' },
    ],
  },
  { zh: '主机', en: 'host', avoid: [{ pattern: /宿主机|宿主/, shown: '宿主机、宿主' }] },
  { zh: '网卡', en: 'network interface', avoid: [{ pattern: /网络接口|网口/, shown: '网络接口、网口' }] },
];

const hasChinese = new RegExp(`[${cjk}]`);
/** What the rules must not read: inline code, link targets, parenthesised glosses, quoted English output. */
const inlineCode = /(`+)[\s\S]*?\1/g;
const linkTarget = /\]\([^)]*\)/g;
const gloss = /（[^（）]*）|\([^()]*\)/g;

/** A line split at its ASCII double quotes: the odd pieces are what the quotes enclose, read in pairs from the left. */
const quoted = (text: string): { inside: string[]; outside: string } => {
  const pieces = text.split('"');
  return { inside: pieces.filter((_, i) => i % 2 === 1 && i < pieces.length - 1), outside: pieces.filter((_, i) => i % 2 === 0).join(' ') };
};

/** The lines of a lesson file that a learner reads as prose, with their 1-based line numbers. */
export function proseLines(source: string): { line: number; text: string }[] {
  const lines = source.replace(/\r\n/g, '\n').split('\n');
  const out: { line: number; text: string }[] = [];
  let i = 0;
  if (lines[0] === '---') {
    for (i = 1; i < lines.length && lines[i] !== '---'; i++) {
      const title = /^title:\s*(.*)$/.exec(lines[i] ?? '');
      if (title) out.push({ line: i + 1, text: title[1] ?? '' });
    }
    i++;
  }
  let fence: { mark: string; prose: boolean } | null = null;
  for (; i < lines.length; i++) {
    const text = lines[i] ?? '';
    const open = /^\s{0,3}(`{3,}|~{3,})\s*([^\s`]*)/.exec(text);
    if (fence) {
      if (open && open[1]!.startsWith(fence.mark) && open[2] === '') fence = null;
      else if (fence.prose) out.push({ line: i + 1, text });
      continue;
    }
    if (open) {
      // A hint is prose the learner reads; every other fence is code, a check or a hidden answer.
      fence = { mark: open[1]!, prose: open[2] === 'hint' };
      continue;
    }
    if (/^\s{4,}\S/.test(text) && !/^\s*([-*+]|\d+\.)\s/.test(text)) continue; // indented code
    out.push({ line: i + 1, text });
  }
  return out;
}

/** Every variant of the 术语表 and every ASCII-quoted Chinese phrase in the prose of one lesson file. */
export function vocabularyProblems(source: string, file: string): Problem[] {
  const out: Problem[] = [];
  for (const { line, text } of proseLines(source)) {
    const prose = text.replace(inlineCode, ' ').replace(linkTarget, ']');
    const { inside, outside } = quoted(prose);
    // ASCII double quotes around Chinese text: Chinese prose quotes with “”. Quoted English (a message) may keep them.
    for (const q of inside.filter((q) => hasChinese.test(q))) {
      out.push({ file, line, what: `ASCII quotes around Chinese text: "${q}"`, fix: `write “${q}” with Chinese quotation marks` });
    }
    if (!hasChinese.test(prose)) continue; // an English line (an .en.md twin) uses English words
    // Quoted Chinese is reported above; what stays is the prose around the quotes, less its glosses.
    const bare = [outside, ...inside.filter((q) => hasChinese.test(q))].join(' ').replace(gloss, ' ');
    for (const t of terms) {
      for (const a of t.avoid) {
        const m = a.pattern.exec(bare);
        if (!m) continue;
        out.push({ file, line, what: `\`${m[0]}\` is not the course's term for ${t.en}`, fix: `write ${t.zh} (the first time in a lesson: ${t.zh}（${t.en}）); see the 术语表 in docs/authoring.md` });
      }
    }
  }
  return out;
}

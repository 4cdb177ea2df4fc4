/** Fills a message template's `{name}` placeholders; a `Text` value is taken in the template's language. */
import type { Report, Text } from './types.ts';

export type Lang = keyof Text;

/**
 * Marks where a filled-in value starts and ends until the zh spacing there is settled: a
 * private-use character, which no name, path or command output the kinds report contains.
 */
const EDGE = '\uE000';
/** An edge (or two, around an empty value) with the spaces either side of it. */
const edges = / *\uE000[ \uE000]*/g;
const han = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/;
/** Latin words, numbers, paths, options and `inline code`: any printable ASCII but the space. */
const latin = /[!-~]/;
/** Chinese punctuation (，。：；、（）“”！？《》), which takes no space on either side. */
const cjkPunct = /[\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65‘’“”]/;

/**
 * The space where a filled-in zh value meets its neighbour. Values are Latin ("ns1"), Chinese
 * ("主机") or both ("命名空间 ns1"), so a template cannot know; the characters either side decide:
 * one space between Han and Latin, none beside Chinese punctuation, between two Han characters or
 * at either end; otherwise one space if the template wrote any there.
 */
function gap(before: string | undefined, after: string | undefined, spaced: boolean): string {
  if (before === undefined || after === undefined) return '';
  if ((han.test(before) && latin.test(after)) || (latin.test(before) && han.test(after))) return ' ';
  if (cjkPunct.test(before) || cjkPunct.test(after) || (han.test(before) && han.test(after))) return '';
  return spaced ? ' ' : '';
}

/**
 * In zh, the spacing where a value meets the template is settled here, so `{where}里` and
 * `{where} 里` render alike. Between two placeholders that may both hold Latin, write a space
 * (`从{from} {how}`); it is dropped where both sides turn out Chinese. English is filled as written.
 */
export function fill(template: string, data: Report['data'], lang: Lang): string {
  const edge = lang === 'zh' ? EDGE : '';
  const out = template.replace(/\{(\w+)\}/g, (whole, key: string) => {
    const v = data?.[key];
    if (v === undefined) return whole;
    return edge + (typeof v === 'object' ? v[lang] : String(v)) + edge;
  });
  if (lang !== 'zh') return out;
  return out.replace(edges, (run, at: number) => gap(out[at - 1], out[at + run.length], run.includes(' ')));
}

export function render(messages: Record<string, Text>, report: Report): Text {
  const t = messages[report.messageId];
  // A kind that reports an id it never declared is a bug in the kind; say so rather than hide it.
  if (!t)
    return {
      zh: `（检查内部错误：未知消息 ${report.messageId}）`,
      en: `(check bug: unknown message ${report.messageId})`,
    };
  return { zh: fill(t.zh, report.data, 'zh'), en: fill(t.en, report.data, 'en') };
}

/** Joins a list for a message, saying "none" in each language when it is empty. */
export function list(items: readonly string[], max = 8): Text {
  if (items.length === 0) return { zh: '（没有）', en: '(none)' };
  const shown = items.slice(0, max).join(', ');
  const more = items.length > max ? ` …(+${items.length - max})` : '';
  return { zh: shown + more, en: shown + more };
}

export const t = (zh: string, en: string): Text => ({ zh, en });

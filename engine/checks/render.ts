/** Fills a message template's `{name}` placeholders; a `Text` value is taken in the template's language. */
import type { Report, Text } from './types.ts';

export type Lang = keyof Text;

export function fill(template: string, data: Report['data'], lang: Lang): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => {
    const v = data?.[key];
    if (v === undefined) return whole;
    return typeof v === 'object' ? v[lang] : String(v);
  });
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

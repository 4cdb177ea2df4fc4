/** Chinese text helpers shared by the diff and the text alternative. Builds under both tsconfigs. */

/**
 * A space where a filled-in name or number meets Chinese text ("命名空间 ns1 里", not "ns1里"), the
 * way the checks' messages are spaced; none next to Chinese punctuation.
 */
export function spaced(zh: string): string {
  return zh
    .replace(/([\w.:/\->])(?=[\u4e00-\u9fff])/g, '$1 ')
    .replace(/([\u4e00-\u9fff])(?=[\w./:])/g, '$1 ')
    .replace(/ {2,}/g, ' ');
}

/** fill(): the zh spacing around filled-in values, which no template can get right on its own. */
import { describe, expect, it } from 'vitest';
import { fill, t } from '../../../engine/checks/render.ts';

const zh = (template: string, data: Record<string, string | number | { zh: string; en: string }>) =>
  fill(template, data, 'zh');

describe('fill', () => {
  it('puts a space between a Latin value and the Chinese next to it', () => {
    expect(zh('{where}里的 {name} 是 DOWN 的', { where: t('命名空间 ns1', 'netns ns1'), name: 'lo' })).toBe(
      '命名空间 ns1 里的 lo 是 DOWN 的',
    );
    expect(zh('容器 {name}没有接到', { name: 'onbr0' })).toBe('容器 onbr0 没有接到');
    expect(zh('从{from}能{how}', { from: 'host2', how: t('ping 通', 'to ping') })).toBe(
      '从 host2 能 ping 通',
    );
  });
  it('leaves no space between a Chinese value and the Chinese next to it', () => {
    expect(zh('{where}里的 {name}', { where: t('主机', 'the host'), name: 'lo' })).toBe('主机里的 lo');
    expect(zh('{a} 和 {b} 不同', { a: t('主机', 'the host'), b: t('容器 web', 'container web') })).toBe(
      '主机和容器 web 不同',
    );
  });
  it('leaves no space beside Chinese punctuation', () => {
    expect(zh('Author 是 {found}，应该是 {want}', { found: t('（空）', '(empty)'), want: 'me' })).toBe(
      'Author 是（空），应该是 me',
    );
    expect(
      zh('{url} 返回了 {status}{contains}', {
        url: 'http://x/',
        status: 200,
        contains: t('，内容里有“hi”', ''),
      }),
    ).toBe('http://x/ 返回了 200，内容里有“hi”');
  });
  it('separates two Latin values the template spaced, even when one is empty', () => {
    expect(zh('从{from} {how}不到', { from: t('命名空间 ns1', ''), how: t('ping 通', '') })).toBe(
      '从命名空间 ns1 ping 通不到',
    );
    expect(zh('从{from} {how}不到', { from: t('主机', ''), how: t('连到 TCP 80 端口', '') })).toBe(
      '从主机连到 TCP 80 端口不到',
    );
    expect(zh('容器 {name} {found}分配终端', { name: 'web', found: t('', '') })).toBe('容器 web 分配终端');
    expect(zh('这台主机{found}是 Swarm', { found: t('不', 'not ') })).toBe('这台主机不是 Swarm');
  });
  it('leaves what the template wrote between its own words, and text inside a value, alone', () => {
    expect(zh('掩码是 /{found}', { found: 24 })).toBe('掩码是 /24');
    expect(zh('{zh}', { zh: '还没有创建 absent.txt' })).toBe('还没有创建 absent.txt');
    expect(zh('ID {a} ↔ {b}', { a: 'x', b: '主机' })).toBe('ID x ↔ 主机');
  });
  it('keeps an unknown placeholder as it is', () => {
    expect(zh('命名空间 {name}里', {})).toBe('命名空间 {name}里');
  });
  it('does not touch English', () => {
    expect(
      fill('{where}{how} in{x}', { where: t('主机', 'the host'), how: t('', ' to ping'), x: 'y' }, 'en'),
    ).toBe('the host to ping iny');
  });
});

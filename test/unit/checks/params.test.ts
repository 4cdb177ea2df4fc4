/**
 * Parameters are validated before any lab exists: a misspelt key or kind, or a value of the wrong
 * shape, is a lint problem at its file:line that names the nearest real key and what the field expects.
 */
import { describe, expect, it } from 'vitest';
import { validateParams } from '../../../engine/checks/index.ts';
import { checkCatalog } from '../../../engine/lessons/catalog.ts';
import { lintSource } from '../../../engine/lessons/lint.ts';

describe('condition parameters', () => {
  it.each([
    [
      'container',
      { name: 'a', network: ['x'] },
      /`network` is not a parameter of `container`: did you mean `networks`\?/,
    ],
    ['reach', { from: { contianer: 'box' }, to: 'x' }, /`from\.contianer`.*did you mean `container`\?/],
    [
      'reach',
      { from: 'box', to: 'x' },
      /from: "box" is not the right shape \(expected \{ netns, host \} \| \{ container, host \} \| \{ host \}/,
    ],
    [
      'reach',
      { from: { container: 'box' } },
      /to: missing \(expected string \| \{ container, host \}, e\.g\. to: \{ container: C \}\)/,
    ],
    ['netwrok', { name: 'x' }, /unknown check kind "netwrok": did you mean "network"\?/],
    [
      'history',
      { command: 'docker logs', args: '-f' },
      /args: "-f" is not the right shape \(expected string\[\]\)/,
    ],
    [
      'image',
      { name: 'x', instructions: ['expose'] },
      /instructions\.0: a Dockerfile instruction in capitals/,
    ],
  ])('%s %j', (kind, params, want) => {
    expect(validateParams(kind, params).join('\n')).toMatch(want);
  });

  it('accepts the shapes the reference documents', () => {
    expect(
      validateParams('history', { command: 'docker logs', args: ['-f|--follow'], status: [0, 130] }),
    ).toEqual([]);
    expect(validateParams('container', { name: 'web', restarted: true, host: 'host2' })).toEqual([]);
    expect(validateParams('image', { name: 'df', from: 'nginx', instructions: ['EXPOSE', 'CMD'] })).toEqual(
      [],
    );
  });

  it('reaches lint with the line of the condition', async () => {
    const source = [
      '---',
      'id: 99-test',
      'title: 测试',
      'chapter: 99',
      'hosts: 1',
      'minutes: 5',
      'prerequisites: []',
      '---',
      '',
      '## 一步',
      '',
      '```check',
      '- container: { name: web, running: true }',
      '- container: { name: web, network: [mynet] }',
      '```',
      '',
      '```solution',
      'true',
      '```',
    ].join('\n');
    const { problems } = lintSource(source, 'lessons/99-test.md', await checkCatalog());
    const p = problems.find((x) => x.what.includes('network'));
    expect(p, JSON.stringify(problems)).toBeDefined();
    expect(p!.line).toBe(14);
    expect(p!.what).toMatch(/did you mean `networks`\?/);
  });
});

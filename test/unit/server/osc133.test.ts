import { describe, expect, it } from 'vitest';
import { Osc133Scanner } from '../../../engine/server/osc133.ts';

const b = (s: string) => Buffer.from(s, 'latin1');

describe('Osc133Scanner', () => {
  it('finds command start and end marks with their status', () => {
    const s = new Osc133Scanner();
    expect(s.push(b('out\x1b]133;C\x07hi\r\n\x1b]133;D;127\x07\x1b]133;A\x07$ '))).toEqual([
      { kind: 'C' },
      { kind: 'D', status: 127 },
      { kind: 'A' },
    ]);
  });

  it('finds a mark split across reads at any byte', () => {
    const text = 'x\x1b]133;D;0\x07y';
    for (let cut = 1; cut < text.length; cut++) {
      const s = new Osc133Scanner();
      const marks = [...s.push(b(text.slice(0, cut))), ...s.push(b(text.slice(cut)))];
      expect(marks, `cut at ${cut}`).toEqual([{ kind: 'D', status: 0 }]);
    }
  });

  it('accepts ST as terminator and ignores other OSC sequences', () => {
    const s = new Osc133Scanner();
    expect(s.push(b('\x1b]0;title\x07\x1b]133;D\x1b\\\x1b[1m'))).toEqual([{ kind: 'D', status: null }]);
  });

  it('does not hold an unterminated sequence forever', () => {
    const s = new Osc133Scanner();
    s.push(b('\x1b]133;' + 'z'.repeat(100)));
    expect(s.push(b('\x1b]133;C\x07'))).toEqual([{ kind: 'C' }]);
  });
});

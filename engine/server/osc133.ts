/**
 * Finds OSC 133 shell-integration marks in a pty byte stream: `ESC ] 133 ; D ; status BEL` says a
 * command finished (the guest's bashrc prints it from PROMPT_COMMAND), `C` says one started
 * (PS0). A mark can be split across two reads, so the scanner keeps the unfinished tail.
 */
export type Mark = { kind: 'A' | 'B' | 'C' } | { kind: 'D'; status: number | null };

const ESC = 0x1b;
const BEL = 0x07;
const prefix = Buffer.from('\x1b]133;');
/** An OSC 133 mark is a few bytes; a longer unterminated tail is not one, so stop holding it. */
const maxMarkBytes = 32;

export class Osc133Scanner {
  private tail: Buffer = Buffer.alloc(0);

  /** Returns the marks completed by this chunk, in order. */
  push(chunk: Buffer): Mark[] {
    const data = this.tail.length ? Buffer.concat([this.tail, chunk]) : chunk;
    this.tail = Buffer.alloc(0);
    const marks: Mark[] = [];
    let from = 0;
    for (;;) {
      const start = data.indexOf(ESC, from);
      if (start < 0) break;
      const available = data.subarray(start, start + prefix.length);
      if (!prefix.subarray(0, available.length).equals(available)) {
        from = start + 1;
        continue;
      }
      if (available.length < prefix.length) {
        this.tail = Buffer.from(data.subarray(start));
        break;
      }
      const end = findTerminator(data, start + prefix.length);
      if (end < 0) {
        if (data.length - start < maxMarkBytes) this.tail = Buffer.from(data.subarray(start));
        break;
      }
      const mark = parse(data.subarray(start + prefix.length, end).toString('latin1'));
      if (mark) marks.push(mark);
      from = end + 1;
    }
    return marks;
  }
}

/** BEL, or ST (ESC \\); returns the index of the terminator's first byte, or -1. */
function findTerminator(data: Buffer, from: number): number {
  for (let i = from; i < data.length && i - from < maxMarkBytes; i++) {
    if (data[i] === BEL || (data[i] === ESC && data[i + 1] === 0x5c)) return i;
  }
  return -1;
}

function parse(body: string): Mark | null {
  const [kind, status] = body.split(';');
  if (kind === 'A' || kind === 'B' || kind === 'C') return { kind };
  if (kind === 'D') {
    const n = status === undefined ? NaN : parseInt(status, 10);
    return { kind: 'D', status: Number.isNaN(n) ? null : n };
  }
  return null;
}

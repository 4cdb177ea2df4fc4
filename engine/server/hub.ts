/** Every open terminal socket of each learner, so check results and lab status reach all their tabs. */
import type { WebSocket } from 'ws';
import { encodeServerFrame, type ServerEvent } from '../protocol.ts';

export class Hub {
  private readonly sockets = new Map<string, Set<WebSocket>>();

  add(learnerId: string, ws: WebSocket): void {
    let set = this.sockets.get(learnerId);
    if (!set) this.sockets.set(learnerId, (set = new Set()));
    set.add(ws);
  }

  /** Returns how many sockets the learner still has open. */
  remove(learnerId: string, ws: WebSocket): number {
    const set = this.sockets.get(learnerId);
    set?.delete(ws);
    if (set && set.size === 0) this.sockets.delete(learnerId);
    return set?.size ?? 0;
  }

  publish(learnerId: string, event: ServerEvent): void {
    const frame = encodeServerFrame({ type: 'event', event });
    for (const ws of this.sockets.get(learnerId) ?? []) {
      if (ws.readyState === ws.OPEN) ws.send(frame);
    }
  }

  closeAll(): void {
    for (const set of this.sockets.values()) for (const ws of set) ws.terminate();
    this.sockets.clear();
  }
}

/**
 * The server's side of the topology panel: per learner and lesson, the last snapshot of their lab
 * and the history of what each command changed. The panel asks after each command (the same
 * trigger as the auto-check); one snapshot serves every tab that asks at once.
 */
import { inspectLab } from '../inspect/inspect.ts';
import type { HostState } from '../inspect/types.ts';
import type { Lab } from '../sandbox/api.ts';
import { diffStates } from './diff.ts';
import { labGraph } from './graph.ts';
import type { HistoryEntry, TopologyView } from './types.ts';

/** Enough for a long lesson; older entries are dropped first. */
const maxHistory = 200;
/**
 * An ask is served by a snapshot that began at most this long before it, no older: the panel asks
 * 150 ms after a command ended (its debounce), so such a snapshot began after the command ended
 * too. Two tabs asking about the same command share one.
 */
const shareMs = 100;

interface Track {
  labId: string;
  states: Record<string, HostState>;
  view: TopologyView;
  /** When this snapshot began. */
  at: number;
  seq: number;
}

export type Snapshot = (lab: Lab) => Promise<Record<string, HostState>>;

export class TopologyTracker {
  private readonly tracks = new Map<string, Track>();
  private readonly pending = new Map<string, { view: Promise<TopologyView>; at: number }>();
  /** One more snapshot after the one in flight, for the asks that came too late to share it. */
  private readonly queued = new Map<string, Promise<TopologyView>>();

  /** `snapshot` is the inspector (image layer history is not needed for a diagram or a diff). */
  constructor(
    private readonly snapshot: Snapshot = (lab) => inspectLab(lab, { skip: ['info', 'history'] }),
    private readonly now: () => number = Date.now,
  ) {}

  /** The lab's graph now and the history, taking a new snapshot unless one was just taken. */
  async view(learnerId: string, lessonId: string, lab: Lab, step: number): Promise<TopologyView> {
    const key = `${learnerId}\0${lessonId}`;
    const now = this.now();
    const inFlight = this.pending.get(key);
    if (inFlight) {
      if (now - inFlight.at <= shareMs) return inFlight.view;
      // It began before this ask's command may have ended (a check's refresh, slowed by a step's
      // checkpoint): its answer could be older than the command. One more after it.
      let next = this.queued.get(key);
      if (!next) {
        next = inFlight.view
          .catch(() => undefined)
          .then(() => {
            this.queued.delete(key);
            return this.start(key, lessonId, lab, step);
          });
        this.queued.set(key, next);
      }
      return next;
    }
    const t = this.tracks.get(key);
    if (t && t.labId === lab.id && now - t.at <= shareMs) return t.view;
    return this.start(key, lessonId, lab, step);
  }

  private start(key: string, lessonId: string, lab: Lab, step: number): Promise<TopologyView> {
    const at = this.now();
    const view = this.take(key, lessonId, lab, step, at).finally(() => this.pending.delete(key));
    this.pending.set(key, { view, at });
    return view;
  }

  private async take(
    key: string,
    lessonId: string,
    lab: Lab,
    step: number,
    at: number,
  ): Promise<TopologyView> {
    const states = await this.snapshot(lab);
    const old = this.tracks.get(key);
    const history = old?.view.history ?? [];
    let seq = old?.seq ?? 0;
    // A new lab (restarted, reset) is not a change the learner made: start comparing afresh.
    if (old && old.labId === lab.id) {
      const changes = Object.entries(states).flatMap(([host, s]) =>
        old.states[host] ? diffStates(host, old.states[host], s) : [],
      );
      if (changes.length) {
        const entry: HistoryEntry = {
          seq: ++seq,
          step,
          takenAt: new Date().toISOString(),
          // With two VMs, each command says where it was typed: `host2$ ip link …`.
          commands: Object.entries(states).flatMap(([host, s]) =>
            typed(old.states[host], s).map((c) => (Object.keys(states).length > 1 ? `${host}$ ${c}` : c)),
          ),
          changes,
        };
        history.push(entry);
        if (history.length > maxHistory) history.splice(0, history.length - maxHistory);
      }
    }
    const view: TopologyView = {
      lessonId,
      takenAt: new Date().toISOString(),
      graph: labGraph(states),
      history,
    };
    this.tracks.set(key, { labId: lab.id, states, view, at, seq });
    return view;
  }

  /** Forgets a learner (their workspace ended). */
  forget(learnerId: string): void {
    for (const k of [...this.tracks.keys()]) if (k.startsWith(`${learnerId}\0`)) this.tracks.delete(k);
  }
}

/**
 * The commands typed since the last snapshot: the new tail of ~/.bash_history. WARNING: bash writes
 * a line before the command runs, so a command typed while a snapshot is being taken can be listed
 * with this entry and its effect land in the next one (seen when commands come a second apart).
 */
function typed(before: HostState | undefined, after: HostState): string[] {
  const a = before?.history ?? [];
  const b = after.history;
  const same = a.length <= b.length && a.every((h, i) => h.cmd === b[i]?.cmd);
  return same ? b.slice(a.length).map((h) => h.cmd) : [];
}

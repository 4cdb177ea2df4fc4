/**
 * Labs kept between the lessons of one `verify --jobs` worker. A lab is checkpointed the moment it
 * is up ("fresh": the snapshot's state, nothing run yet); when a lesson is done with it, it is kept,
 * and the next lesson with as many hosts gets it back restored to that checkpoint: the same state a
 * new lab would have (RAM, disk, clock set to now), in about a second per VM instead of a start
 * that restarts dockerd. A lab that cannot be restored, or that failed, is replaced by a new one;
 * before a new lab starts, the kept ones of another size end (they would hold the VMs it needs).
 * Resumed labs (`--step` reuse) and retries bypass the pool.
 */
import type { Lab, LabOptions } from '../sandbox/api.ts';
import type { VerifyDeps } from './verify.ts';

const fresh = 'verify-fresh';

export interface LabPool {
  /** Deps whose startLab hands out kept labs and whose labs' `down` keeps them. */
  deps: VerifyDeps;
  /** How many lessons got a kept lab rather than a new one. */
  reused(): number;
  /** Ends every kept lab. */
  close(): Promise<void>;
}

export function labPool(deps: VerifyDeps): LabPool {
  const idle: Lab[] = [];
  let reused = 0;
  /** The lab as verifyLesson sees it: `down` puts it back instead of ending it, unless it failed. */
  const lend = (lab: Lab): Lab => {
    let failed = false;
    const stop = lab.onFailure?.(() => (failed = true));
    return {
      ...lab,
      down: async () => {
        stop?.();
        if (failed) await lab.down();
        else idle.push(lab);
      },
    };
  };
  const startLab = async (o: LabOptions & { resume?: string }): Promise<Lab> => {
    if (o.resume) return deps.startLab(o);
    const hosts = o.hosts ?? 1;
    for (let i = idle.findIndex((l) => l.hosts.length === hosts); i >= 0;) {
      const [lab] = idle.splice(i, 1);
      try {
        await lab!.restore!(fresh);
        reused++;
        return lend(lab!);
      } catch {
        await lab!.down().catch(() => undefined);
        i = idle.findIndex((l) => l.hosts.length === hosts);
      }
    }
    // Kept labs of another size would only hold VMs the new lab needs (DOCKERLAB_MAX_VMS): the
    // lessons come longest first, so two-host labs are not needed again once one-host ones start.
    await Promise.all(idle.splice(0).map((l) => l.down().catch(() => undefined)));
    const lab = await deps.startLab(o);
    if (!lab.checkpoint || !lab.restore) return lab; // a lab that cannot: used once, as before
    try {
      await lab.checkpoint(fresh);
    } catch {
      return lab;
    }
    return lend(lab);
  };
  return {
    deps: { ...deps, startLab },
    reused: () => reused,
    close: async () => {
      await Promise.all(idle.splice(0).map((l) => l.down().catch(() => undefined)));
    },
  };
}

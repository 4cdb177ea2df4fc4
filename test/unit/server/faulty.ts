/** Local labs with a fault switch, for the workspace tests (unit and browser). */
import { localLab } from '../../../engine/server/local-lab.ts';
import type { LabProvider } from '../../../engine/server/workspace.ts';
import type { ShellCommand } from '../../../engine/server/terminal.ts';
import type { Lab, LabFailure } from '../../../engine/sandbox/api.ts';

export interface TestLab {
  lab: Lab;
  /** Reports a failure as the sandbox's watchdog would. */
  fire(f: LabFailure): void;
  shells: number;
  /** Commands run so far (setup and solutions), and a way to hold the next ones back. */
  execs: number;
  hold: Promise<void> | null;
  suspended: number;
  down: boolean;
}

/** Local labs that count their shells, saves and stops, and can be made to fail. */
export function faultyProvider(
  shellFor: (labIndex: number) => ShellCommand | undefined = () => undefined,
  /** How long starting each lab takes (a VM takes seconds; a page test wants to see it). */
  startMs: (labIndex: number) => number = () => 0,
) {
  const labs: TestLab[] = [];
  const forgotten: string[] = [];
  const provider: LabProvider = {
    start: async (o) => {
      const wait = startMs(labs.length);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const shell = shellFor(labs.length);
      const lab = localLab(o, shell ? () => shell : undefined);
      let listener: ((f: LabFailure) => void) | null = null;
      const t: TestLab = {
        lab,
        fire: (f) => listener?.(f),
        shells: 0,
        execs: 0,
        hold: null,
        suspended: 0,
        down: false,
      };
      for (const h of lab.hosts) {
        const exec = h.exec.bind(h);
        h.exec = async (script, options) => {
          t.execs++;
          await t.hold;
          return exec(script, options);
        };
        const make = h.shellCommand.bind(h);
        h.shellCommand = () => {
          t.shells++;
          return make();
        };
      }
      const down = lab.down.bind(lab);
      Object.assign(lab, {
        onFailure(l: (f: LabFailure) => void) {
          listener = l;
          return () => (listener = null);
        },
        async suspend() {
          t.suspended++;
          await down();
        },
        async down() {
          t.down = true;
          await down();
        },
      });
      labs.push(t);
      return lab;
    },
    forget: (key) => void forgotten.push(key),
  };
  return { provider, labs, forgotten };
}

/**
 * Labs of real VMs for the server: started from the snapshot, or resumed from the learner's saved
 * lab (see sandbox/saved.ts). Loaded lazily so the server starts without touching the sandbox.
 */
import type { LabProvider } from './workspace.ts';

export const vmProvider: LabProvider = {
  start: async (options) => (await import('../sandbox/lab.ts')).startLab(options),
  resume: async (key, options) => {
    const { startLab } = await import('../sandbox/lab.ts');
    const { readSaved, forgetSaved, NoSavedLabError } = await import('../sandbox/saved.ts');
    let note: string;
    try {
      note = readSaved(key).note;
    } catch (e) {
      if (!(e instanceof NoSavedLabError)) throw e;
      forgetSaved(key); // nothing there, or made from an image that is gone
      return null;
    }
    return { lab: await startLab({ ...options, resume: key }), note };
  },
  forget: async (key) => (await import('../sandbox/saved.ts')).forgetSaved(key),
};

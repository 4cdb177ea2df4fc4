/**
 * What the rest of dockerlab uses of the sandbox: labs of one or more VMs, and per host a way to
 * run commands and open shells over the guest channel (never the guest's network).
 */

/** What a command printed and how it ended. `code` is 128+N when killed by signal N. */
export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
  timedOut: boolean;
  /** Set when a stream passed `maxOutputBytes`: the command was stopped, the rest discarded. */
  truncated?: true;
}

export interface ExecOptions {
  /** Kill the command (its whole process group) after this long. Default 60 000. */
  timeoutMs?: number;
  /** Written to the command's stdin, which is then closed. */
  stdin?: string | Uint8Array;
  env?: Record<string, string>;
  /** Output as it arrives (the result still holds all of it). */
  onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
  /**
   * Output kept per stream (stdout, stderr); a command that prints more is stopped (its process
   * group killed, as at `timeoutMs`) and the result says `truncated`. Default 8 MiB.
   */
  maxOutputBytes?: number;
}

/** One VM of a lab. */
export interface SandboxHost {
  /** Host name inside the lab, e.g. `host1`; also the VM's hostname. */
  readonly name: string;
  /** Lab address of eth0, e.g. `192.168.56.11`. */
  readonly address: string;
  /** Runs `bash -c script` as root in the guest. */
  exec(script: string, options?: ExecOptions): Promise<ExecResult>;
  /**
   * Sends `request` to the unix socket at `socket` in the guest and returns what it answers, until
   * it closes its side (code 0). No process starts: a resident guest service (the inspector) is
   * asked for the cost of the channel alone. Nothing listening: a non-zero code and why on stderr.
   */
  ask(socket: string, request: string, options?: Pick<ExecOptions, 'timeoutMs'>): Promise<ExecResult>;
  /** The argv that gives an interactive root shell in this VM when spawned in a pty (node-pty). */
  shellCommand(): { file: string; args: string[] };
}

/** Why a running lab stopped working (a VM powered off or crashed, or stopped answering). */
export interface LabFailure {
  /** The host that failed, or null when the whole lab did (its supervisor died). */
  host: string | null;
  cause: 'poweroff' | 'crash' | 'unresponsive' | 'supervisor';
  /** For logs: what was seen (exit code, last console lines, …). Not for learners. */
  detail: string;
}

export interface Lab {
  readonly id: string;
  readonly hosts: readonly SandboxHost[];
  host(name: string): SandboxHost;
  /** Stops every VM of the lab and removes its files. Safe to call twice. */
  down(): Promise<void>;
  /**
   * Saves every VM whole (RAM and disk) under `key` and ends the lab; `startLab({ resume: key })`
   * brings it back as it was. `note` is kept with it. Labs that cannot be saved lack this.
   */
  suspend?(key: string, note: string): Promise<void>;
  /** Closes this process's connections and leaves the lab running (so a CLI can exit). */
  detach?(): void;
  /**
   * Calls `listener` once if the lab fails while running (never after `down`/`suspend`); returns a
   * function that removes the listener. A failed lab is of no further use: call `down()`.
   */
  onFailure?(listener: (failure: LabFailure) => void): () => void;
  /**
   * Saves every VM (RAM, devices, disk) under `name` inside the lab, replacing an older checkpoint
   * of that name; `restore(name)` brings the lab back to it in seconds, without restarting QEMU,
   * with each guest's clock set to now. Call both while no command or shell of any client runs in
   * the lab. Labs that cannot do it lack these. See checkpoint.ts.
   */
  checkpoint?(name: string): Promise<void>;
  restore?(name: string): Promise<void>;
}

export interface LabOptions {
  /** Number of VMs, named host1..hostN on one private L2 network. Default 1. */
  hosts?: number;
  memoryMb?: number;
  cpus?: number;
  /**
   * PID whose death ends the lab (the server's). Omit for labs that live until `down`
   * (the CLI's).
   */
  ownerPid?: number;
  /** A name for `dockerlab sandbox list`; the id is still unique. */
  label?: string;
}

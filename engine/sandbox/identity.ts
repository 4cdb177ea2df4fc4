/**
 * What makes each VM its own (guest/identity.sh and guest/restore.pl, sent at run time): a host slot's fixed identity
 * (name, address, MAC), which is only unique within a lab, since labs cannot see each other; and
 * what must differ in every VM even when restored from one snapshot (the clock, the random pool).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { GuestClient } from './client.ts';

export const identityScript = fs.readFileSync(path.join(import.meta.dirname, 'guest/identity.sh'), 'utf8');
const restoreScript = fs.readFileSync(path.join(import.meta.dirname, 'guest/restore.pl'), 'utf8');

export interface Slot {
  /** host1, host2, …: the VM's hostname and name in the lab. */
  name: string;
  /** Its address on the lab's LAN. */
  address: string;
  mac: string;
}

const slotName = /^host([1-9]\d?)$/;

/** The identity of host slot `name` (host1 … host99): 192.168.56.(10+N), MAC 52:54:00:56:00:(10+N). */
export function slot(name: string): Slot {
  const m = slotName.exec(name);
  if (!m) throw new Error(`a host slot is named host1 … host99, not "${name}"`);
  const n = 10 + Number(m[1]);
  return { name, address: `192.168.56.${n}`, mac: `52:54:00:56:00:${n.toString(16).padStart(2, '0')}` };
}

const now = () => String(Math.floor(Date.now() / 1000));
const seed = () => crypto.randomBytes(32).toString('hex');

/** Gives a VM the whole identity of `host` (restarts dockerd for a new engine id: seconds under TCG). */
export async function giveIdentity(
  client: GuestClient,
  host: Slot,
  lanHosts: readonly { name: string; address: string }[],
): Promise<void> {
  const args = [host.name, `${host.address}/24`, host.mac, now(), seed(), ...hostsArgs(lanHosts)];
  const r = await client.exec(['bash', '-s', '--', ...args], { stdin: identityScript, timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`setting the identity of ${host.name} failed: ${r.stderr}`);
}

/**
 * A VM restored from its slot's snapshot keeps the slot's identity: it only gets the clock, fresh
 * randomness and the lab's hosts in /etc/hosts. dockerd is not restarted; whether it answered
 * already is returned (then there is no need to wait for it).
 */
export async function refreshIdentity(
  client: GuestClient,
  host: string,
  lanHosts: readonly { name: string; address: string }[],
): Promise<{ dockerReady: boolean }> {
  const args = [now(), seed(), ...hostsArgs(lanHosts)];
  const r = await client.exec(['perl', '-e', restoreScript, '--', ...args], { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`setting the clock and randomness of ${host} failed: ${r.stderr}`);
  return { dockerReady: r.stdout.includes('docker-ready') };
}

function hostsArgs(hosts: readonly { name: string; address: string }[]): string[] {
  return hosts.map((h) => `${h.name}=${h.address}`);
}

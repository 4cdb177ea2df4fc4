/** Loads a state recorded from a real sandbox by scripts/record-states.ts. */
import { readFileSync } from 'node:fs';
import type { HostState } from '../../../engine/inspect/types.ts';

export function recorded(name: string): HostState {
  const file = new URL(`../../fixtures/states/${name}.json`, import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as { state: HostState }).state;
}

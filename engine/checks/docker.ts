/** Matching Docker objects the way a learner names them: `nginx` is `nginx:latest` is `docker.io/library/nginx:latest`. */
import type { Container, HostState, Image } from '../inspect/types.ts';

export function normalizeRef(ref: string): string {
  let r = ref.trim();
  r = r.replace(/^docker\.io\/library\//, '').replace(/^docker\.io\//, '');
  if (r.includes('@')) return r;
  const lastSlash = r.lastIndexOf('/');
  if (!r.slice(lastSlash + 1).includes(':')) r += ':latest';
  return r;
}

export function findImage(state: HostState, ref: string): Image | undefined {
  const want = normalizeRef(ref);
  const imgs = state.docker.images;
  return (
    imgs.find((i) => i.tags.some((tag) => normalizeRef(tag) === want)) ??
    (/^(sha256:)?[0-9a-f]{4,64}$/.test(ref)
      ? imgs.find((i) => i.id.replace('sha256:', '').startsWith(ref.replace('sha256:', '')))
      : undefined)
  );
}

/** A container "is of" an image if it was started by that name, or from the same image id. */
export function containerOfImage(state: HostState, c: Container, ref: string): boolean {
  if (normalizeRef(c.image) === normalizeRef(ref)) return true;
  const img = findImage(state, ref);
  return !!img && img.id === c.imageId;
}

/** `--link cct1:webtest` is stored as `/cct1:/cct3/webtest`; give it back as `cct1:webtest`. */
export function linkPairs(c: Container): string[] {
  return c.links.map((l) => {
    const [src = '', dst = ''] = l.split(':');
    return `${src.replace(/^\//, '')}:${dst.split('/').pop() ?? ''}`;
  });
}

/** `512m`, `1g`, `1048576` → bytes (Docker's units: k, m, g are powers of 1024). */
export function parseBytes(v: string | number): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)b?$/i.exec(v.trim());
  if (!m) return NaN;
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[
    m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'
  ];
  return Math.round(parseFloat(m[1]!) * mult);
}

/** Twice a size, in the unit it was written in (`64m` → `128m`): the --memory-swap that goes with a --memory. */
export function twice(size: string | number): string | number {
  return typeof size === 'number' ? 2 * size : size.replace(/^\d+(\.\d+)?/, (n) => String(2 * Number(n)));
}

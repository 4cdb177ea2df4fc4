/**
 * Who a learner is, in three separate values: a public id (in JSON, logs, folder names), a random
 * session secret (the cookie, never shown to page JS; only its sha256 is stored, which is enough
 * for 256 random bits), and, in class mode, a PIN the learner chose (short, so stored with scrypt).
 */
import crypto from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(crypto.scrypt) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: crypto.ScryptOptions,
) => Promise<Buffer>;

/** 64 random bits in hex: safe in paths, logs and URLs; unique, not secret. */
export function newPublicId(): string {
  return crypto.randomBytes(8).toString('hex');
}

/** 256 random bits, base64url (43 characters): the cookie value. */
export function newSecret(): string {
  return crypto.randomBytes(32).toString('base64url');
}

export function hashSecret(secret: string): string {
  return crypto.createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** 4 to 8 digits: a PIN a learner remembers for a term. */
export const pinPattern = /^\d{4,8}$/;

const scryptParams = { N: 16384, r: 8, p: 1 };
const keyLength = 32;

/** `scrypt$N$r$p$salt$hash` (base64url), so the cost can be raised later without losing old PINs. */
export async function hashPin(pin: string): Promise<string> {
  const salt = crypto.randomBytes(16);
  const hash = await scrypt(pin, salt, keyLength, scryptParams);
  const { N, r, p } = scryptParams;
  return ['scrypt', N, r, p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

export async function verifyPin(pin: string, stored: string): Promise<boolean> {
  const [kind, N, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const got = await scrypt(pin, Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(N),
    r: Number(r),
    p: Number(p),
  });
  return crypto.timingSafeEqual(got, expected);
}

/** Compares two strings in time independent of where they differ (for the class code). */
export function sameText(a: string, b: string): boolean {
  const h = (s: string) => crypto.createHash('sha256').update(s, 'utf8').digest();
  return crypto.timingSafeEqual(h(a), h(b));
}

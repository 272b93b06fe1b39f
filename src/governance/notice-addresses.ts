import { z } from 'zod';

/**
 * A merchant's notice e-mail addresses (governance.md, Notices: "each merchant has notice addresses
 * in its settings"): at most five, stored as a JSON list.
 */
export const MAX_NOTICE_ADDRESSES = 5;

const address = z.email().max(254);

/**
 * Reads the addresses typed in the settings form (one per line, or separated by commas).
 * Returns the cleaned list, or the first problem as an error naming the address.
 */
export function readNoticeAddresses(
  text: string,
): { ok: true; addresses: string[] } | { ok: false; error: 'invalid' | 'too-many'; address?: string } {
  const parts = text
    .split(/[\s,]+/)
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  const unique = [...new Set(parts.map((part) => part.toLowerCase()))];
  for (const part of unique) {
    if (!address.safeParse(part).success) return { ok: false, error: 'invalid', address: part };
  }
  if (unique.length > MAX_NOTICE_ADDRESSES) return { ok: false, error: 'too-many' };
  return { ok: true, addresses: unique };
}

/** The stored list; anything unreadable counts as no address. */
export function parseNoticeAddresses(json: string): string[] {
  const parsed = z.array(address).safeParse(safeJson(json));
  return parsed.success ? parsed.data : [];
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

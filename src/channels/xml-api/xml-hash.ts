import { encodeText } from '../../kernel/charset';
import { hexDigestsEqual } from '../../kernel/hashing';
import { linkHash } from '../link/link-hash';
import type { XmlDocument } from './xml-document';

/**
 * The XML API `sps_hashcode` (merchant-xml-api.md, Hash for API requests): every leaf element's
 * value in document order (entering nested elements), without the root's `id` attribute and
 * without `sps_hashcode` itself, under the same trim-concatenate-SHA-1 rule as the Link Type —
 * but over the bytes of the request's own encoding.
 */
export function hashedValues(document: XmlDocument): string[] {
  return document.elements
    .filter((e) => !e.hasChildren && !(e.path.length === 1 && e.path[0] === 'sps_hashcode'))
    .map((e) => e.text);
}

export function xmlRequestHash(document: XmlDocument, hashKey: string): string {
  return linkHash(hashedValues(document), hashKey, (text) => {
    const bytes = encodeText(text, document.charset);
    // The values were decoded from this very charset; only a hash key it cannot carry fails here.
    if (!bytes) throw new Error('the hash key cannot be encoded in the request encoding');
    return bytes;
  });
}

/** Hex case does not matter; the comparison takes the same time wherever the digests differ. */
export function xmlHashMatches(document: XmlDocument, hashKey: string, presented: string): boolean {
  return hexDigestsEqual(xmlRequestHash(document, hashKey), presented);
}

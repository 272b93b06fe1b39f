import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { decodeText } from '../../kernel/charset';

/**
 * Reads an XML API request body into its elements in document order (merchant-xml-api.md,
 * Transport). Refuses — never expands — DOCTYPE and entity declarations (no XXE, no entity
 * bombs), refuses anything not well formed, and decodes the body in the encoding its XML
 * declaration names: Shift_JIS (read as Windows-31J) unless it says UTF-8.
 */
export type XmlCharset = 'windows-31j' | 'utf-8';

export interface XmlElement {
  /** Element names from below the root down to this element, e.g. `['pay_option_manage', 'amount']`. */
  path: readonly string[];
  /** Its own character data (text and CDATA, references resolved), untrimmed. */
  text: string;
  hasChildren: boolean;
}

export interface XmlDocument {
  charset: XmlCharset;
  root: string;
  /** The root's `id` attribute — the function id — or `null` when absent. */
  id: string | null;
  /** Every element below the root, in document order (parents before their children). */
  elements: XmlElement[];
}

export type XmlRefusal = 'encoding' | 'doctype' | 'malformed';

export type XmlRead = { ok: true; document: XmlDocument } | { ok: false; refusal: XmlRefusal };

const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;
const DECLARATION =
  /^<\?xml\s+version\s*=\s*(["'])1\.[0-9]+\1(?:\s+encoding\s*=\s*(["'])([A-Za-z][A-Za-z0-9._-]*)\2)?(?:\s+standalone\s*=\s*(["'])(?:yes|no)\4)?\s*\?>/;
/** Names Japanese clients use for the Shift_JIS family; all are read as Windows-31J. */
const SHIFT_JIS_NAMES = new Set([
  'shift_jis',
  'shift-jis',
  'sjis',
  'x-sjis',
  'windows-31j',
  'cp932',
  'ms932',
]);
const WRAPPER = 'kessai-document';
/** Our documents are three levels deep; anything far deeper is not one of them. */
const MAX_DEPTH = 8;

const parser = new XMLParser({
  preserveOrder: true,
  processEntities: false,
  htmlEntities: false,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  trimValues: false,
  parseTagValue: false,
  parseAttributeValue: false,
  commentPropName: '#comment',
  cdataPropName: '#cdata',
  ignoreDeclaration: true,
  ignorePiTags: true,
});

const refuse = (refusal: XmlRefusal): XmlRead => ({ ok: false, refusal });

export function readXmlDocument(bytes: Uint8Array): XmlRead {
  const hasBom = UTF8_BOM.every((b, i) => bytes[i] === b);
  const body = hasBom ? bytes.subarray(UTF8_BOM.length) : bytes;
  const head = Buffer.from(body.subarray(0, 256)).toString('latin1');
  const declaration = DECLARATION.exec(head);
  if (!declaration && /^<\?xml[\s?]/.test(head)) return refuse('malformed');
  const charset = charsetOf(declaration?.[3]);
  // A byte-order mark only makes sense for UTF-8; with a Shift_JIS declaration it is a wrong encoding.
  if (charset === null || (hasBom && charset !== 'utf-8')) return refuse('encoding');
  const decoded = decodeText(body, charset);
  if (decoded === null) return refuse('encoding');
  const text = decoded.slice(declaration?.[0].length ?? 0);

  // Refused on sight, wherever they appear: nothing declared in a DTD is ever read or expanded.
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) return refuse('doctype');
  if (hasForbiddenCharacter(text) || /<\?xml[\s?]/i.test(text)) return refuse('malformed');
  if (XMLValidator.validate(text) !== true) return refuse('malformed');
  let nodes: unknown;
  try {
    // Wrapped, because the parser drops text after a self-closing root instead of reporting it.
    const wrapped = parser.parse(`<${WRAPPER}>${text}</${WRAPPER}>`) as OrderedNode[];
    nodes = wrapped.length === 1 ? wrapped[0]![WRAPPER] : undefined;
  } catch {
    return refuse('malformed');
  }
  const document = toDocument(nodes, charset);
  return document ? { ok: true, document } : refuse('malformed');
}

/** Characters XML 1.0 does not allow at all, which the parser lets through. */
function hasForbiddenCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0xfffe || c === 0xffff) return true;
  }
  return false;
}

function charsetOf(declared: string | undefined): XmlCharset | null {
  if (declared === undefined) return 'windows-31j';
  const name = declared.toLowerCase();
  if (name === 'utf-8') return 'utf-8';
  return SHIFT_JIS_NAMES.has(name) ? 'windows-31j' : null;
}

/** One entry of fast-xml-parser's order-preserving output: `{ name: children, ':@': attributes }`. */
type OrderedNode = Record<string, unknown>;

function nameOf(node: OrderedNode): string | undefined {
  return Object.keys(node).find((key) => key !== ':@');
}

function toDocument(nodes: unknown, charset: XmlCharset): XmlDocument | null {
  if (!Array.isArray(nodes)) return null;
  let rootNode: OrderedNode | undefined;
  for (const node of nodes as OrderedNode[]) {
    const name = nameOf(node);
    if (name === '#comment') continue;
    if (name === '#text') {
      if (/\S/.test(String(node[name]))) return null;
      continue;
    }
    if (name === undefined || name === '#cdata' || rootNode) return null;
    rootNode = node;
  }
  if (!rootNode) return null;
  const root = nameOf(rootNode)!;
  const attributes = (rootNode[':@'] ?? {}) as Record<string, unknown>;
  const rawId = attributes.id;
  const id = typeof rawId === 'string' ? resolveReferences(rawId) : null;
  if (typeof rawId === 'string' && id === null) return null;
  const elements: XmlElement[] = [];
  const rootText = collect(rootNode[root], [], elements);
  if (rootText === null || /\S/.test(rootText)) return null;
  return { charset, root, id, elements };
}

/**
 * Appends the elements among `children` (depth first, document order) and returns the character
 * data directly in them, or `null` when something in them is not acceptable XML.
 */
function collect(children: unknown, path: readonly string[], out: XmlElement[]): string | null {
  if (!Array.isArray(children)) return null;
  if (path.length > MAX_DEPTH) return null;
  let text = '';
  for (const node of children as OrderedNode[]) {
    const name = nameOf(node);
    if (name === undefined) return null;
    if (name === '#comment') continue;
    if (name === '#text') {
      const resolved = resolveReferences(String(node[name]));
      if (resolved === null) return null;
      text += resolved;
    } else if (name === '#cdata') {
      const inner = node[name];
      if (!Array.isArray(inner)) return null;
      for (const part of inner as OrderedNode[]) text += String(part['#text'] ?? '');
    } else {
      const element = { path: [...path, name], text: '', hasChildren: false };
      out.push(element);
      const before = out.length;
      const own = collect(node[name], element.path, out);
      if (own === null) return null;
      element.text = own;
      element.hasChildren = out.length > before;
    }
  }
  return text;
}

const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * Resolves the five predefined entities and character references. Any other `&` — an entity that
 * would need a DTD — makes the document not well formed.
 */
function resolveReferences(text: string): string | null {
  let failed = false;
  const resolved = text.replace(/&(?:(#[0-9]+|#x[0-9A-Fa-f]+|amp|lt|gt|quot|apos);)?/g, (_, ref?: string) => {
    if (ref === undefined) {
      failed = true;
      return '';
    }
    if (!ref.startsWith('#')) return PREDEFINED[ref]!;
    const codePoint = ref[1] === 'x' ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
    if (!isXmlCharacter(codePoint)) {
      failed = true;
      return '';
    }
    return String.fromCodePoint(codePoint);
  });
  return failed ? null : resolved;
}

function isXmlCharacter(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

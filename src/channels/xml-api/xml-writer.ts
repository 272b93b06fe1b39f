import { type Charset, charsetLabel, encodeText } from '../../kernel/charset';

/**
 * Writes the protocol's small XML documents: elements in the given order, an empty value as `<x/>`,
 * a declaration naming the encoding the bytes are in.
 */
export type XmlNode = readonly [name: string, value: string | readonly XmlNode[]];

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};
const escapeXml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

function renderNodes(nodes: readonly XmlNode[], indent: string): string {
  let out = '';
  for (const [name, value] of nodes) {
    if (value.length === 0) out += `${indent}<${name}/>\n`;
    else if (typeof value === 'string') out += `${indent}<${name}>${escapeXml(value)}</${name}>\n`;
    else out += `${indent}<${name}>\n${renderNodes(value, `${indent}  `)}${indent}</${name}>\n`;
  }
  return out;
}

export function renderXml(
  root: string,
  id: string | null,
  nodes: readonly XmlNode[],
  charset: Charset,
  /** A comment for people after the root's start tag (parsers skip it); no `--` inside. */
  comment?: string,
): Buffer {
  const open = id === null ? `<${root}>` : `<${root} id="${escapeXml(id)}">`;
  if (comment?.includes('--')) throw new Error('an XML comment cannot contain "--"');
  const note = comment ? `  <!-- ${comment} -->\n` : '';
  const text = `<?xml version="1.0" encoding="${charsetLabel(charset)}"?>\n${open}\n${note}${renderNodes(nodes, '  ')}</${root}>\n`;
  const bytes = encodeText(text, charset);
  if (!bytes) throw new Error(`an XML document cannot be encoded in ${charsetLabel(charset)}`);
  return bytes;
}

/** The leaf values in document order — what the request hash covers. */
export function leafValues(nodes: readonly XmlNode[]): string[] {
  return nodes.flatMap(([, value]) => (typeof value === 'string' ? [value] : leafValues(value)));
}

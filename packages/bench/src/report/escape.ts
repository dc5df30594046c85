/** Escaping for text and attribute values in the HTML and SVG we write by hand. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// What a catalog template asks for before it can be sent, read from its
// components as Meta describes them (HEADER with a format and maybe text,
// BODY text, BUTTONS), and the `components` a send carries: one parameter
// per placeholder in the header text, the body and each URL button, one
// media link for an IMAGE / VIDEO / DOCUMENT header, the code of a copy-code
// button. The desk checks the same rules and says in words what is missing.

export interface TemplateField {
  key: string;
  label: string;
  kind: 'text' | 'image' | 'video' | 'document' | 'coupon_code';
}

type Component = Record<string, unknown>;
const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

function placeholders(text: unknown): string[] {
  if (typeof text !== 'string') return [];
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}

function components(raw: unknown): Component[] {
  return Array.isArray(raw) ? raw.filter((c): c is Component => typeof c === 'object' && c !== null) : [];
}

function find(raw: unknown, type: string): Component | undefined {
  return components(raw).find((c) => String(c['type']).toUpperCase() === type);
}

function buttons(raw: unknown): Component[] {
  return components(find(raw, 'BUTTONS')?.['buttons']);
}

const MEDIA = { IMAGE: 'image', VIDEO: 'video', DOCUMENT: 'document' } as const;

export function templateFields(raw: unknown): TemplateField[] {
  const fields: TemplateField[] = [];
  const header = find(raw, 'HEADER');
  const format = String(header?.['format'] ?? 'TEXT').toUpperCase();
  if (header && format in MEDIA) {
    const kind = MEDIA[format as keyof typeof MEDIA];
    fields.push({ key: 'header:media', label: `Header ${kind} (link)`, kind });
  } else if (header) {
    for (const p of placeholders(header['text'])) fields.push({ key: `header:${p}`, label: `Header {{${p}}}`, kind: 'text' });
  }
  for (const p of placeholders(find(raw, 'BODY')?.['text'])) fields.push({ key: `body:${p}`, label: `{{${p}}}`, kind: 'text' });
  buttons(raw).forEach((button, index) => {
    const type = String(button['type']).toUpperCase();
    if (type === 'URL') for (const p of placeholders(button['url'])) fields.push({ key: `button:${index}:${p}`, label: `Link of “${String(button['text'] ?? index)}” {{${p}}}`, kind: 'text' });
    if (type === 'COPY_CODE') fields.push({ key: `button:${index}:code`, label: 'Code to copy', kind: 'coupon_code' });
  });
  return fields;
}

function textParameters(names: string[], prefix: string, values: Record<string, string>): Record<string, unknown>[] {
  const named = names.some((n) => !/^\d+$/.test(n));
  return names.map((n) => ({ type: 'text', text: values[`${prefix}${n}`] ?? '', ...(named ? { parameter_name: n } : {}) }));
}

/** The send's `components`, or null when the template takes no parameters. */
export function templateComponents(raw: unknown, values: Record<string, string>): Component[] | null {
  const out: Component[] = [];
  const header = find(raw, 'HEADER');
  const format = String(header?.['format'] ?? 'TEXT').toUpperCase();
  if (header && format in MEDIA) {
    const kind = MEDIA[format as keyof typeof MEDIA];
    out.push({ type: 'header', parameters: [{ type: kind, [kind]: { link: values['header:media'] ?? '' } }] });
  } else if (header && placeholders(header['text']).length) {
    out.push({ type: 'header', parameters: textParameters(placeholders(header['text']), 'header:', values) });
  }
  const body = placeholders(find(raw, 'BODY')?.['text']);
  if (body.length) out.push({ type: 'body', parameters: textParameters(body, 'body:', values) });
  buttons(raw).forEach((button, index) => {
    const type = String(button['type']).toUpperCase();
    const url = placeholders(button['url']);
    if (type === 'URL' && url.length) out.push({ type: 'button', sub_type: 'url', index: String(index), parameters: textParameters(url, `button:${index}:`, values) });
    if (type === 'COPY_CODE') out.push({ type: 'button', sub_type: 'copy_code', index: String(index), parameters: [{ type: 'coupon_code', coupon_code: values[`button:${index}:code`] ?? '' }] });
  });
  return out.length ? out : null;
}

/** The body as the customer will read it, with what is typed so far. */
export function templatePreview(raw: unknown, values: Record<string, string>): string {
  const fill = (text: unknown, prefix: string) => (typeof text === 'string' ? text.replace(PLACEHOLDER, (whole, n: string) => values[`${prefix}${n}`] || whole) : '');
  const header = find(raw, 'HEADER');
  return [header && !(String(header['format'] ?? 'TEXT').toUpperCase() in MEDIA) ? fill(header['text'], 'header:') : '', fill(find(raw, 'BODY')?.['text'], 'body:'), fill(find(raw, 'FOOTER')?.['text'], '')]
    .filter(Boolean)
    .join('\n\n');
}

// WhatsApp message templates as the catalog describes them, and the rules a
// send must follow: one parameter per placeholder in each component (header
// text, body, URL buttons), a media header given as one media parameter of
// its format. Checked before anything is queued; the same parameters render
// the text the desk shows for the sent message. Pure: no I/O.

export const TEMPLATE_STATUSES = ['APPROVED', 'PENDING', 'REJECTED', 'PAUSED', 'DISABLED', 'IN_APPEAL', 'PENDING_DELETION'] as const;
export type TemplateStatus = (typeof TEMPLATE_STATUSES)[number];

export interface TemplateDoc {
  /** `${name}:${language}`: one record per template translation, as Meta keys them. */
  _id: string;
  name: string;
  language: string;
  status: string;
  category: string | null;
  /** Meta's id of this translation. */
  metaId: string | null;
  /** As the catalog gives them: HEADER (format, text), BODY (text), FOOTER (text), BUTTONS (buttons). */
  components: Record<string, unknown>[];
  /** Why the last status change happened (the status webhook's `reason`). */
  reason: string | null;
  syncedAt: Date;
  updatedAt: Date;
}

export const templateKey = (name: string, language: string) => `${name}:${language}`;

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

/** The distinct placeholders of a text, in order of first appearance. */
export function placeholdersOf(text: unknown): string[] {
  if (typeof text !== 'string') return [];
  const seen: string[] = [];
  for (const match of text.matchAll(PLACEHOLDER)) if (!seen.includes(match[1]!)) seen.push(match[1]!);
  return seen;
}

const asRecord = (value: unknown): Record<string, unknown> | null =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;

function componentOf(template: Pick<TemplateDoc, 'components'>, type: string): Record<string, unknown> | null {
  return template.components.find((c) => String(c['type']).toUpperCase() === type) ?? null;
}

export class TemplateParameterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateParameterError';
  }
}

interface SendComponent {
  type: 'header' | 'body' | 'button';
  subType: string | null;
  index: number | null;
  parameters: Record<string, unknown>[];
}

function readSendComponents(components: unknown): SendComponent[] {
  if (components == null) return [];
  if (!Array.isArray(components)) throw new TemplateParameterError('components must be a list of {type, parameters} objects');
  return components.map((raw, i) => {
    const component = asRecord(raw);
    const type = typeof component?.['type'] === 'string' ? component['type'].toLowerCase() : '';
    if (!component || (type !== 'header' && type !== 'body' && type !== 'button')) {
      throw new TemplateParameterError(`components[${i}]: type must be "header", "body" or "button"`);
    }
    const parameters = component['parameters'] ?? [];
    if (!Array.isArray(parameters) || parameters.some((p) => asRecord(p) === null || typeof asRecord(p)!['type'] !== 'string')) {
      throw new TemplateParameterError(`components[${i}]: parameters must be a list of {type, ...} objects`);
    }
    let index: number | null = null;
    if (type === 'button') {
      index = Number(component['index']);
      if (!Number.isInteger(index) || index < 0) throw new TemplateParameterError(`components[${i}]: a button component needs its "index" (0, 1, ...)`);
    }
    return {
      type,
      subType: typeof component['sub_type'] === 'string' ? component['sub_type'].toLowerCase() : null,
      index,
      parameters: parameters as Record<string, unknown>[],
    } satisfies SendComponent;
  });
}

const MEDIA_HEADER_FORMATS = new Set(['IMAGE', 'VIDEO', 'DOCUMENT', 'LOCATION']);
const TEXT_PARAMETER_TYPES = new Set(['text', 'currency', 'date_time']);

function countMismatch(where: string, expected: string[], given: number): TemplateParameterError {
  const list = expected.length ? ` (${expected.map((p) => `{{${p}}}`).join(', ')})` : '';
  return new TemplateParameterError(
    `${where} has ${expected.length} placeholder${expected.length === 1 ? '' : 's'}${list} but ${given} parameter${given === 1 ? ' was' : 's were'} given`,
  );
}

function checkTextParameters(where: string, placeholders: string[], parameters: Record<string, unknown>[]): void {
  if (parameters.length !== placeholders.length) throw countMismatch(where, placeholders, parameters.length);
  parameters.forEach((parameter, i) => {
    if (!TEXT_PARAMETER_TYPES.has(String(parameter['type']))) {
      throw new TemplateParameterError(`${where}: parameter ${i + 1} must be of type text, currency or date_time (got "${String(parameter['type'])}")`);
    }
    if (parameter['type'] === 'text' && (typeof parameter['text'] !== 'string' || parameter['text'] === '')) {
      throw new TemplateParameterError(`${where}: parameter ${i + 1} needs a non-empty "text"`);
    }
  });
  const named = placeholders.some((p) => !/^\d+$/.test(p));
  if (named) {
    const names = parameters.map((p) => p['parameter_name']);
    const missing = placeholders.filter((p) => !names.includes(p));
    if (missing.length) throw new TemplateParameterError(`${where}: no parameter named ${missing.map((m) => `"${m}"`).join(', ')}`);
  }
}

/**
 * Throws TemplateParameterError saying what is wrong when the send's
 * components do not match the template's placeholders, component by component.
 */
export function checkTemplateParameters(template: Pick<TemplateDoc, 'name' | 'language' | 'components'>, components: unknown): void {
  const given = readSendComponents(components);
  const of = (type: SendComponent['type']) => given.filter((c) => c.type === type);
  for (const type of ['header', 'body'] as const) {
    if (of(type).length > 1) throw new TemplateParameterError(`components: the ${type} is given ${of(type).length} times`);
  }

  const header = componentOf(template, 'HEADER');
  const sentHeader = of('header')[0] ?? null;
  const format = String(header?.['format'] ?? 'TEXT').toUpperCase();
  if (!header) {
    if (sentHeader?.parameters.length) throw new TemplateParameterError('the template has no header, but header parameters were given');
  } else if (MEDIA_HEADER_FORMATS.has(format)) {
    const parameters = sentHeader?.parameters ?? [];
    const kind = format.toLowerCase();
    if (parameters.length !== 1 || parameters[0]!['type'] !== kind) {
      throw new TemplateParameterError(`the header is a ${format} header: give exactly one "${kind}" parameter (got ${parameters.length})`);
    }
    const value = asRecord(parameters[0]![kind]);
    if (!value) throw new TemplateParameterError(`the header's "${kind}" parameter needs a "${kind}" object`);
    if (kind !== 'location' && typeof value['id'] !== 'string' && typeof value['link'] !== 'string') {
      throw new TemplateParameterError(`the header's ${kind} needs an "id" (uploaded media) or a "link"`);
    }
  } else {
    checkTextParameters('the header', placeholdersOf(header['text']), sentHeader?.parameters ?? []);
  }

  const body = componentOf(template, 'BODY');
  checkTextParameters('the body', placeholdersOf(body?.['text']), of('body')[0]?.parameters ?? []);

  const buttons = (componentOf(template, 'BUTTONS')?.['buttons'] as Record<string, unknown>[] | undefined) ?? [];
  const sentButtons = of('button');
  for (const sent of sentButtons) {
    if (sent.index! >= buttons.length) {
      throw new TemplateParameterError(`components: button index ${sent.index} does not exist (the template has ${buttons.length} button${buttons.length === 1 ? '' : 's'})`);
    }
    if (sentButtons.filter((b) => b.index === sent.index).length > 1) throw new TemplateParameterError(`components: button ${sent.index} is given twice`);
  }
  buttons.forEach((button, index) => {
    const type = String(button['type'] ?? '').toUpperCase();
    const sent = sentButtons.find((b) => b.index === index);
    const where = `button ${index} (${type.toLowerCase()})`;
    if (type === 'URL') {
      const placeholders = placeholdersOf(button['url']);
      checkTextParameters(where, placeholders, sent?.parameters ?? []);
    } else if (type === 'COPY_CODE') {
      if (sent?.parameters.length !== 1 || sent.parameters[0]!['type'] !== 'coupon_code') throw new TemplateParameterError(`${where} needs exactly one "coupon_code" parameter`);
    } else if (type === 'QUICK_REPLY') {
      if (sent && (sent.parameters.length > 1 || sent.parameters.some((p) => p['type'] !== 'payload'))) {
        throw new TemplateParameterError(`${where} takes at most one "payload" parameter`);
      }
    } else if (sent?.parameters.length) {
      throw new TemplateParameterError(`${where} takes no parameters`);
    }
  });
}

function parameterText(parameter: Record<string, unknown>): string {
  if (typeof parameter['text'] === 'string') return parameter['text'];
  for (const key of ['currency', 'date_time']) {
    const value = asRecord(parameter[key]);
    if (value && typeof value['fallback_value'] === 'string') return value['fallback_value'];
  }
  return '';
}

function fill(text: string, parameters: Record<string, unknown>[]): string {
  const placeholders = placeholdersOf(text);
  return text.replace(PLACEHOLDER, (whole, name: string) => {
    const byName = parameters.find((p) => p['parameter_name'] === name);
    const byPosition = /^\d+$/.test(name) ? parameters[Number(name) - 1] : parameters[placeholders.indexOf(name)];
    const parameter = byName ?? byPosition;
    return parameter ? parameterText(parameter) : whole;
  });
}

/** The text the customer sees: header (when text), body and footer, parameters filled in. */
export function renderTemplate(template: Pick<TemplateDoc, 'components'>, components: unknown): string {
  let given: SendComponent[] = [];
  try {
    given = readSendComponents(components);
  } catch {
    // Rendering is for display: unreadable parameters leave the placeholders visible.
  }
  const parametersOf = (type: SendComponent['type']) => given.find((c) => c.type === type)?.parameters ?? [];
  const parts: string[] = [];
  const header = componentOf(template, 'HEADER');
  if (header && String(header['format'] ?? 'TEXT').toUpperCase() === 'TEXT' && typeof header['text'] === 'string') parts.push(fill(header['text'], parametersOf('header')));
  const body = componentOf(template, 'BODY');
  if (typeof body?.['text'] === 'string') parts.push(fill(body['text'], parametersOf('body')));
  const footer = componentOf(template, 'FOOTER');
  if (typeof footer?.['text'] === 'string') parts.push(footer['text']);
  return parts.join('\n');
}

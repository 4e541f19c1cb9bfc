// Once the 24-hour window has closed only an approved template reaches the
// customer: the composer gives way to this picker. It lists the desk's
// approved templates (the `templates` catalog), asks for each placeholder's
// value and shows the text as the customer will read it. A desk without a
// catalog (no WHATSAPP_BUSINESS_ACCOUNT_ID) sends by name and language.
import { useMemo, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import type { MessageViewFragment } from '../gql/graphql';
import { ErrorMessage } from '../shell/ErrorMessage';
import { templateComponents, templateFields, templatePreview } from './templateParameters';

const ApprovedTemplates = graphql(`
  query ApprovedTemplates {
    templates(status: APPROVED) {
      id
      name
      language
      category
      components
    }
  }
`);

const SendTemplate = graphql(`
  mutation SendTemplate($conversationId: ID!, $name: String!, $language: String!, $components: JSON) {
    sendTemplate(conversationId: $conversationId, name: $name, language: $language, components: $components) {
      ...MessageView
    }
  }
`);

export function TemplatePicker({ conversationId, onSent, onWriteNote }: { conversationId: string; onSent(message: MessageViewFragment): void; onWriteNote(): void }) {
  const [{ data, error: catalogError }] = useQuery({ query: ApprovedTemplates, requestPolicy: 'cache-and-network' });
  const catalog = data?.templates ?? [];
  const [templateId, setTemplateId] = useState('');
  const [values, setValues] = useState<Record<string, string>>({});
  // Without a catalog: a name and a language, sent unchecked.
  const [name, setName] = useState('');
  const [language, setLanguage] = useState('en_US');
  const [{ fetching, error }, send] = useMutation(SendTemplate);

  const chosen = catalog.find((t) => t.id === templateId) ?? null;
  const fields = useMemo(() => (chosen ? templateFields(chosen.components) : []), [chosen]);
  const preview = chosen ? templatePreview(chosen.components, values) : '';
  const ready = chosen ? fields.every((f) => values[f.key]?.trim()) : !!name.trim() && !!language.trim();

  async function submit() {
    const variables = chosen
      ? { conversationId, name: chosen.name, language: chosen.language, components: templateComponents(chosen.components, values) }
      : { conversationId, name: name.trim(), language: language.trim() };
    const result = await send(variables);
    if (result.data) {
      setValues({});
      setName('');
      onSent(result.data.sendTemplate);
    }
  }

  return (
    <form
      className="template-picker"
      aria-label="Template picker"
      onSubmit={(e) => {
        e.preventDefault();
        if (ready && !fetching) void submit();
      }}
    >
      <p className="window-closed">The 24-hour window has closed: only an approved template reaches the customer now.</p>
      <ErrorMessage error={catalogError} />
      {data && catalog.length > 0 && (
        <div className="fields">
          <label className="grow">
            Template
            <select
              value={templateId}
              onChange={(e) => {
                setTemplateId(e.target.value);
                setValues({});
              }}
              required
            >
              <option value="">Choose an approved template…</option>
              {catalog.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name} · {t.language}
                  {t.category ? ` (${t.category.toLowerCase()})` : ''}
                </option>
              ))}
            </select>
          </label>
          {fields.map((field) => (
            <label key={field.key}>
              {field.label}
              <input
                type={field.kind === 'text' || field.kind === 'coupon_code' ? 'text' : 'url'}
                value={values[field.key] ?? ''}
                onChange={(e) => setValues((v) => ({ ...v, [field.key]: e.target.value }))}
                required
              />
            </label>
          ))}
        </div>
      )}
      {data && catalog.length === 0 && (
        <>
          <p className="muted">This desk has no template catalog (WHATSAPP_BUSINESS_ACCOUNT_ID is not set): give the template's name as Meta knows it.</p>
          <div className="fields">
            <label>
              Template
              <input value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. follow_up" required />
            </label>
            <label>
              Language
              <input value={language} onChange={(e) => setLanguage(e.target.value)} required />
            </label>
          </div>
        </>
      )}
      {preview && (
        <blockquote className="template-preview" aria-label="Preview">
          {preview}
        </blockquote>
      )}
      <ErrorMessage error={error} />
      <div className="buttons">
        <button type="submit" disabled={fetching || !ready}>
          Send template
        </button>
        <button type="button" className="secondary" onClick={onWriteNote}>
          Write a note
        </button>
      </div>
    </form>
  );
}

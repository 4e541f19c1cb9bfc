import { TEMPLATE_STATUSES, type TemplateDoc } from '../../domain/templates.js';
import { searchTerm } from '../../domain/text.js';
import { builder } from '../builder.js';

const TemplateStatusEnum = builder.enumType('TemplateStatus', { values: TEMPLATE_STATUSES });

const Template = builder.objectRef<TemplateDoc>('Template').implement({
  description: 'A WhatsApp message template from the catalog (synced from Meta; only APPROVED ones can be sent).',
  fields: (t) => ({
    id: t.exposeID('_id', { description: '"name:language".' }),
    name: t.exposeString('name'),
    language: t.exposeString('language'),
    status: t.exposeString('status', { description: 'APPROVED, PENDING, REJECTED, PAUSED, DISABLED, IN_APPEAL or PENDING_DELETION (a newer Meta status passes through as it is).' }),
    category: t.exposeString('category', { nullable: true }),
    components: t.field({ type: 'JSON', description: "As Meta describes them: HEADER (format, text), BODY (text with {{1}} placeholders), FOOTER, BUTTONS.", resolve: (tpl) => tpl.components }),
    reason: t.exposeString('reason', { nullable: true, description: 'Why the last status change happened (e.g. INCORRECT_CATEGORY).' }),
    syncedAt: t.field({ type: 'DateTime', resolve: (tpl) => tpl.syncedAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (tpl) => tpl.updatedAt }),
  }),
});

const TemplateSync = builder.objectRef<{ templates: number; removed: number }>('TemplateSync').implement({
  fields: (t) => ({
    templates: t.exposeInt('templates', { description: 'Templates Meta listed (every page).' }),
    removed: t.exposeInt('removed', { description: 'Templates dropped from the catalog because Meta no longer lists them.' }),
  }),
});

builder.queryFields((t) => ({
  templates: t.field({
    type: [Template],
    description: 'The template catalog, by name then language. `search` matches part of the name, ignoring case.',
    authScopes: { authenticated: true },
    args: { status: t.arg({ type: TemplateStatusEnum }), search: t.arg.string() },
    resolve: (_root, args, ctx) => ctx.services.repos.templates.list({ status: args.status ?? null, search: searchTerm(args.search) }),
  }),
}));

builder.mutationFields((t) => ({
  syncTemplates: t.field({
    type: TemplateSync,
    description: 'Syncs the catalog from Meta now (WHATSAPP_BUSINESS_ACCOUNT_ID). Admins only.',
    authScopes: { admin: true },
    resolve: (_root, _args, ctx) => ctx.services.workflow.syncTemplates(),
  }),
}));

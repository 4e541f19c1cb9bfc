import type { CannedResponseDoc } from '../../domain/model.js';
import { builder } from '../builder.js';

export const CannedResponse = builder.objectRef<CannedResponseDoc>('CannedResponse').implement({
  description: 'A reply agents insert by its shortcut.',
  fields: (t) => ({
    id: t.exposeID('_id'),
    shortcut: t.exposeString('shortcut', { description: 'Lower case letters, digits, "-" and "_", without the leading "/". Unique.' }),
    text: t.exposeString('text'),
    createdAt: t.field({ type: 'DateTime', resolve: (c) => c.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (c) => c.updatedAt }),
  }),
});

const CannedResponseInput = builder.inputType('CannedResponseInput', {
  fields: (t) => ({
    shortcut: t.string({ required: true }),
    text: t.string({ required: true }),
  }),
});

const UpdateCannedResponseInput = builder.inputType('UpdateCannedResponseInput', {
  description: 'Only the fields given change.',
  fields: (t) => ({
    shortcut: t.string(),
    text: t.string(),
  }),
});

builder.queryFields((t) => ({
  cannedResponses: t.withAuth({ authenticated: true }).field({
    type: [CannedResponse],
    description: 'By shortcut, at most 500. `search` matches shortcut or text, ignoring case.',
    args: { search: t.arg.string() },
    resolve: (_root, args, ctx) => ctx.services.workflow.cannedResponses(args.search ?? null),
  }),
}));

builder.mutationFields((t) => ({
  createCannedResponse: t.withAuth({ admin: true }).field({
    type: CannedResponse,
    description: 'Admins. A shortcut already in use answers CONFLICT.',
    args: { input: t.arg({ type: CannedResponseInput, required: true }) },
    resolve: (_root, args, ctx) => ctx.services.workflow.createCannedResponse(ctx.viewer, args.input),
  }),
  updateCannedResponse: t.withAuth({ admin: true }).field({
    type: CannedResponse,
    description: 'Admins. A shortcut already in use answers CONFLICT.',
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateCannedResponseInput, required: true }) },
    resolve: (_root, args, ctx) => ctx.services.workflow.updateCannedResponse(String(args.id), args.input),
  }),
  deleteCannedResponse: t.withAuth({ admin: true }).boolean({
    description: 'Admins. NOT_FOUND when there is no such canned response.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.workflow.deleteCannedResponse(String(args.id)),
  }),
}));

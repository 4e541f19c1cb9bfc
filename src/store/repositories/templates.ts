import { templateKey, type TemplateDoc } from '../../domain/templates.js';
import type { CatalogTemplate } from '../../whatsapp/cloudApi.js';
import { COLLECTIONS } from '../collections.js';
import type { Filter, Store } from '../port.js';

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function templateRepository(store: Store) {
  const templates = store.collection<TemplateDoc>(COLLECTIONS.templates);

  return {
    find: (name: string, language: string) => templates.findOne({ _id: templateKey(name, language) }),

    list(query: { status?: string | null; search?: string | null } = {}) {
      const filter: Filter = {};
      if (query.status) filter['status'] = query.status;
      if (query.search) filter['name'] = { $regex: escapeRegex(query.search.trim()), $options: 'i' };
      return templates.find(filter, { sort: { name: 1, language: 1 } });
    },

    /**
     * Makes the catalog exactly what Meta listed: each template upserted, and
     * any record not in the list (deleted at Meta) removed. Returns how many were removed.
     */
    async replaceCatalog(listed: CatalogTemplate[], at: Date): Promise<{ upserted: number; removed: number }> {
      for (const t of listed) {
        await templates.updateOne(
          { _id: templateKey(t.name, t.language) },
          {
            $set: { name: t.name, language: t.language, status: t.status, category: t.category, metaId: t.id, components: t.components, syncedAt: at, updatedAt: at },
            $setOnInsert: { _id: templateKey(t.name, t.language), reason: null },
          },
          { upsert: true },
        );
      }
      const removed = await templates.deleteMany({ _id: { $nin: listed.map((t) => templateKey(t.name, t.language)) } });
      return { upserted: listed.length, removed };
    },

    /** A status change from the webhook; null when the template is not in the catalog yet. */
    setStatus: (name: string, language: string, status: string, reason: string | null, at: Date) =>
      templates.findOneAndUpdate({ _id: templateKey(name, language) }, { $set: { status, reason, updatedAt: at } }, { returnDocument: 'after' }),
  };
}

export type TemplateRepository = ReturnType<typeof templateRepository>;

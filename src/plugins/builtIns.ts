import type { DeskPlugin } from './contract.js';
import hubspot from '../../plugins/hubspot/index.js';
import webhook from '../../plugins/webhook/index.js';
import zendesk from '../../plugins/zendesk/index.js';

/** The plugins PLUGINS can name without a path. */
export const builtInPlugins: Record<string, DeskPlugin> = {
  zendesk,
  hubspot,
  webhook,
};

import { builder } from '../builder.js';
import './agent.js';
import './cannedResponse.js';
import './conversation.js';
import './message.js';
import './metrics.js';
import './media.js';
import './operations.js';
import './templates.js';

export const schema = builder.toSchema({ sortSchema: true });

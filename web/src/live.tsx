// The live feed: one subscription per kind of event for the whole console,
// fanned out in the page to whichever screens listen. `epoch` grows on every
// reconnect: screens refetch when it changes, because whatever happened
// while the socket was down was not delivered.
import { createContext, useContext, useEffect, useRef, type ReactNode } from 'react';
import { useClient } from 'urql';
import { graphql } from './gql';
import type { AgentFieldsFragment, ConversationRowFieldsFragment, MessageViewFragment, QueueFeedSubscription } from './gql/graphql';

const ConversationFeed = graphql(`
  subscription ConversationFeed {
    conversationUpdated {
      ...ConversationRowFields
    }
  }
`);

const MessageFeed = graphql(`
  subscription MessageFeed {
    messageAdded {
      ...MessageView
    }
  }
`);

const MessageStatusFeed = graphql(`
  subscription MessageStatusFeed {
    messageUpdated {
      ...MessageView
    }
  }
`);

const AgentFeed = graphql(`
  subscription AgentFeed {
    agentUpdated {
      ...AgentFields
    }
  }
`);

const QueueFeed = graphql(`
  subscription QueueFeed {
    queueUpdated {
      length
      oldestQueuedAt
      agentsOnline
    }
  }
`);

export interface LiveEvents {
  conversation: ConversationRowFieldsFragment;
  message: MessageViewFragment;
  messageStatus: MessageViewFragment;
  agent: AgentFieldsFragment;
  queue: QueueFeedSubscription['queueUpdated'];
}

type Listener<K extends keyof LiveEvents> = (event: LiveEvents[K]) => void;

class LiveFeed {
  private listeners: { [K in keyof LiveEvents]: Set<Listener<K>> } = {
    conversation: new Set(),
    message: new Set(),
    messageStatus: new Set(),
    agent: new Set(),
    queue: new Set(),
  };

  on<K extends keyof LiveEvents>(kind: K, listener: Listener<K>): () => void {
    const set = this.listeners[kind] as Set<Listener<K>>;
    set.add(listener);
    return () => set.delete(listener);
  }

  emit<K extends keyof LiveEvents>(kind: K, event: LiveEvents[K]): void {
    for (const listener of this.listeners[kind] as Set<Listener<K>>) listener(event);
  }
}

interface LiveContextValue {
  feed: LiveFeed;
  epoch: number;
}

const LiveContext = createContext<LiveContextValue | null>(null);

export function LiveProvider({ epoch, children }: { epoch: number; children: ReactNode }) {
  const client = useClient();
  const feed = useRef(new LiveFeed()).current;

  useEffect(() => {
    const subscriptions = [
      client.subscription(ConversationFeed, {}).subscribe((r) => r.data && feed.emit('conversation', r.data.conversationUpdated)),
      client.subscription(MessageFeed, {}).subscribe((r) => r.data && feed.emit('message', r.data.messageAdded)),
      client.subscription(MessageStatusFeed, {}).subscribe((r) => r.data && feed.emit('messageStatus', r.data.messageUpdated)),
      client.subscription(AgentFeed, {}).subscribe((r) => r.data && feed.emit('agent', r.data.agentUpdated)),
      client.subscription(QueueFeed, {}).subscribe((r) => r.data && feed.emit('queue', r.data.queueUpdated)),
    ];
    return () => subscriptions.forEach((s) => s.unsubscribe());
  }, [client, feed]);

  return <LiveContext.Provider value={{ feed, epoch }}>{children}</LiveContext.Provider>;
}

function useLive(): LiveContextValue {
  const value = useContext(LiveContext);
  if (!value) throw new Error('useLive outside LiveProvider');
  return value;
}

/** Calls `listener` for each live event of `kind`; the latest listener is used without resubscribing. */
export function useLiveEvent<K extends keyof LiveEvents>(kind: K, listener: Listener<K>): void {
  const { feed } = useLive();
  const latest = useRef(listener);
  latest.current = listener;
  useEffect(() => feed.on(kind, (event) => latest.current(event)), [feed, kind]);
}

/** Grows by one on every reconnect of the socket. */
export function useLiveEpoch(): number {
  return useLive().epoch;
}

/** Asks the desk again, past the cache, after every reconnect: what happened while the socket was down was not pushed. */
export function useRefetchOnReconnect(refetch: (options: { requestPolicy: 'network-only' }) => void): void {
  const epoch = useLiveEpoch();
  useEffect(() => {
    if (epoch > 0) refetch({ requestPolicy: 'network-only' });
  }, [epoch, refetch]);
}

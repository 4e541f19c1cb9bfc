// "/" in the composer: canned responses filtered by what follows the slash.
import { useMemo } from 'react';
import { useQuery } from 'urql';
import { graphql } from '../gql';

const ComposerCannedResponses = graphql(`
  query ComposerCannedResponses {
    cannedResponses {
      id
      shortcut
      text
    }
  }
`);

export interface CannedChoice {
  id: string;
  shortcut: string;
  text: string;
}

/** The canned responses matching a draft that is "/" plus a partial shortcut; null when the draft is not one. */
export function useCannedMatches(draft: string): CannedChoice[] | null {
  const typing = /^\/([\w-]*)$/.exec(draft);
  const [{ data }] = useQuery({ query: ComposerCannedResponses, pause: !typing });
  const query = typing?.[1]?.toLowerCase() ?? '';
  return useMemo(() => {
    if (!typing) return null;
    return (data?.cannedResponses ?? []).filter((c) => c.shortcut.toLowerCase().startsWith(query) || c.text.toLowerCase().includes(query)).slice(0, 8);
  }, [typing !== null, data, query]);
}

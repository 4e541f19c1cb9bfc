import { createContext, useContext } from 'react';
import type { AgentSummaryFragment } from '../gql/graphql';

export const ViewerContext = createContext<AgentSummaryFragment | null>(null);

export function useViewer(): AgentSummaryFragment {
  const viewer = useContext(ViewerContext);
  if (!viewer) throw new Error('useViewer outside the signed-in console');
  return viewer;
}

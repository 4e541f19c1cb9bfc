import { createContext, useContext } from 'react';
import type { AgentFieldsFragment } from '../gql/graphql';

export const ViewerContext = createContext<AgentFieldsFragment | null>(null);

export function useViewer(): AgentFieldsFragment {
  const viewer = useContext(ViewerContext);
  if (!viewer) throw new Error('useViewer outside the signed-in console');
  return viewer;
}

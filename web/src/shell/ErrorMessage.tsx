import type { CombinedError } from 'urql';
import { describeError } from '../api/errors';

/** An API error in words, announced to screen readers. */
export function ErrorMessage({ error }: { error: CombinedError | string | null | undefined }) {
  if (!error) return null;
  return (
    <p className="error" role="alert">
      {typeof error === 'string' ? error : describeError(error)}
    </p>
  );
}

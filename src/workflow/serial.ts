/**
 * Runs tasks with the same key one after another inside this process. Meta
 * delivers a customer's burst of messages (and its own duplicates) at once;
 * taking them in order keeps "opened" before the first "message.received".
 * Across instances, unique indexes keep the data right regardless.
 */
export function keyedSerializer() {
  const tails = new Map<string, Promise<unknown>>();
  return async function serial<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = tails.get(key) ?? Promise.resolve();
    const run = previous.then(task, task);
    const tail = run.catch(() => undefined);
    tails.set(key, tail);
    try {
      return await run;
    } finally {
      if (tails.get(key) === tail) tails.delete(key);
    }
  };
}

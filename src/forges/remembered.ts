/**
 * `load`, asked once and its answer kept for the life of the process; a failure is not kept,
 * so the next call asks again. For facts that do not change while prbox runs (who prbox is).
 */
export function rememberSuccess<T>(load: () => Promise<T>): () => Promise<T> {
  let answer: Promise<T> | undefined;
  return () => {
    answer ??= load().catch((error: unknown) => {
      answer = undefined;
      throw error;
    });
    return answer;
  };
}

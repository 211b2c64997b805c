// Loads something now and again every `intervalMs` while the component is shown: the next load
// starts only once the last one has ended, and the answer of a load still running when the
// component goes away (or its inputs change) is dropped.
import { useEffect, useState } from 'preact/hooks';

export interface Polled<T> {
  data: T | undefined;
  error: unknown;
  /** Loads again now. */
  reload: () => void;
}

export function usePoll<T>(
  load: () => Promise<T>,
  intervalMs: number | null,
  inputs: readonly unknown[],
): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [round, setRound] = useState(0);
  useEffect(() => {
    let current = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = () => {
      load()
        .then(
          (value) => {
            if (!current) return;
            setData(value);
            setError(undefined);
          },
          (failure: unknown) => {
            if (current) setError(failure);
          },
        )
        .finally(() => {
          if (current && intervalMs !== null) timer = setTimeout(run, intervalMs);
        });
    };
    run();
    return () => {
      current = false;
      clearTimeout(timer);
    };
    // `load` is a new function at every render; `inputs` say when it means something new.
  }, [...inputs, intervalMs, round]);
  return { data, error, reload: () => setRound((n) => n + 1) };
}

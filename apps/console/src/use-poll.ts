// Loads something now and again every `intervalMs` while the component is shown: the next load
// starts only once the last one has ended, and a load still running when the component goes
// away (or its inputs change) is aborted.
import { useEffect, useState } from 'preact/hooks';

export interface Polled<T> {
  data: T | undefined;
  error: unknown;
  /** Loads again now. */
  reload: () => void;
}

export function usePoll<T>(
  load: (signal: AbortSignal) => Promise<T>,
  intervalMs: number | null,
  inputs: readonly unknown[],
): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [round, setRound] = useState(0);
  useEffect(() => {
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = () => {
      load(abort.signal)
        .then(
          (value) => {
            if (abort.signal.aborted) return;
            setData(value);
            setError(undefined);
          },
          (failure: unknown) => {
            if (!abort.signal.aborted) setError(failure);
          },
        )
        .finally(() => {
          if (!abort.signal.aborted && intervalMs !== null) timer = setTimeout(run, intervalMs);
        });
    };
    run();
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
    // `load` is a new function at every render; `inputs` say when it means something new.
  }, [...inputs, intervalMs, round]);
  return { data, error, reload: () => setRound((n) => n + 1) };
}

/**
 * Runs async tasks with bounded concurrency and yields their results in
 * submission order. Each video decode is an ffmpeg child process, so running
 * `concurrency` of them at once is the worker pool: the OS spreads the
 * processes over the cores while this process only copies bytes.
 */
import { availableParallelism } from 'node:os';

/** Default parallelism: one decode per core (os.availableParallelism()). */
export function defaultConcurrency(): number {
  return Math.max(1, availableParallelism());
}

/**
 * Maps `items` through `task` with at most `concurrency` in flight, yielding
 * results in input order. Stops starting new tasks when the consumer stops.
 */
export async function* orderedMap<T, R>(
  items: readonly T[],
  task: (item: T, index: number) => Promise<R>,
  concurrency: number,
): AsyncIterable<R> {
  const limit = Math.max(1, Math.floor(concurrency));
  const inFlight: Promise<R>[] = [];
  let next = 0;
  const launch = (): void => {
    while (inFlight.length < limit && next < items.length) {
      const i = next++;
      const p = task(items[i]!, i);
      // Avoid unhandled-rejection noise for tasks the consumer never awaits.
      p.catch(() => undefined);
      inFlight.push(p);
    }
  };
  launch();
  while (inFlight.length) {
    const result = await inFlight.shift()!;
    launch();
    yield result;
  }
}

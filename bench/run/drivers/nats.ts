// NATS JetStream, driven through the `nats` client: acknowledged async publishes (a batch is
// `batch` publishes in flight, then all their acks awaited), catch-up reads with one pull
// consumer per subject (like Tributary's one fetch loop per partition), and produce-to-delivery
// latency at a fixed rate through an ordered consumer. The stream itself is created and
// removed by the parent (peers/nats.ts).
import { assert } from '@tributary/common';
import { AckPolicy, connect, DeliverPolicy, type NatsConnection, nanos } from 'nats';
import { caughtUp, type Driver, type DriverRun, type JobOf, produceRun } from './driver';
import { latencyRun } from './latency';

/** A published message not acknowledged within this is an error, not a hang. */
const PUBLISH_TIMEOUT_MS = 10_000;
/** A pull that brings nothing for this long ends the read (what is missing counts as errors). */
const FETCH_EXPIRES_MS = 5_000;

async function open(url: string, connections: number): Promise<NatsConnection[]> {
  return Promise.all(
    Array.from({ length: connections }, () =>
      connect({ servers: url, name: 'tributary-bench', maxReconnectAttempts: 0 }),
    ),
  );
}

async function closeAll(connections: NatsConnection[]): Promise<void> {
  await Promise.all(connections.map((nc) => nc.close()));
}

/** One connection per loop, as Tributary's load generator has one HTTP connection per loop. */
export async function natsProduce(job: JobOf<'nats-produce'>): Promise<Driver> {
  assert(job.subjects.length > 0, 'no subjects to publish to');
  const connections = await open(job.url, job.concurrency);
  const clients = connections.map((nc) => nc.jetstream({ timeout: PUBLISH_TIMEOUT_MS }));
  const payload = Buffer.alloc(job.messageBytes, 'x');
  return {
    run: (durationMs) =>
      produceRun(job, job.subjects.length, durationMs, async (loop, target) => {
        const js = clients[loop]!;
        const subject = job.subjects[target]!;
        const acks = await Promise.allSettled(
          Array.from({ length: job.batch }, () => js.publish(subject, payload)),
        );
        const ok = acks.filter((a) => a.status === 'fulfilled').length;
        return { records: ok, errors: job.batch - ok };
      }),
    close: () => closeAll(connections),
  };
}

export async function natsCatchUp(job: JobOf<'nats-catch-up'>): Promise<Driver> {
  const [nc] = await open(job.url, 1);
  const jsm = await nc!.jetstreamManager();
  const js = nc!.jetstream();
  let runNo = 0;
  return {
    async run(): Promise<DriverRun> {
      // Consumers are made before the clock starts: Tributary's reads need no such setup.
      const run = runNo++;
      const consumers = await Promise.all(
        job.subjects.map(async (subject) => {
          // Named by subject: the workers of a split read share the stream.
          const name = `catch-up-${run}-${subject.replace(/[^\w-]/g, '_')}`;
          const info = await jsm.consumers.add(job.stream, {
            name,
            filter_subject: subject,
            ack_policy: AckPolicy.None,
            deliver_policy: DeliverPolicy.All,
            inactive_threshold: nanos(60_000),
          });
          return { consumer: await js.consumers.get(job.stream, name), pending: info.num_pending };
        }),
      );
      const startedMs = performance.now();
      const counts = await Promise.all(
        consumers.map(async ({ consumer, pending }) => {
          let received = 0;
          while (received < pending) {
            const batch = await consumer.fetch({
              max_messages: Math.min(job.fetchRecords, pending - received),
              expires: FETCH_EXPIRES_MS,
            });
            let got = 0;
            for await (const _ of batch) got++;
            if (got === 0) break;
            received += got;
          }
          return received;
        }),
      );
      const seconds = (performance.now() - startedMs) / 1000;
      await Promise.all(consumers.map(({ consumer }) => consumer.delete()));
      return caughtUp(
        counts.reduce((sum, n) => sum + n, 0),
        seconds,
        job,
      );
    },
    close: () => closeAll([nc!]),
  };
}

/** Each run publishes to its own subject, read by a fresh ordered consumer filtered on it. */
export async function natsLatency(job: JobOf<'nats-latency'>): Promise<Driver> {
  const [publisher, subscriber] = await open(job.url, 2);
  const js = publisher!.jetstream({ timeout: PUBLISH_TIMEOUT_MS });
  const jsSub = subscriber!.jetstream();
  let runNo = 0;
  return {
    run(durationMs): Promise<DriverRun> {
      const subject = `${job.subjectPrefix}.${runNo++}`;
      return latencyRun(job, durationMs, {
        async receive(onRecord) {
          const consumer = await jsSub.consumers.get(job.stream, { filterSubjects: subject });
          const messages = await consumer.consume({ max_messages: 1_000 });
          const loop = (async () => {
            for await (const m of messages) onRecord(m.data);
          })();
          return async () => {
            messages.stop();
            await loop;
          };
        },
        send: (payload) => js.publish(subject, payload),
      });
    },
    close: () => closeAll([publisher!, subscriber!]),
  };
}

import type PgBoss from 'pg-boss';
import { enqueue, QUEUES, type JobData, type QueueName } from './queue.ts';

/** What a step handler learns about its job: which attempt this is, of how many. */
export interface Attempt {
  retryCount: number;
  retryLimit: number;
}

/**
 * This process's side of the durable queues: enqueue a step (one live job per instance and
 * queue) and wake this process's idle workers for it; other replicas poll.
 *
 * @example
 * const jobs = new JobQueue(boss, 0.5);
 * await jobs.work('provision', 8, (id, attempt) => provisionStep(r, id, attempt));
 * await jobs.enqueue('provision', instanceId); // true: a new job
 */
export class JobQueue {
  private readonly workerIds: Record<QueueName, string[]> = { provision: [], teardown: [], connectTimeout: [], hibernate: [], lifetime: [], snapshotBuild: [], smokeSweep: [] };

  constructor(
    private readonly boss: PgBoss,
    private readonly pollSeconds: number,
  ) {}

  /** Enqueue a step; true when a new job was created (false: one is already live). */
  async enqueue(queue: QueueName, instanceId: string, opts: { startAfter?: number | Date } = {}): Promise<boolean> {
    const id = await enqueue(this.boss, queue, instanceId, opts);
    if (opts.startAfter === undefined) for (const w of this.workerIds[queue]) this.boss.notifyWorker(w);
    return id !== null;
  }

  /** Register `count` workers for `queue`, each handling one job at a time. */
  async work(queue: QueueName, count: number, handle: (instanceId: string, attempt: Attempt) => Promise<void>): Promise<void> {
    const opts = { includeMetadata: true as const, pollingIntervalSeconds: Math.max(0.5, this.pollSeconds), batchSize: 1 };
    for (let i = 0; i < count; i++) {
      this.workerIds[queue].push(
        await this.boss.work<JobData>(QUEUES[queue].name, opts, async (jobs: PgBoss.JobWithMetadata<JobData>[]) => {
          for (const job of jobs) await handle(job.data.instanceId, { retryCount: job.retryCount, retryLimit: job.retryLimit });
        }),
      );
    }
  }
}

// Alerts on the dashboard (docs/adr/0020-alerts.md): a job's webhook deliveries on its page,
// and the deliveries that failed for good on the overview. Read from the public /v1 routes;
// re-read every few seconds while shown, since a retry happens after its backoff and no
// event announces it.
import { call, client } from './api.ts';
import type { components } from '../../../cli/generated/sluice-api.ts';
import { ErrorNote, Link } from './components.tsx';
import { ago, localTime } from './format.ts';
import { usePolled } from './hooks.ts';

type Attempt = components['schemas']['NotificationDelivery'];

/** One delivery as a person reads it: its latest attempt and how it stands. */
type Delivery = { id: string; target: string; event: string; attempts: number; last: Attempt; outcome: 'sent' | 'failed' | 'retrying' };

const REFRESH_MS = 5_000;

/** The job states' colours, for outcomes that mean the same (the word is always shown too). */
const OUTCOME_CLASS: Record<Delivery['outcome'], string> = { sent: 'state-succeeded', failed: 'state-failed', retrying: 'state-launching' };

function deliveriesOf(attempts: Attempt[]): Delivery[] {
  const byId = new Map<string, Attempt[]>();
  for (const attempt of attempts) byId.set(attempt.delivery, [...(byId.get(attempt.delivery) ?? []), attempt]);
  return [...byId.entries()].map(([id, list]) => {
    const last = list.at(-1)!;
    return { id, target: last.target, event: last.event, attempts: list.length, last, outcome: last.ok ? 'sent' : last.final ? 'failed' : 'retrying' };
  });
}

/** What the target answered, in words. */
const answer = (attempt: Attempt): string => (attempt.ok ? `answered ${attempt.status ?? 'OK'}` : (attempt.error ?? 'failed'));

/** The job page's "Alerts" section: each delivery with its target, event, attempts and outcome. */
export function JobAlerts(props: { jobId: string }) {
  const { data, error } = usePolled(() => call(client.api.GET('/v1/jobs/{id}/notifications', { params: { path: { id: props.jobId } } })), props.jobId, REFRESH_MS);
  const deliveries = data ? deliveriesOf(data.items) : undefined;
  return (
    <section aria-labelledby="alerts-title">
      <h2 id="alerts-title">Alerts</h2>
      <ErrorNote message={error} />
      {deliveries === undefined ? (
        !error && <p role="status">Loading…</p>
      ) : deliveries.length === 0 ? (
        <p class="muted">No alerts sent for this job.</p>
      ) : (
        <table data-testid="job-alerts">
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">Target</th>
              <th scope="col">Outcome</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last answer</th>
              <th scope="col">Last attempt</th>
            </tr>
          </thead>
          <tbody>
            {deliveries.map((delivery) => (
              <tr key={delivery.id}>
                <td>{delivery.event}</td>
                <td>{delivery.target}</td>
                <td>
                  <span class={`badge ${OUTCOME_CLASS[delivery.outcome]}`}>{delivery.outcome === 'retrying' ? 'failed, retrying' : delivery.outcome}</span>
                </td>
                <td>{delivery.attempts}</td>
                <td>{answer(delivery.last)}</td>
                <td title={localTime(delivery.last.at)}>{ago(delivery.last.at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The overview's count of deliveries that failed for good, with the most recent ones. */
export function FailedDeliveries() {
  const { data, error } = usePolled(() => call(client.api.GET('/v1/notifications', { params: { query: { failed: true, limit: 10 } } })), 'failed', 15_000);
  return (
    <section aria-labelledby="alerts-failed">
      <h2 id="alerts-failed">Alerts</h2>
      <ErrorNote message={error} />
      <dl class="facts">
        <dt>Deliveries failed for good (every retry spent)</dt>
        <dd data-testid="alerts-failed">{data ? `${data.total}${data.total >= 1_000 ? '+' : ''}` : '…'}</dd>
      </dl>
      {data && data.items.length > 0 && (
        <table data-testid="alerts-failed-list">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Event</th>
              <th scope="col">Target</th>
              <th scope="col">Job</th>
              <th scope="col">Last answer</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((attempt) => (
              <tr key={attempt.delivery}>
                <td title={localTime(attempt.at)}>{ago(attempt.at)}</td>
                <td>{attempt.event}</td>
                <td>{attempt.target}</td>
                <td>{attempt.jobId ? <Link href={`/jobs/${encodeURIComponent(attempt.jobId)}`}>{attempt.jobId}</Link> : (attempt.pipeline ?? '–')}</td>
                <td>{answer(attempt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

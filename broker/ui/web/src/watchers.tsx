// The overview's "Watchers" section: every landing source the pipelines watch, when a watcher
// last listed it, and whether that is late or failing — the first thing to look at when
// landings stop arriving. Read from GET /v1/watchers every 30 s (listings are minutes apart).
import { call, client } from './api.ts';
import { ErrorNote } from './components.tsx';
import { ago, duration, localTime } from './format.ts';
import { usePolled } from './hooks.ts';

const REFRESH_MS = 30_000;

export function WatcherHealth() {
  const { data, error } = usePolled(() => call(client.api.GET('/v1/watchers')), 'watchers', REFRESH_MS);
  return (
    <section aria-labelledby="watchers-now">
      <h2 id="watchers-now">Watchers</h2>
      <ErrorNote message={error} />
      {data && data.items.length === 0 && <p>No pipeline watches a folder or an S3 prefix: jobs come from the API and schedules.</p>}
      {data && data.items.length > 0 && (
        <table data-testid="watchers">
          <caption class="visually-hidden">Landing sources and their last listing</caption>
          <thead>
            <tr>
              <th scope="col">Source</th>
              <th scope="col">Pipelines</th>
              <th scope="col">Last listing</th>
              <th scope="col">Files</th>
              <th scope="col">Health</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((watcher) => (
              <tr key={watcher.source} data-source={watcher.source}>
                <td>
                  <code>{watcher.location}</code>
                </td>
                <td>{watcher.pipelines.join(', ')}</td>
                <td title={localTime(watcher.lastListingAt)}>{watcher.lastListingAt ? ago(watcher.lastListingAt) : 'never'}</td>
                <td>{watcher.files ?? '–'}</td>
                <td>
                  {watcher.error ? (
                    <span class="badge state-failed" title={`since ${localTime(watcher.errorAt)}`}>
                      failing: {watcher.error}
                    </span>
                  ) : watcher.late ? (
                    <span class="badge state-failed">late: no listing for over {duration(2 * watcher.expectedEveryMs)}</span>
                  ) : (
                    <span class="badge state-succeeded">listing</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

// The shell: signed out → the sign-in page; signed in → the header and the page of the path.
import { useEffect, useState } from 'preact/hooks';
import { currentSession, messageOf, signOut, whenSignedOut, type Me } from './api.ts';
import { ErrorNote, Link } from './components.tsx';
import { JobPage } from './pages/job.tsx';
import { JobsPage } from './pages/jobs.tsx';
import { LandingsPage } from './pages/landings.tsx';
import { OverviewPage } from './pages/overview.tsx';
import { PipelinePage, PipelinesPage } from './pages/pipelines.tsx';
import { SignInPage } from './pages/sign-in.tsx';
import { useRoute } from './router.ts';

type SessionState = { kind: 'checking' } | { kind: 'signed-out'; notice?: string } | { kind: 'signed-in'; me: Me } | { kind: 'error'; message: string };

export function App() {
  const [session, setSession] = useState<SessionState>({ kind: 'checking' });
  const [signOutError, setSignOutError] = useState<string | undefined>(undefined);
  const route = useRoute();

  useEffect(() => {
    whenSignedOut(() => {
      setSignOutError(undefined);
      setSession({ kind: 'signed-out', notice: 'Your session has ended. Sign in again to go on.' });
    });
    currentSession().then(
      (me) => setSession(me ? { kind: 'signed-in', me } : { kind: 'signed-out' }),
      (error: unknown) => setSession({ kind: 'error', message: messageOf(error) }),
    );
  }, []);

  useEffect(() => {
    const titles = { overview: 'Overview', jobs: 'Jobs', job: 'Job', landings: 'Landings', pipelines: 'Pipelines', pipeline: 'Pipeline', 'not-found': 'Not found' } as const;
    document.title = session.kind === 'signed-in' ? `${titles[route.page]} · Sluice` : 'Sign in · Sluice';
  }, [route, session.kind]);

  if (session.kind === 'checking') return <main class="page"><p role="status">Loading…</p></main>;
  if (session.kind === 'error') return <main class="page"><h1>Sluice</h1><ErrorNote message={session.message} /></main>;
  if (session.kind === 'signed-out') return <SignInPage notice={session.notice} onSignedIn={(me) => setSession({ kind: 'signed-in', me })} />;

  const me = session.me;
  const doSignOut = async () => {
    setSignOutError(undefined);
    try {
      await signOut();
    } catch (error) {
      // The session still works: saying "Signed out." would leave it open on a shared screen.
      setSignOutError(messageOf(error));
      return;
    }
    setSession({ kind: 'signed-out', notice: 'Signed out.' });
  };
  return (
    <>
      <header class="top">
        <span class="brand">Sluice</span>
        <nav aria-label="Main">
          <ul>
            <li><Link href="/">Overview</Link></li>
            <li><Link href="/jobs">Jobs</Link></li>
            <li><Link href="/landings">Landings</Link></li>
            <li><Link href="/pipelines">Pipelines</Link></li>
          </ul>
        </nav>
        <span class="who">
          Signed in as <strong>{me.name}</strong> ({me.scopes.join(', ')})
        </span>
        {!me.proxy && (
          <button type="button" class="quiet" onClick={doSignOut}>
            Sign out
          </button>
        )}
      </header>
      <main class="page" id="main">
        <ErrorNote message={signOutError} />
        {route.page === 'overview' && <OverviewPage me={me} />}
        {route.page === 'jobs' && <JobsPage me={me} query={route.query} />}
        {route.page === 'job' && <JobPage me={me} id={route.id} />}
        {route.page === 'landings' && <LandingsPage me={me} query={route.query} />}
        {route.page === 'pipelines' && <PipelinesPage />}
        {route.page === 'pipeline' && <PipelinePage me={me} name={route.name} />}
        {route.page === 'not-found' && (
          <>
            <h1>Not found</h1>
            <p>
              There is no such page. Go to the <Link href="/">overview</Link>.
            </p>
          </>
        )}
      </main>
    </>
  );
}

// Small pieces every page uses.
import type { ComponentChildren } from 'preact';
import type { JobState } from './api.ts';
import type { FeedStatus } from './live-feed.ts';
import { BASE, onLinkClick } from './router.ts';

export function Link(props: { href: string; children: ComponentChildren; class?: string }) {
  const href = props.href.startsWith('/') ? BASE + props.href : props.href;
  return (
    <a href={href} class={props.class} onClick={onLinkClick}>
      {props.children}
    </a>
  );
}

/** A state in words and colour (colour is never the only cue: the word is always there). */
export function StateBadge(props: { state: JobState | string }) {
  return <span class={`badge state-${props.state}`}>{props.state}</span>;
}

export function ErrorNote(props: { message: string | undefined }) {
  if (!props.message) return null;
  return (
    <p class="error" role="alert">
      {props.message}
    </p>
  );
}

/** Says whether the page is live; read out by screen readers when it changes. */
export function FeedBanner(props: { status: FeedStatus }) {
  const text =
    props.status === 'live'
      ? 'Live: changes appear as they happen.'
      : props.status === 'connecting'
        ? 'Connecting to the live feed…'
        : 'Lost the live feed. Reconnecting… what you see may be out of date.';
  return (
    <p class={`feed feed-${props.status}`} role="status" aria-live="polite" data-feed={props.status}>
      {text}
    </p>
  );
}

/** A filter of a list page: a labelled select whose empty choice, "any", means no filter. */
export function FilterSelect(props: { label: string; value: string; options: readonly string[]; onChange: (value: string) => void }) {
  return (
    <label>
      {props.label}{' '}
      <select value={props.value} onChange={(event) => props.onChange((event.currentTarget as HTMLSelectElement).value)}>
        <option value="">any</option>
        {props.options.map((option) => (
          <option key={option} value={option}>
            {option}
          </option>
        ))}
      </select>
    </label>
  );
}

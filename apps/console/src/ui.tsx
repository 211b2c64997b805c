// Small pieces every view uses: an error note, a loading line, a polite status line.
import type { ComponentChildren } from 'preact';
import { TributaryError } from '@tributary/client';

export function describeError(error: unknown): string {
  if (error instanceof TributaryError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

export function ErrorNote({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  return (
    <p class="error" role="alert">
      {describeError(error)}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return <p class="muted">Loading {what}…</p>;
}

/** Announced to screen readers without moving focus (results of an action). */
export function Status({ children }: { children?: ComponentChildren }) {
  return (
    <p class="status" role="status">
      {children}
    </p>
  );
}

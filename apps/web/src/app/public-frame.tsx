import type { ReactNode } from 'react';

/** A full-page frame for the screens before login (setup, login, loading, server unreachable). */
export function PublicFrame({ children }: { children: ReactNode }) {
  return (
    <div className="public">
      <header className="public-brand">
        <span className="brand-mark" aria-hidden="true">
          e
        </span>
        engops
      </header>
      <main id="main" className="public-card">
        {children}
      </main>
    </div>
  );
}

export function Loading() {
  return (
    <PublicFrame>
      <p role="status">Loading…</p>
    </PublicFrame>
  );
}

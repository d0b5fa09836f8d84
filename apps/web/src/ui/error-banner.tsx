import { problemOf } from '../app/api-client.ts';

/**
 * Shows a problem+json error: its title, detail, every per-field error and the request id (to find
 * the server log line). Renders nothing without an error.
 */
export function ErrorBanner({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  if (!error) return null;
  const problem = problemOf(error);
  return (
    <div className="error-banner" role="alert">
      <p className="error-banner-title">{problem.title}</p>
      {problem.detail && problem.detail !== problem.title ? <p>{problem.detail}</p> : null}
      {problem.errors && problem.errors.length > 0 ? (
        <ul className="error-banner-fields">
          {problem.errors.map((e) => (
            <li key={`${e.path}:${e.message}`}>
              <code>{e.path.replace(/^(body|query|params)\./, '')}</code>: {e.message}
            </li>
          ))}
        </ul>
      ) : null}
      {problem.request_id || onRetry ? (
        <p className="error-banner-meta">
          {problem.request_id ? (
            <>
              Request id <code>{problem.request_id}</code>
            </>
          ) : null}
          {onRetry ? (
            <button type="button" className="button button-secondary button-small" onClick={onRetry}>
              Try again
            </button>
          ) : null}
        </p>
      ) : null}
    </div>
  );
}

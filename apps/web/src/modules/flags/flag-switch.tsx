import { useState } from 'react';
import { api, problemOf } from '../../app/api-client.ts';
import { ConfirmDialog } from '../../ui/dialog.tsx';
import type { Flag } from './flag-types.ts';

/** Environments where a one-click change asks first. */
export function needsConfirmation(environment: string): boolean {
  return environment === 'production';
}

/**
 * The kill switch: one click turns a flag on or off in one environment (POST …/on or …/off),
 * with a confirmation in production. The server answers with the whole flag.
 */
export function FlagSwitch({
  flagKey,
  environment,
  environmentName,
  enabled,
  disabled = false,
  requiresApproval = false,
  onChanged,
}: {
  flagKey: string;
  environment: string;
  environmentName: string;
  enabled: boolean;
  disabled?: boolean;
  /** The environment holds changes for a second person: turning on asks for approval (off never waits). */
  requiresApproval?: boolean;
  onChanged(flag: Flag): void;
}) {
  const [requested, setRequested] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const target = enabled ? 'off' : 'on';

  async function apply() {
    if (requiresApproval && target === 'on') {
      await api.post('/api/v1/change-requests', {
        kind: 'environment',
        flag_key: flagKey,
        environment,
        change: { enabled: true },
      });
      setRequested(true);
      return;
    }
    const flag = await api.post<Flag>(
      `/api/v1/flags/${encodeURIComponent(flagKey)}/environments/${encodeURIComponent(environment)}/${target}`,
    );
    onChanged(flag);
  }

  async function click() {
    setError(null);
    if (needsConfirmation(environment)) {
      setConfirming(true);
      return;
    }
    setPending(true);
    try {
      await apply();
    } catch (failure) {
      setError(failure);
    } finally {
      setPending(false);
    }
  }

  return (
    <>
      <button
        type="button"
        role="switch"
        className="flag-switch"
        aria-checked={enabled}
        aria-label={`${flagKey} in ${environmentName}`}
        disabled={disabled || pending}
        onClick={click}
      >
        {enabled ? 'On' : 'Off'}
      </button>
      {requested ? <span role="status">Approval requested</span> : null}
      {error ? (
        <span className="field-error" role="alert">
          {problemOf(error).detail}
        </span>
      ) : null}
      {confirming ? (
        <ConfirmDialog
          title={`Turn ${flagKey} ${target} in ${environmentName}?`}
          message={
            target === 'off'
              ? `Every SDK reading ${environmentName} sees ${flagKey} as off within seconds.`
              : requiresApproval
                ? `${environmentName} requires approval: this asks a second person to turn ${flagKey} on.`
                : `${flagKey} is served to ${environmentName} with its strategies as they are now.`
          }
          confirmLabel={target === 'off' ? 'Turn off' : requiresApproval ? 'Request approval' : 'Turn on'}
          onConfirm={async () => {
            await apply();
            setConfirming(false);
          }}
          onClose={() => setConfirming(false)}
        />
      ) : null}
    </>
  );
}

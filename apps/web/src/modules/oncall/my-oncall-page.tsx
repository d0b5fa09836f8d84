import type { ContactMethod, NotificationRule } from '@engops/contracts';
import { useState } from 'react';
import { api } from '../../app/api-client.ts';
import { useAuth } from '../../app/auth-context.tsx';
import { text } from '../../app/format.ts';
import { useResource } from '../../app/use-resource.ts';
import { Button } from '../../ui/button.tsx';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { Field, SelectField } from '../../ui/field.tsx';
import { Form } from '../../ui/form.tsx';
import { PageHeader, StatusMessage } from '../../ui/page-header.tsx';
import { type Column, Table } from '../../ui/table.tsx';
import { formatDelay } from './escalation-policies-page.tsx';
import { OncallNav } from './oncall-bits.tsx';
import { toLocalInput } from './oncall-format.ts';
import { OncallStyles } from './oncall-styles.tsx';

interface UserShift {
  user_id: string;
  layer: string;
  start: string;
  end: string;
  schedule_id: string;
  schedule_name: string;
  team_id: string;
}

interface Mine {
  shifts: UserShift[];
  ical_url: string | null;
  methods: ContactMethod[];
  rules: { items: NotificationRule[]; default_rules: boolean };
}

const DAY = 86_400_000;

/**
 * /oncall/me: my shifts for the next 30 days and my calendar feed; how engops reaches me (contact
 * methods, verified by the code sent to them) and when (notification rules).
 */
export function MyOncallPage() {
  const auth = useAuth();
  const me = auth.session?.user ?? null;
  const zone = me?.time_zone ?? 'UTC';
  const [now] = useState(() => Date.now());
  const [message, setMessage] = useState('');
  const mine = useResource<Mine | null>(`oncall-me:${me?.id ?? ''}`, async () => {
    if (!me) return null;
    const base = `/api/v1/users/${encodeURIComponent(me.id)}`;
    const [shifts, methods, rules] = await Promise.all([
      api.get<{ shifts: UserShift[]; ical_url: string | null }>(`${base}/shifts`, {
        from: new Date(now).toISOString(),
        to: new Date(now + 30 * DAY).toISOString(),
      }),
      api.get<{ items: ContactMethod[] }>(`${base}/contact-methods`),
      api.get<{ items: NotificationRule[]; default_rules: boolean }>(`${base}/notification-rules`),
    ]);
    return { shifts: shifts.shifts, ical_url: shifts.ical_url, methods: methods.items, rules };
  });
  if (!me)
    return (
      <>
        <PageHeader title="My on-call" description="Sign in as a person to see your shifts." />
        <OncallNav />
      </>
    );
  const base = `/api/v1/users/${encodeURIComponent(me.id)}`;
  const when = (iso: string) => toLocalInput(Date.parse(iso), zone).replace('T', ' ');
  const data = mine.data;
  const methodName = (id: string) => {
    const m = data?.methods.find((x) => x.id === id);
    return m ? `${m.type}: ${m.label ?? m.address}` : id;
  };
  const act = async (fn: () => Promise<unknown>, done: string) => {
    try {
      await fn();
      setMessage(done);
      mine.reload();
    } catch (error) {
      setMessage(error instanceof Error ? error.message : String(error));
    }
  };

  const shiftColumns: Column<UserShift>[] = [
    { key: 'schedule', header: 'Schedule', cell: (s) => `${s.schedule_name} (${s.layer})` },
    { key: 'start', header: `Starts (${zone})`, cell: (s) => when(s.start) },
    { key: 'end', header: `Ends (${zone})`, cell: (s) => when(s.end) },
  ];
  const methodColumns: Column<ContactMethod>[] = [
    { key: 'type', header: 'Type', cell: (m) => m.type },
    { key: 'address', header: 'Address', cell: (m) => (m.label ? `${m.label} · ${m.address}` : m.address) },
    {
      key: 'verified',
      header: 'Verified',
      cell: (m) =>
        m.verified ? (
          'yes'
        ) : (
          <Form
            label={`Verify ${m.address}`}
            submitLabel="Verify"
            className="inline-form"
            onSubmit={async (form) => {
              await api.post(`${base}/contact-methods/${encodeURIComponent(m.id)}/verify`, {
                code: text(form, 'code'),
              });
              setMessage(`${m.address} verified`);
              mine.reload();
            }}
          >
            <Field
              label={`Code sent to ${m.address}`}
              name="code"
              inputMode="numeric"
              maxLength={6}
              required
            />
          </Form>
        ),
    },
    {
      key: 'actions',
      header: 'Actions',
      cell: (m) => (
        <div className="button-row">
          {!m.verified ? (
            <Button
              small
              variant="quiet"
              onClick={() =>
                act(
                  () => api.post(`${base}/contact-methods/${encodeURIComponent(m.id)}/send-code`, {}),
                  `A new code was sent to ${m.address}`,
                )
              }
            >
              Send a new code
            </Button>
          ) : null}
          <Button
            small
            variant="quiet"
            onClick={() =>
              act(
                () => api.delete(`${base}/contact-methods/${encodeURIComponent(m.id)}`),
                `${m.address} removed`,
              )
            }
          >
            Remove
          </Button>
        </div>
      ),
    },
  ];
  const ruleColumns: Column<NotificationRule>[] = [
    {
      key: 'when',
      header: 'When',
      cell: (r) => (r.delay_seconds === 0 ? 'at once' : `after ${formatDelay(r.delay_seconds)}`),
    },
    { key: 'method', header: 'Contact method', cell: (r) => methodName(r.contact_method_id) },
    {
      key: 'actions',
      header: 'Actions',
      cell: (r) => (
        <Button
          small
          variant="quiet"
          onClick={() =>
            act(() => api.delete(`${base}/notification-rules/${encodeURIComponent(r.id)}`), 'Rule removed')
          }
        >
          Remove
        </Button>
      ),
    },
  ];

  return (
    <>
      <OncallStyles />
      <PageHeader
        title="My on-call"
        description="Your shifts, your calendar feed, and how engops reaches you when you are paged."
      />
      <OncallNav />
      {message ? <StatusMessage>{message}</StatusMessage> : null}
      <ErrorBanner error={mine.error} onRetry={mine.reload} />
      <section className="section" aria-labelledby="my-shifts">
        <h2 id="my-shifts">My shifts, next 30 days</h2>
        <Table
          caption="My shifts"
          columns={shiftColumns}
          rows={data?.shifts ?? []}
          rowKey={(s) => `${s.schedule_id}:${s.layer}:${s.start}`}
          loading={mine.loading}
          empty="You are not on call in the next 30 days."
        />
        {data?.ical_url ? (
          <div className="ical-url">
            <label htmlFor="my-ical">Subscribe to your shifts (Google Calendar, Outlook)</label>
            <input id="my-ical" readOnly value={data.ical_url} onFocus={(e) => e.currentTarget.select()} />
            <Button
              small
              variant="quiet"
              onClick={() =>
                act(
                  () => api.post(`${base}/ical-url/rotate`, {}),
                  'Calendar URL replaced; the old one stopped working',
                )
              }
            >
              Replace the URL
            </Button>
          </div>
        ) : null}
      </section>
      <section className="section" aria-labelledby="my-methods">
        <h2 id="my-methods">Contact methods</h2>
        <p className="muted">
          Only verified methods receive pages. With no method at all, pages go to your account email.
        </p>
        <Table
          caption="My contact methods"
          columns={methodColumns}
          rows={data?.methods ?? []}
          rowKey={(m) => m.id}
          loading={mine.loading}
          empty="No contact methods: pages go to your account email."
        />
        <Form
          label="Add a contact method"
          submitLabel="Add and send a code"
          onSubmit={async (form, el) => {
            const label = text(form, 'label');
            const created = await api.post<ContactMethod>(`${base}/contact-methods`, {
              type: text(form, 'type'),
              address: text(form, 'address'),
              ...(label ? { label } : {}),
            });
            el.reset();
            setMessage(`A verification code was sent to ${created.address}`);
            mine.reload();
          }}
        >
          <div className="form-row">
            <SelectField
              label="Type"
              name="type"
              options={[
                { value: 'email', label: 'Email' },
                { value: 'webhook', label: 'Webhook (JSON POST)' },
                { value: 'slack', label: 'Slack incoming webhook' },
              ]}
            />
            <Field
              label="Address"
              name="address"
              required
              maxLength={2048}
              hint="An email address or an https URL."
            />
            <Field label="Label" name="label" optional maxLength={100} />
          </div>
        </Form>
      </section>
      <section className="section" aria-labelledby="my-rules">
        <h2 id="my-rules">Notification rules</h2>
        <p className="muted">
          {data?.rules.default_rules
            ? 'No rules yet: every verified method is notified at once.'
            : 'When you are paged, each rule notifies its method after its delay, until someone acknowledges.'}
        </p>
        <Table
          caption="My notification rules"
          columns={ruleColumns}
          rows={data?.rules.items ?? []}
          rowKey={(r) => r.id}
          loading={mine.loading}
          empty="No rules."
        />
        <Form
          label="Add a notification rule"
          submitLabel="Add rule"
          onSubmit={async (form) => {
            await api.post(`${base}/notification-rules`, {
              contact_method_id: text(form, 'contact_method_id'),
              delay_seconds: Math.round(Number(text(form, 'delay') || '0') * 60),
            });
            setMessage('Rule added');
            mine.reload();
          }}
        >
          <div className="form-row">
            <SelectField
              label="Contact method"
              name="contact_method_id"
              options={(data?.methods ?? []).map((m) => ({
                value: m.id,
                label: `${m.type}: ${m.label ?? m.address}${m.verified ? '' : ' (not verified)'}`,
              }))}
            />
            <Field
              label="After (minutes)"
              name="delay"
              type="number"
              min={0}
              max={1440}
              defaultValue={0}
              required
            />
          </div>
        </Form>
      </section>
    </>
  );
}

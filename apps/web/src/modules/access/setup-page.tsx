import { Navigate } from 'react-router';
import { useAuth } from '../../app/auth-context.tsx';
import { text } from '../../app/format.ts';
import { Loading, PublicFrame } from '../../app/public-frame.tsx';
import { Field } from '../../ui/field.tsx';
import { Form } from '../../ui/form.tsx';
import { PageHeader } from '../../ui/page-header.tsx';
import { TimeZoneField } from '../../ui/time-zone-field.tsx';

/** First visit: create the first administrator (the server accepts this once). */
export function SetupPage() {
  const auth = useAuth();
  if (auth.state.status === 'loading') return <Loading />;
  if (auth.state.status === 'authenticated') return <Navigate to="/teams" replace />;
  if (auth.state.status !== 'setup') return <Navigate to="/login" replace />;

  return (
    <PublicFrame>
      <PageHeader
        title="Set up engops"
        description="Create the first administrator account. You can invite everyone else afterwards."
      />
      <Form
        label="Set up engops"
        submitLabel="Create administrator"
        pendingLabel="Creating…"
        onSubmit={async (values) => {
          await auth.setup({
            email: text(values, 'email'),
            name: text(values, 'name'),
            password: String(values.get('password') ?? ''),
            time_zone: text(values, 'time_zone'),
          });
        }}
      >
        <Field label="Email" name="email" type="email" autoComplete="username" required />
        <Field label="Name" name="name" autoComplete="name" required />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          minLength={10}
          required
          hint="At least 10 characters."
        />
        <TimeZoneField />
      </Form>
    </PublicFrame>
  );
}

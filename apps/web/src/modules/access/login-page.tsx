import { Navigate, useLocation } from 'react-router';
import { useAuth } from '../../app/auth-context.tsx';
import { text } from '../../app/format.ts';
import { Loading, PublicFrame } from '../../app/public-frame.tsx';
import { Field } from '../../ui/field.tsx';
import { Form } from '../../ui/form.tsx';
import { PageHeader } from '../../ui/page-header.tsx';

function returnPath(state: unknown): string {
  const from = (state as { from?: unknown } | null)?.from;
  return typeof from === 'string' && from.startsWith('/') && !from.startsWith('//') ? from : '/teams';
}

export function LoginPage() {
  const auth = useAuth();
  const location = useLocation();
  if (auth.state.status === 'loading') return <Loading />;
  if (auth.state.status === 'setup') return <Navigate to="/setup" replace />;
  if (auth.state.status === 'authenticated') return <Navigate to={returnPath(location.state)} replace />;

  return (
    <PublicFrame>
      <PageHeader title="Log in" description="Use the email and password of your engops account." />
      <Form
        label="Log in"
        submitLabel="Log in"
        pendingLabel="Logging in…"
        onSubmit={async (values) => {
          await auth.login(text(values, 'email'), String(values.get('password') ?? ''));
        }}
      >
        <Field label="Email" name="email" type="email" autoComplete="username" required />
        <Field label="Password" name="password" type="password" autoComplete="current-password" required />
      </Form>
    </PublicFrame>
  );
}

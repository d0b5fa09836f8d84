import type { ReactNode } from 'react';
import { Link, Navigate, Route, Routes, useLocation } from 'react-router';
import { LoginPage } from '../modules/access/login-page.tsx';
import { SetupPage } from '../modules/access/setup-page.tsx';
import { TokensPage } from '../modules/access/tokens-page.tsx';
import { AuditLogPage } from '../modules/audit/audit-log-page.tsx';
import { PeoplePage } from '../modules/catalog/people-page.tsx';
import { ServicesPage } from '../modules/catalog/services-page.tsx';
import { TeamDetailPage } from '../modules/catalog/team-detail-page.tsx';
import { TeamsPage } from '../modules/catalog/teams-page.tsx';
import { DoraPage } from '../modules/dora/dora-page.tsx';
import { FlagPage } from '../modules/flags/flag-page.tsx';
import { FlagReviewsPage } from '../modules/flags/flag-reviews-page.tsx';
import { FlagsPage } from '../modules/flags/flags-page.tsx';
import { IncidentPage } from '../modules/incidents/incident-page.tsx';
import { IncidentsPage } from '../modules/incidents/incidents-page.tsx';
import { ServiceIntegrationsPage } from '../modules/incidents/service-integrations-page.tsx';
import { EscalationPoliciesPage } from '../modules/oncall/escalation-policies-page.tsx';
import { LoadPage } from '../modules/oncall/load-page.tsx';
import { MyOncallPage } from '../modules/oncall/my-oncall-page.tsx';
import { OncallPage } from '../modules/oncall/oncall-page.tsx';
import { PayPage } from '../modules/oncall/pay-page.tsx';
import { SchedulePage } from '../modules/oncall/schedule-page.tsx';
import { PolicyPage } from '../modules/policy/policy-page.tsx';
import { ActionItemsPage } from '../modules/postmortems/action-items-page.tsx';
import { PostmortemPage } from '../modules/postmortems/postmortem-page.tsx';
import { PostmortemsPage } from '../modules/postmortems/postmortems-page.tsx';
import { ReleasePage } from '../modules/releases/release-page.tsx';
import { ReleasesPage } from '../modules/releases/releases-page.tsx';
import { AccessReviewPage, AccessReviewsPage } from '../modules/security/access-reviews-page.tsx';
import { FindingPage } from '../modules/security/finding-page.tsx';
import { FindingsPage } from '../modules/security/findings-page.tsx';
import { ResponsePlansPage } from '../modules/security/response-plans-page.tsx';
import { SecurityOverviewPage } from '../modules/security/security-overview-page.tsx';
import { TrainingPage } from '../modules/security/training-page.tsx';
import { WorkflowPage } from '../modules/workflow/workflow-page.tsx';
import { WorkflowSettingsPage } from '../modules/workflow/workflow-settings-page.tsx';
import { ErrorBanner } from '../ui/error-banner.tsx';
import { PageHeader } from '../ui/page-header.tsx';
import { useAuth } from './auth-context.tsx';
import { Loading, PublicFrame } from './public-frame.tsx';
import { Shell } from './shell.tsx';
import type { Permission } from './types.ts';

function Unavailable({ error, retry }: { error: unknown; retry: () => void }) {
  return (
    <PublicFrame>
      <PageHeader title="engops is not reachable" />
      <ErrorBanner error={error} onRetry={retry} />
    </PublicFrame>
  );
}

/** Sends visitors to setup or login until they have a session. */
function RequireAuth({ children }: { children: ReactNode }) {
  const auth = useAuth();
  const location = useLocation();
  switch (auth.state.status) {
    case 'loading':
      return <Loading />;
    case 'setup':
      return <Navigate to="/setup" replace />;
    case 'anonymous':
      return auth.state.loggedOut ? (
        <Navigate to="/login" replace />
      ) : (
        <Navigate to="/login" replace state={{ from: `${location.pathname}${location.search}` }} />
      );
    case 'unavailable':
      return <Unavailable error={auth.state.error} retry={() => void auth.refresh()} />;
    case 'authenticated':
      return children;
  }
}

/** Shows a page only to principals holding `permission` (the server still checks every call). */
function Allowed({ permission, children }: { permission: Permission; children: ReactNode }) {
  const auth = useAuth();
  if (auth.can(permission)) return children;
  return (
    <>
      <PageHeader title="Not allowed" />
      <p>Your role does not include this page. Ask an administrator if you need it.</p>
    </>
  );
}

function NotFoundPage() {
  return (
    <>
      <PageHeader title="Page not found" />
      <p>
        There is no page at this address. Go to the <Link to="/teams">teams</Link>.
      </p>
    </>
  );
}

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/setup" element={<SetupPage />} />
      <Route path="/login" element={<LoginPage />} />
      <Route
        element={
          <RequireAuth>
            <Shell />
          </RequireAuth>
        }
      >
        <Route index element={<Navigate to="/teams" replace />} />
        <Route
          path="teams"
          element={
            <Allowed permission="catalog.read">
              <TeamsPage />
            </Allowed>
          }
        />
        <Route
          path="teams/:id"
          element={
            <Allowed permission="catalog.read">
              <TeamDetailPage />
            </Allowed>
          }
        />
        <Route
          path="people"
          element={
            <Allowed permission="catalog.read">
              <PeoplePage />
            </Allowed>
          }
        />
        <Route
          path="services"
          element={
            <Allowed permission="catalog.read">
              <ServicesPage />
            </Allowed>
          }
        />
        <Route
          path="services/:id/integrations"
          element={
            <Allowed permission="incidents.respond">
              <ServiceIntegrationsPage />
            </Allowed>
          }
        />
        <Route
          path="incidents"
          element={
            <Allowed permission="incidents.read">
              <IncidentsPage />
            </Allowed>
          }
        />
        <Route
          path="incidents/:id"
          element={
            <Allowed permission="incidents.read">
              <IncidentPage />
            </Allowed>
          }
        />
        <Route
          path="dora"
          element={
            <Allowed permission="dora.read">
              <DoraPage />
            </Allowed>
          }
        />
        <Route
          path="workflow"
          element={
            <Allowed permission="workflow.read">
              <WorkflowPage />
            </Allowed>
          }
        />
        <Route
          path="workflow/settings"
          element={
            <Allowed permission="workflow.manage">
              <WorkflowSettingsPage />
            </Allowed>
          }
        />
        <Route
          path="security"
          element={
            <Allowed permission="security.read">
              <SecurityOverviewPage />
            </Allowed>
          }
        />
        <Route
          path="security/findings"
          element={
            <Allowed permission="security.read">
              <FindingsPage />
            </Allowed>
          }
        />
        <Route
          path="security/findings/:id"
          element={
            <Allowed permission="security.read">
              <FindingPage />
            </Allowed>
          }
        />
        <Route
          path="security/access-reviews"
          element={
            <Allowed permission="security.review">
              <AccessReviewsPage />
            </Allowed>
          }
        />
        <Route
          path="security/access-reviews/:id"
          element={
            <Allowed permission="security.review">
              <AccessReviewPage />
            </Allowed>
          }
        />
        <Route
          path="security/training"
          element={
            <Allowed permission="security.read">
              <TrainingPage />
            </Allowed>
          }
        />
        <Route
          path="security/response-plans"
          element={
            <Allowed permission="security.read">
              <ResponsePlansPage />
            </Allowed>
          }
        />
        <Route
          path="flags"
          element={
            <Allowed permission="flags.read">
              <FlagsPage />
            </Allowed>
          }
        />
        <Route
          path="flags/:key"
          element={
            <Allowed permission="flags.read">
              <FlagPage />
            </Allowed>
          }
        />
        <Route
          path="flag-reviews"
          element={
            <Allowed permission="flags.read">
              <FlagReviewsPage />
            </Allowed>
          }
        />
        <Route
          path="oncall"
          element={
            <Allowed permission="oncall.read">
              <OncallPage />
            </Allowed>
          }
        />
        <Route
          path="oncall/schedules/:id"
          element={
            <Allowed permission="oncall.read">
              <SchedulePage />
            </Allowed>
          }
        />
        <Route
          path="oncall/policies"
          element={
            <Allowed permission="oncall.read">
              <EscalationPoliciesPage />
            </Allowed>
          }
        />
        <Route
          path="oncall/load"
          element={
            <Allowed permission="oncall.read">
              <LoadPage />
            </Allowed>
          }
        />
        <Route
          path="oncall/me"
          element={
            <Allowed permission="oncall.read">
              <MyOncallPage />
            </Allowed>
          }
        />
        <Route
          path="oncall/pay"
          element={
            <Allowed permission="oncall.manage">
              <PayPage />
            </Allowed>
          }
        />
        <Route
          path="action-items"
          element={
            <Allowed permission="postmortems.read">
              <ActionItemsPage />
            </Allowed>
          }
        />
        <Route
          path="postmortems"
          element={
            <Allowed permission="postmortems.read">
              <PostmortemsPage />
            </Allowed>
          }
        />
        <Route
          path="postmortems/:id"
          element={
            <Allowed permission="postmortems.read">
              <PostmortemPage />
            </Allowed>
          }
        />
        <Route
          path="releases"
          element={
            <Allowed permission="releases.read">
              <ReleasesPage />
            </Allowed>
          }
        />
        <Route
          path="releases/:id"
          element={
            <Allowed permission="releases.read">
              <ReleasePage />
            </Allowed>
          }
        />
        <Route
          path="audit"
          element={
            <Allowed permission="audit.read">
              <AuditLogPage />
            </Allowed>
          }
        />
        <Route
          path="tokens"
          element={
            <Allowed permission="tokens.manage">
              <TokensPage />
            </Allowed>
          }
        />
        <Route
          path="policy"
          element={
            <Allowed permission="policy.read">
              <PolicyPage />
            </Allowed>
          }
        />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}

import type {
  campaignDetailSchema,
  campaignSchema,
  courseSchema,
  findingDetailSchema,
  registerEntrySchema,
  responsePlanSchema,
  reviewItemSchema,
  securityFindingSchema,
  securityOverviewSchema,
  trainingStatusSchema,
} from '@engops/contracts';
import type { z } from 'zod';

/** Response shapes of the security API, inferred from the shared contracts (types only). */
export type SecurityFinding = z.infer<typeof securityFindingSchema>;
export type FindingDetail = z.infer<typeof findingDetailSchema>;
export type SecurityOverview = z.infer<typeof securityOverviewSchema>;
export type ResponsePlan = z.infer<typeof responsePlanSchema>;
export type Campaign = z.infer<typeof campaignSchema>;
export type CampaignDetail = z.infer<typeof campaignDetailSchema>;
export type ReviewItem = z.infer<typeof reviewItemSchema>;
export type Course = z.infer<typeof courseSchema>;
export type TrainingStatus = z.infer<typeof trainingStatusSchema>;
export type RegisterEntry = z.infer<typeof registerEntrySchema>;

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'unknown'] as const;
export const FINDING_STATUS_LABEL: Record<SecurityFinding['status'], string> = {
  open: 'Open',
  acknowledged: 'Acknowledged',
  fixed: 'Fixed',
  false_positive: 'False positive',
};
export const OUTCOME_LABEL: Record<ReviewItem['outcome'], string> = {
  pending: 'Pending',
  kept: 'Certified',
  revoked: 'Revoked',
  revoked_on_close: 'Revoked on close',
  kept_on_close: 'Kept on close',
};
export const KIND_LABEL: Record<ReviewItem['kind'], string> = {
  org_role: 'Org role',
  team_role: 'Team role',
  token: 'API token',
  system_grant: 'Other system',
};

export function percent(value: number | null): string {
  return value === null ? '—' : `${Math.round(value * 100)}%`;
}

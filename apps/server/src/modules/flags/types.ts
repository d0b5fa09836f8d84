/**
 * The Unleash client-features format (what `/api/client/features` serves and what Unleash exports):
 * the evaluation engine reads it directly, and import/export use it unchanged.
 */
export interface FlagConstraint {
  contextName: string;
  operator: string;
  value?: string;
  values?: string[];
  inverted?: boolean;
  caseInsensitive?: boolean;
}

export interface VariantPayload {
  type: string;
  value: string;
}

export interface VariantOverride {
  contextName: string;
  values: string[];
}

export interface VariantDefinition {
  name: string;
  weight: number;
  weightType?: string;
  stickiness?: string;
  payload?: VariantPayload;
  overrides?: VariantOverride[];
}

export interface FlagStrategy {
  name: string;
  parameters?: Record<string, string | number | boolean | null | undefined>;
  constraints?: FlagConstraint[];
  segments?: number[];
  variants?: VariantDefinition[];
  disabled?: boolean | null;
  title?: string | null;
  sortOrder?: number;
  id?: string;
}

export interface FlagDependency {
  feature: string;
  enabled?: boolean;
  variants?: string[];
}

export interface ClientFeature {
  name: string;
  enabled: boolean;
  description?: string | null;
  type?: string;
  project?: string;
  stale?: boolean;
  impressionData?: boolean;
  strategies?: FlagStrategy[];
  variants?: VariantDefinition[] | null;
  dependencies?: FlagDependency[];
}

export interface Segment {
  id: number;
  name?: string;
  constraints: FlagConstraint[];
}

export interface ClientFeatures {
  version: number;
  features: ClientFeature[];
  segments?: Segment[];
  query?: unknown;
  meta?: unknown;
}

export type ContextValue = string | number | boolean | null | undefined;

/** The Unleash context: standard fields plus custom `properties`. */
export interface FlagContext {
  userId?: string;
  sessionId?: string;
  remoteAddress?: string;
  environment?: string;
  appName?: string;
  currentTime?: string | Date;
  properties?: Record<string, ContextValue>;
  [field: string]: unknown;
}

/** What `getVariant` answers, exactly as the Unleash SDKs do. */
export interface VariantResult {
  name: string;
  enabled: boolean;
  payload?: VariantPayload;
  feature_enabled: boolean;
}

export const DISABLED_VARIANT_NAME = 'disabled';

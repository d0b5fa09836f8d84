import { policyResponseSchema, updatePolicySchema } from '@engops/contracts';
import { defineRoute, type RouteSpec } from '../../http/route.ts';
import type { PolicyService } from './policy-service.ts';

export function policyRoutes(policy: PolicyService): RouteSpec[] {
  const tags = ['policy'];
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/policy',
      summary: "The organisation policy (the handbook's thresholds)",
      tags,
      auth: 'policy.read',
      response: policyResponseSchema,
      handler: () => policy.get(),
    }),
    defineRoute({
      method: 'PUT',
      url: '/api/v1/policy',
      summary: 'Replace the policy; send the version you edited',
      tags,
      auth: 'policy.write',
      body: updatePolicySchema,
      response: policyResponseSchema,
      errors: [409],
      handler: ({ body, audit }) => policy.update(audit, body.policy, body.version),
    }),
  ];
}

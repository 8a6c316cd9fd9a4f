// SessionPersistence (apis/v1/shared_types.go, GEP-1619; experimental channel
// field HTTPRouteRule.sessionPersistence): keep a client on the backend that
// first served it, by a cookie (Core) or a header (Extended). The CRD's CEL
// rule is enforced here: a Permanent cookie needs an absoluteTimeout.
import { z } from 'zod';
import { durationSchema } from './common.js';

export const sessionPersistenceSchema = z
  .object({
    sessionName: z.string().max(128).optional(),
    absoluteTimeout: durationSchema.optional(),
    idleTimeout: durationSchema.optional(),
    type: z.enum(['Cookie', 'Header']).default('Cookie'),
    cookieConfig: z.object({ lifetimeType: z.enum(['Permanent', 'Session']).default('Session') }).optional(),
  })
  .superRefine((s, ctx) => {
    if (s.cookieConfig?.lifetimeType === 'Permanent' && s.absoluteTimeout === undefined) {
      ctx.addIssue({ code: 'custom', message: 'AbsoluteTimeout must be specified when cookie lifetimeType is Permanent', path: ['absoluteTimeout'] });
    }
  });

export type SessionPersistenceSpec = z.output<typeof sessionPersistenceSchema>;

/**
 * The definition of an A/B experiment as `serve_experiments` stores it (its `config` column): the
 * server assigns requests by it, and the A/B report reads it back to name and weigh the variants.
 */
import { z } from 'zod'

/** Schema of one A/B experiment (config file and admin API). */
export const experimentSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'letters, digits, _ . - (1-100)'),
  /** The served model name whose traffic is split. */
  model: z.string().min(1),
  variants: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/),
        ref: z.string().min(1),
        weight: z.number().positive(),
      }),
    )
    .min(2),
  /** Feature/body field holding the request key (e.g. `user_id`). */
  keyField: z.string().min(1).default('user_id'),
  /** Header holding the request key; wins over the body. */
  keyHeader: z.string().min(1).default('x-keel-request-key'),
  /** Variant for requests without a key (default: the first). */
  defaultVariant: z.string().optional(),
  status: z.enum(['running', 'stopped']).default('running'),
})

/** A validated experiment. */
export type Experiment = z.infer<typeof experimentSchema>

/** Input form of an experiment (defaults optional). */
export type ExperimentInput = z.input<typeof experimentSchema>

/** fast-check generators of metadata and Mongo-style filters over a small shared vocabulary, so filters hit. */
import fc from 'fast-check';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const STRINGS = ['red', 'green', 'blue', 're', 'gr', '', 'Red'];
const NUMBERS = [-1, 0, 1, 2.5, 3, 100, -0];

export const scalar: fc.Arbitrary<Json> = fc.oneof(fc.constantFrom(...STRINGS), fc.constantFrom(...NUMBERS), fc.boolean(), fc.constant(null));

const leafValue: fc.Arbitrary<Json> = fc.oneof(
  { weight: 4, arbitrary: scalar },
  { weight: 2, arbitrary: fc.array(scalar, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.array(fc.array(scalar, { maxLength: 2 }), { maxLength: 2 }) },
  { weight: 1, arbitrary: fc.record({ x: scalar }, { requiredKeys: [] }) },
);

/** Metadata over fields a, b, tags, n (an object with x, or an array of such objects). */
export const metadata: fc.Arbitrary<Record<string, Json> | undefined> = fc.option(
  fc.record(
    {
      a: leafValue,
      b: leafValue,
      tags: fc.array(fc.constantFrom(...STRINGS), { maxLength: 4 }),
      n: fc.oneof(fc.record({ x: leafValue }, { requiredKeys: [] }), fc.array(fc.record({ x: scalar }, { requiredKeys: [] }), { maxLength: 3 }), scalar),
    },
    { requiredKeys: [] },
  ),
  { freq: 8, nil: undefined },
);

const FIELDS = ['a', 'b', 'tags', 'n.x', 'n', 'missing'];

const operatorClause: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record({ $eq: scalar }),
  fc.record({ $ne: scalar }),
  fc.record({ $gt: fc.constantFrom(...NUMBERS) }),
  fc.record({ $gte: fc.constantFrom(...NUMBERS) }),
  fc.record({ $lt: fc.constantFrom(...NUMBERS) }),
  fc.record({ $lte: fc.constantFrom(...NUMBERS) }),
  fc.record({ $in: fc.array(scalar, { maxLength: 4 }) }),
  fc.record({ $nin: fc.array(scalar, { maxLength: 4 }) }),
  fc.record({ $exists: fc.boolean() }),
  fc.record({ $prefix: fc.constantFrom('r', 'gr', '', 'blue', 'x') }),
  fc.record({ $gte: fc.constantFrom(...NUMBERS), $lt: fc.constantFrom(...NUMBERS) }),
);

const fieldCondition: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: scalar },
  { weight: 4, arbitrary: operatorClause },
  { weight: 1, arbitrary: operatorClause.map((clause) => ({ $not: clause })) },
);

/** A filter document: 0-2 field conditions and at most one logical operator, nesting to `depth`. */
export function filterDocument(depth: number): fc.Arbitrary<Record<string, unknown>> {
  const fields = fc.dictionary(fc.constantFrom(...FIELDS), fieldCondition, { maxKeys: 2 });
  if (depth === 0) return fields;
  const sub = fc.array(filterDocument(depth - 1), { minLength: 1, maxLength: 3 });
  return fc.tuple(fields, fc.option(fc.tuple(fc.constantFrom('$and', '$or', '$nor'), sub), { nil: undefined })).map(([f, logical]) => (logical ? { ...f, [logical[0]]: logical[1] } : f));
}

/**
 * Validates a custom resource against the openAPIV3Schema of a CustomResourceDefinition the project renders
 * itself (the rollout-operator's ZoneAwarePodDisruptionBudget), as the API server would: types, required
 * fields, minimum and maximum, and unknown fields as errors (a structural CRD prunes them, and kubectl's strict
 * field validation refuses them). Only the keywords such schemas use are implemented; any other keyword throws,
 * so a CRD that grows one cannot pass unchecked.
 */
const KNOWN = new Set(['type', 'properties', 'required', 'additionalProperties', 'minimum', 'maximum', 'description', 'items', 'enum']);

export function openApiProblems(value: unknown, schema: any, at = ''): string[] {
  for (const k of Object.keys(schema)) if (!KNOWN.has(k)) throw new Error(`${at || '.'}: schema keyword ${k} is not implemented by crd-openapi.ts`);
  const out: string[] = [];
  const where = at || '.';
  const kind = Array.isArray(value) ? 'array' : value === null ? 'null' : Number.isInteger(value) ? 'integer' : typeof value;
  const fits = (t: string) => t === kind || (t === 'number' && kind === 'integer');
  if (schema.type && !fits(schema.type)) return [`${where}: expected ${schema.type}, got ${kind}`];
  if (schema.enum && !schema.enum.includes(value)) out.push(`${where}: expected one of ${JSON.stringify(schema.enum)}, got ${JSON.stringify(value)}`);
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) out.push(`${where}: expected at least ${schema.minimum}, got ${value}`);
    if (schema.maximum !== undefined && value > schema.maximum) out.push(`${where}: expected at most ${schema.maximum}, got ${value}`);
  }
  if (kind === 'array' && schema.items) (value as unknown[]).forEach((v, i) => out.push(...openApiProblems(v, schema.items, `${at}[${i}]`)));
  if (kind === 'object') {
    const obj = value as Record<string, unknown>;
    for (const r of schema.required ?? []) if (!(r in obj)) out.push(`${at}.${r}: required`);
    for (const [k, v] of Object.entries(obj)) {
      if (schema.properties?.[k]) out.push(...openApiProblems(v, schema.properties[k], `${at}.${k}`));
      else if (schema.additionalProperties) out.push(...openApiProblems(v, schema.additionalProperties, `${at}.${k}`));
      else if (schema.properties) out.push(`${at}.${k}: unknown field`);
    }
  }
  return out;
}

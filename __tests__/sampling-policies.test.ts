/**
 * The gateway's sampling semantics, checked by evaluating the rendered tail_sampling policies (see
 * support/tail-sampling.ts for the evaluator and the upstream files it follows), not by reading them.
 */
import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { durationMs } from '../lib/config/primitives';
import { configMapYaml, envFrom, fixture, objects, problems } from './helpers';
import { decide, keepProbability, Span, Trace, traceIds } from './support/tail-sampling';

const policiesOf = (e: ReturnType<typeof envFrom>) => configMapYaml(objects(e), 'otel-sampler', 'config.yaml').processors.tail_sampling.policies;

/** The production fixture with extra sampling settings, loaded like a user's file. */
function production(sampling: Record<string, unknown>) {
  const config = load(readFileSync(fixture('production'), 'utf8')) as any;
  return envFrom({ ...config, sampling: { ...config.sampling, ...sampling } }, 'production');
}
const minimal = (sampling: Record<string, unknown>) => envFrom({ tempo: { backend: 'filesystem' }, loki: { backend: 'filesystem' }, sampling });

const span = (service: string, extra: Partial<Span> = {}): Span => ({ service, status: 'OK', startMs: 0, endMs: 20, ...extra });
const trace = (...spans: Span[]): Trace => ({ spans });

describe('production with sampling.services {checkout: 0.5, healthcheck: 0.01}', () => {
  const e = production({ services: { checkout: 0.5, healthcheck: 0.01 } });
  const policies = policiesOf(e);
  const slowMs = durationMs(e.config.sampling.slowRequestThreshold);

  test.each([
    ['checkout', 0.5],
    ['healthcheck', 0.01],
    ['frontend', 0.1],
  ])('an ordinary %s trace is kept with probability %s', (service, p) => {
    expect(keepProbability(policies, trace(span(service), span(service, { startMs: 5, endMs: 10 })))).toBe(p);
  });

  test.each(['checkout', 'healthcheck', 'frontend'])('a %s trace with an error span is always kept', (service) => {
    expect(keepProbability(policies, trace(span(service), span(service, { status: 'ERROR' })))).toBe(1);
  });

  test.each(['checkout', 'healthcheck', 'frontend'])('a %s trace at or over the slow threshold is always kept, just under it is not', (service) => {
    expect(keepProbability(policies, trace(span(service, { endMs: slowMs })))).toBe(1);
    expect(keepProbability(policies, trace(span(service, { startMs: 100, endMs: 100 + slowMs + 250 })))).toBe(1);
    expect(keepProbability(policies, trace(span(service, { endMs: slowMs - 1 })))).toBeLessThan(1);
  });

  test.each(['checkout', 'healthcheck', 'frontend'])('a %s span with sample.priority 1 keeps its trace; 0 does not', (service) => {
    expect(keepProbability(policies, trace(span(service), span(service, { attributes: { 'sample.priority': 1 } })))).toBe(1);
    expect(keepProbability(policies, trace(span(service, { attributes: { 'sample.priority': 5 } })))).toBe(1);
    expect(keepProbability(policies, trace(span(service, { attributes: { 'sample.priority': 0 } })))).toBeLessThan(1);
  });

  test('a trace across services is kept at the highest rate of the listed services it touches, never at the default on top', () => {
    expect(keepProbability(policies, trace(span('frontend'), span('checkout')))).toBe(0.5);
    expect(keepProbability(policies, trace(span('frontend'), span('healthcheck')))).toBe(0.01);
    expect(keepProbability(policies, trace(span('healthcheck'), span('checkout')))).toBe(0.5);
  });

  test('policy and sub-policy names are unique (they label the per-policy metrics)', () => {
    const names = (ps: any[]): string[] => ps.flatMap((p) => [p.name, ...names(p.and?.and_sub_policy ?? [])]);
    expect(new Set(names(policies)).size).toBe(names(policies).length);
  });

  test('every probabilistic policy uses the same hash salt', () => {
    const salts = JSON.stringify(policies).match(/"hash_salt":"[^"]*"/g) ?? [];
    expect(salts.length).toBe(3);
    expect(new Set(salts).size).toBe(1);
  });

  test('hashing real trace ids gives the same rates (the salt is shared, so kept sets nest)', () => {
    const ids = traceIds(2000);
    const rate = (service: string) => ids.filter((traceId) => decide(policies, { traceId, spans: [span(service)] })).length / ids.length;
    expect(Math.abs(rate('checkout') - 0.5)).toBeLessThan(0.04);
    expect(Math.abs(rate('frontend') - 0.1)).toBeLessThan(0.025);
    expect(Math.abs(rate('healthcheck') - 0.01)).toBeLessThan(0.009);
    // Nested: every healthcheck trace kept is also one that checkout and the default would keep.
    for (const traceId of ids.filter((id) => decide(policies, { traceId: id, spans: [span('healthcheck')] }))) {
      expect(decide(policies, { traceId, spans: [span('checkout')] })).toBe(true);
      expect(decide(policies, { traceId, spans: [span('frontend')] })).toBe(true);
    }
  });
});

describe('rates at 0, 1 and in between', () => {
  test.each([0, 1, 0.37])('defaultRate %s with listed services at 0, 1 and 0.25', (defaultRate) => {
    const policies = policiesOf(minimal({ defaultRate, services: { never: 0, always: 1, quarter: 0.25 } }));
    expect(keepProbability(policies, trace(span('never')))).toBe(0);
    expect(keepProbability(policies, trace(span('always')))).toBe(1);
    expect(keepProbability(policies, trace(span('quarter')))).toBe(0.25);
    expect(keepProbability(policies, trace(span('other')))).toBe(defaultRate);
    // A listed service at 0 still keeps its errors, slow traces and priority traces.
    expect(keepProbability(policies, trace(span('never', { status: 'ERROR' })))).toBe(1);
    expect(keepProbability(policies, trace(span('never', { endMs: 60_000 })))).toBe(1);
    expect(keepProbability(policies, trace(span('never', { attributes: { 'sample.priority': 1 } })))).toBe(1);
  });

  test('with no services listed every trace uses defaultRate', () => {
    const policies = policiesOf(minimal({ defaultRate: 0.2 }));
    expect(keepProbability(policies, trace(span('anything')))).toBe(0.2);
  });
});

describe('switches', () => {
  test('honorPriority: false ignores sample.priority', () => {
    const policies = policiesOf(minimal({ defaultRate: 0.1, honorPriority: false }));
    expect(keepProbability(policies, trace(span('a', { attributes: { 'sample.priority': 1 } })))).toBe(0.1);
  });

  test('alwaysSampleErrors: false samples error traces like the rest', () => {
    const policies = policiesOf(minimal({ defaultRate: 0.1, alwaysSampleErrors: false, services: { a: 0.3 } }));
    expect(keepProbability(policies, trace(span('a', { status: 'ERROR' })))).toBe(0.3);
    expect(keepProbability(policies, trace(span('b', { status: 'ERROR' })))).toBe(0.1);
  });

  test('sample.priority as a string or a fraction is not an integer ≥ 1 to the collector (Value.Int() is 0)', () => {
    const policies = policiesOf(minimal({ defaultRate: 0 }));
    expect(keepProbability(policies, trace(span('a', { attributes: { 'sample.priority': '1' } })))).toBe(0);
    expect(keepProbability(policies, trace(span('a', { attributes: { 'sample.priority': 1.5 } })))).toBe(0);
  });
});

describe('the evaluator follows the upstream combination rules', () => {
  const errors = { name: 'e', type: 'status_code', status_code: { status_codes: ['ERROR'] } };
  const notListed = { name: 'n', type: 'string_attribute', string_attribute: { key: 'service.name', values: ['checkout'], invert_match: true } };

  test('an inverted string_attribute at top level vetoes every other keep (why the policies nest it in `and`)', () => {
    expect(keepProbability([errors, notListed], trace(span('checkout', { status: 'ERROR' })))).toBe(0);
    expect(keepProbability([errors, { name: 'a', type: 'and', and: { and_sub_policy: [notListed] } }], trace(span('checkout', { status: 'ERROR' })))).toBe(1);
  });

  test('a drop policy vetoes', () => {
    const drop = { name: 'd', type: 'drop', drop: { drop_sub_policy: [{ name: 's', type: 'string_attribute', string_attribute: { key: 'service.name', values: ['checkout'] } }] } };
    expect(keepProbability([errors, drop], trace(span('checkout', { status: 'ERROR' })))).toBe(0);
  });

  test('refuses probabilistic policies with different salts', () => {
    const p = (salt: string) => ({ name: salt, type: 'probabilistic', probabilistic: { hash_salt: salt, sampling_percentage: 10 } });
    expect(() => keepProbability([p('a'), p('b')], trace(span('x')))).toThrow('2 different hash salts');
  });
});

describe('sampling.services errors', () => {
  test('fails when a rate is out of range', () => {
    expect(problems('sampling: {services: {checkout: 1.5}}')).toContain('sampling.services.checkout: expected a rate between 0 and 1, got 1.5');
  });

  test('fails when a service name is empty or padded', () => {
    expect(problems('sampling: {services: {" checkout": 0.5}}')).toContain(
      'sampling.services: key " checkout": expected a service.name (non-empty, no leading/trailing space or control characters), got " checkout"',
    );
  });
});

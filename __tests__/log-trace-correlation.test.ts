import { EventEmitter } from 'node:events';
import { rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { context } from '@opentelemetry/api';
import { LOG_FIELDS, TRACE_ID_REGEX } from '../lib/log-format';
import { createTraceAwareLogger, getSamplingRules, keepTrace } from '../tools/log-trace-correlation';
import { ENVIRONMENTS, env, FIXTURES_DIR, tempDir } from './helpers';
import { inSpan, installContextManager, SPAN_CONTEXT } from './support/otel-context';

beforeAll(installContextManager);
afterAll(() => context.disable());

function capture(options: Parameters<typeof createTraceAwareLogger>[1] = {}) {
  const lines: any[] = [];
  const raw: string[] = [];
  const logger = createTraceAwareLogger('ybuilt-api', { now: () => new Date('2026-11-24T10:00:00.000Z'), ...options, write: (l) => (raw.push(l), lines.push(JSON.parse(l))) });
  return { logger, lines, raw };
}

class FakeResponse extends EventEmitter {
  statusCode = 200;
}

describe('createTraceAwareLogger', () => {
  test('writes one JSON line with time, level, message, service and the caller fields', () => {
    const { logger, lines, raw } = capture();
    logger.info('Fetching job', { job_id: '42', user_id: 7 });
    expect(raw[0].endsWith('\n')).toBe(true);
    expect(lines[0]).toEqual({ time: '2026-11-24T10:00:00.000Z', level: 'info', message: 'Fetching job', service: 'ybuilt-api', job_id: '42', user_id: 7 });
  });

  test('outside a span there are no trace fields', () => {
    const { logger, lines } = capture();
    logger.warn('no span');
    expect(lines[0]).not.toHaveProperty(LOG_FIELDS.traceId);
    expect(lines[0]).not.toHaveProperty(LOG_FIELDS.spanId);
  });

  test('inside a span the line carries its trace_id and span_id', () => {
    const { logger, lines } = capture();
    inSpan(() => logger.error('failed', { job_id: '42' }));
    expect(lines[0][LOG_FIELDS.traceId]).toBe(SPAN_CONTEXT.traceId);
    expect(lines[0][LOG_FIELDS.spanId]).toBe(SPAN_CONTEXT.spanId);
    expect(lines[0].level).toBe('error');
  });

  test('a caller field cannot overwrite the contract fields', () => {
    const { logger, lines } = capture();
    inSpan(() => logger.info('x', { trace_id: 'forged', level: 'debug', service: 'other' }));
    expect(lines[0]).toMatchObject({ trace_id: SPAN_CONTEXT.traceId, level: 'info', service: 'ybuilt-api' });
  });

  test('the derived-field regex finds the trace id in a logged line', () => {
    const { logger, raw } = capture();
    inSpan(() => logger.info('Fetching job', { job_id: '42' }));
    expect(new RegExp(TRACE_ID_REGEX).exec(raw[0])?.[1]).toBe(SPAN_CONTEXT.traceId);
  });
});

describe('middleware', () => {
  function request(logger: ReturnType<typeof capture>['logger'], status: number, opts: { slowRequestThresholdMs?: number; waitMs?: number } = {}) {
    const res = new FakeResponse();
    res.statusCode = status;
    const next = jest.fn();
    inSpan(() => logger.middleware({ slowRequestThresholdMs: opts.slowRequestThresholdMs })({ method: 'GET', baseUrl: '/api', route: { path: '/jobs/:id' }, originalUrl: '/api/jobs/42' }, res, next));
    expect(next).toHaveBeenCalledTimes(1);
    const until = Date.now() + (opts.waitMs ?? 0);
    while (Date.now() < until);
    res.emit('finish');
  }

  test('logs method, route, status and duration with the request span, outside its context', () => {
    const { logger, lines } = capture();
    request(logger, 200, { slowRequestThresholdMs: 10_000 });
    expect(lines[0]).toMatchObject({ level: 'info', method: 'GET', route: '/api/jobs/:id', status: 200, error: false, slow: false, trace_id: SPAN_CONTEXT.traceId });
    expect(typeof lines[0].duration_ms).toBe('number');
  });

  test('marks server errors', () => {
    const { logger, lines } = capture();
    request(logger, 503, { slowRequestThresholdMs: 10_000 });
    expect(lines[0]).toMatchObject({ level: 'error', status: 503, error: true });
  });

  test('marks requests at or over the threshold as slow', () => {
    const { logger, lines } = capture();
    request(logger, 200, { slowRequestThresholdMs: 5, waitMs: 10 });
    expect(lines[0]).toMatchObject({ level: 'warn', slow: true });
    expect(lines[0].duration_ms).toBeGreaterThanOrEqual(5);
  });

  test("takes the threshold from the environment's config", () => {
    const { logger, lines } = capture({ environment: 'dev', configDir: FIXTURES_DIR });
    const threshold = getSamplingRules('dev', { configDir: FIXTURES_DIR }).slowRequestThreshold;
    request(logger, 200, { waitMs: threshold + 5 });
    expect(lines[0].slow).toBe(true);
  });
});

/** A config dir holding production.yaml = the minimal stack plus `extra` YAML. */
function writeConfig(extra: string): string {
  const dir = tempDir('rules-');
  writeFileSync(path.join(dir, 'production.yaml'), `tempo: {backend: filesystem}\nloki: {backend: filesystem}\n${extra}\n`);
  dirs.push(dir);
  return dir;
}
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('keepTrace', () => {
  test('sets sample.priority = 1 (an integer) on the active span', () => {
    const set = jest.fn();
    const span = { setAttribute: set } as unknown as Parameters<typeof keepTrace>[0];
    expect(keepTrace(span)).toBe(true);
    expect(set).toHaveBeenCalledWith('sample.priority', 1);
    expect(Number.isInteger(set.mock.calls[0][1])).toBe(true);
  });

  test('uses the active span, and says when there is none', () => {
    expect(inSpan(() => keepTrace())).toBe(true);
    expect(keepTrace()).toBe(false);
  });
});

describe('getSamplingRules', () => {
  test.each(ENVIRONMENTS)('%s returns the values its manifests are rendered from', (name) => {
    const { sampling } = env(name).config;
    const rules = getSamplingRules(name, { configDir: FIXTURES_DIR });
    expect(rules.defaultSampleRate).toBe(sampling.defaultRate);
    expect(rules.alwaysSampleErrors).toBe(sampling.alwaysSampleErrors);
    expect(rules.slowRequestThreshold).toBeGreaterThan(0);
  });

  test('per environment rates', () => {
    expect(ENVIRONMENTS.map((e) => getSamplingRules(e, { configDir: FIXTURES_DIR }).defaultSampleRate)).toEqual([1, 0.5, 0.1]);
  });

  test('services and rateFor come from the same config as the gateway policies', () => {
    const rules = getSamplingRules('production', { configDir: writeConfig('sampling: {defaultRate: 0.1, services: {checkout: 0.5, healthcheck: 0.01}}') });
    expect(rules.services).toEqual({ checkout: 0.5, healthcheck: 0.01 });
    expect([rules.rateFor('checkout'), rules.rateFor('healthcheck'), rules.rateFor('frontend'), rules.rateFor('constructor')]).toEqual([0.5, 0.01, 0.1, 0.1]);
    expect(rules.honorPriority).toBe(true);
  });

  test('fails with the config error when the environment does not exist', () => {
    expect(() => getSamplingRules('nope')).toThrow(/nope\.yaml: cannot read the file \(it does not exist\)/);
  });
});

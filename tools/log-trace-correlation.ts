/**
 * For application teams: trace-aware JSON logging and the sampling rules of an environment, from the same
 * configuration files the cluster manifests are rendered from.
 *
 *   import { createTraceAwareLogger, getSamplingRules, keepTrace } from 'grafana-stack-cdk8s/tools/log-trace-correlation';
 *   const logger = createTraceAwareLogger('ybuilt-api', { environment: 'production' });
 *   app.use(logger.middleware());
 *   logger.info('Fetching job', { job_id: req.params.id });
 *   keepTrace();   // this request's trace is kept by the gateway whatever the sampling rate
 *
 * Each line is one JSON object (lib/log-format.ts is the contract Promtail and Grafana read), with the
 * trace_id and span_id of the active OpenTelemetry span, so Grafana links the line to its trace in Tempo.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { context, isSpanContextValid, Span, trace } from '@opentelemetry/api';
import { loadConfig } from '../lib/config/load';
import { durationMs } from '../lib/config/primitives';
import { PRIORITY_ATTRIBUTE, rateFor, samplingSchema } from '../lib/config/sampling';
import { LOG_FIELDS } from '../lib/log-format';

export interface SamplingRules {
  readonly environment: string;
  /** Share of ordinary traces the gateway keeps (0..1) for services not listed in `services`. */
  readonly defaultSampleRate: number;
  /** Per `service.name` rates (0..1) that replace `defaultSampleRate` for traces of that service. */
  readonly services: Readonly<Record<string, number>>;
  /** Whether a span attribute `sample.priority` >= 1 (an integer) keeps its trace. */
  readonly honorPriority: boolean;
  /** Whether traces with an error span are always kept. */
  readonly alwaysSampleErrors: boolean;
  /** Traces at least this long (milliseconds) are always kept. */
  readonly slowRequestThreshold: number;
  /** The rate the gateway applies to traces of `serviceName` (its own if listed, the default otherwise). */
  rateFor(serviceName: string): number;
}

/** The folder holding the environment files: the nearest `config/` with the generated schema above this file. */
function defaultConfigDir(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'config', 'schema.json'))) return path.join(dir, 'config');
    if (path.dirname(dir) === dir) throw new Error(`no config/ folder with schema.json above ${__dirname}; pass { configDir }`);
  }
}

/**
 * The sampling rules the environment's manifests were rendered from: config/<environment>.yaml read through
 * the same schema, so application code and the gateway's tail-sampling policies never disagree.
 */
export function getSamplingRules(environment: string, options: { configDir?: string } = {}): SamplingRules {
  const { sampling } = loadConfig(path.join(options.configDir ?? defaultConfigDir(), `${environment}.yaml`)).config;
  return {
    environment,
    defaultSampleRate: sampling.defaultRate,
    services: { ...sampling.services },
    honorPriority: sampling.honorPriority,
    alwaysSampleErrors: sampling.alwaysSampleErrors,
    slowRequestThreshold: durationMs(sampling.slowRequestThreshold),
    rateFor: (serviceName) => rateFor(sampling, serviceName),
  };
}

/**
 * Marks the trace of `span` (default: the active span) to be kept by the gateway whatever the sampling rate:
 * sets the span attribute `sample.priority` to the integer 1, which the gateway's `keep-priority` policy matches
 * when `sampling.honorPriority` is on. Call it any time before the span ends (e.g. on a payment failure you
 * handle without an error status). Returns false when there is no span to mark.
 */
export function keepTrace(span: Span | undefined = trace.getSpan(context.active())): boolean {
  if (!span) return false;
  span.setAttribute(PRIORITY_ATTRIBUTE, 1);
  return true;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

/** Minimal shapes of Express-style request and response objects (no dependency on Express). */
export interface RequestLike {
  method?: string;
  originalUrl?: string;
  url?: string;
  route?: { path?: string };
  baseUrl?: string;
}
export interface ResponseLike {
  statusCode: number;
  once(event: 'finish', listener: () => void): unknown;
}
export type Middleware = (req: RequestLike, res: ResponseLike, next: (err?: unknown) => void) => void;

export interface TraceAwareLogger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** Logs every request when its response finishes: method, route, status, duration_ms, error and slow marks. */
  middleware(options?: { slowRequestThresholdMs?: number }): Middleware;
}

export interface LoggerOptions {
  /** Environment whose `sampling.slowRequestThreshold` marks slow requests (default: OBSERVABILITY_ENVIRONMENT). */
  readonly environment?: string;
  readonly configDir?: string;
  /** Where lines go (default: stdout). */
  readonly write?: (line: string) => void;
  readonly now?: () => Date;
}

const RESERVED = new Set<string>(Object.values(LOG_FIELDS));

export function createTraceAwareLogger(serviceName: string, options: LoggerOptions = {}): TraceAwareLogger {
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  const now = options.now ?? (() => new Date());

  const emit = (level: LogLevel, message: string, fields: LogFields = {}, span: Span | undefined = trace.getSpan(context.active())) => {
    const record: Record<string, unknown> = {
      [LOG_FIELDS.time]: now().toISOString(),
      [LOG_FIELDS.level]: level,
      [LOG_FIELDS.message]: message,
      [LOG_FIELDS.service]: serviceName,
    };
    // The caller's fields never replace the contract's fields.
    for (const [key, value] of Object.entries(fields)) if (!RESERVED.has(key)) record[key] = value;
    const spanContext = span?.spanContext();
    if (spanContext && isSpanContextValid(spanContext)) {
      record[LOG_FIELDS.traceId] = spanContext.traceId;
      record[LOG_FIELDS.spanId] = spanContext.spanId;
    }
    write(`${JSON.stringify(record)}\n`);
  };

  const slowThreshold = (override?: number): number => {
    if (override !== undefined) return override;
    const environment = options.environment ?? process.env.OBSERVABILITY_ENVIRONMENT;
    if (environment) return getSamplingRules(environment, { configDir: options.configDir }).slowRequestThreshold;
    return durationMs(samplingSchema.parse(undefined).slowRequestThreshold);
  };

  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    middleware(middlewareOptions = {}) {
      const threshold = slowThreshold(middlewareOptions.slowRequestThresholdMs);
      return (req, res, next) => {
        const started = process.hrtime.bigint();
        // The server span is active now; the 'finish' callback may run outside its context.
        const span = trace.getSpan(context.active());
        res.once('finish', () => {
          const duration = Number(process.hrtime.bigint() - started) / 1e6;
          const status = res.statusCode;
          const error = status >= 500;
          const slow = duration >= threshold;
          const route = req.route?.path !== undefined ? `${req.baseUrl ?? ''}${req.route.path}` : (req.originalUrl ?? req.url ?? '');
          emit(error ? 'error' : slow ? 'warn' : 'info', `${req.method ?? 'GET'} ${route} ${status}`, {
            method: req.method,
            route,
            status,
            duration_ms: Math.round(duration * 1000) / 1000,
            error,
            slow,
          }, span);
        });
        next();
      };
    },
  };
}

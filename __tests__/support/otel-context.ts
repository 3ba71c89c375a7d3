/**
 * A minimal synchronous ContextManager so tests can make a span active with context.with() exactly as an
 * instrumented application does (the API's default no-op manager keeps no active context).
 */
import { Context, context, ContextManager, ROOT_CONTEXT, Span, trace, TraceFlags } from '@opentelemetry/api';

class StackContextManager implements ContextManager {
  private stack: Context[] = [];
  active(): Context {
    return this.stack[this.stack.length - 1] ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    this.stack.push(ctx);
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.stack.pop();
    }
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.stack = [];
    return this;
  }
}

export function installContextManager(): void {
  context.setGlobalContextManager(new StackContextManager());
}

export const SPAN_CONTEXT = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED };

/** Runs fn with a (non-recording) span of SPAN_CONTEXT active, as the HTTP instrumentation would. */
export function inSpan<T>(fn: (span: Span) => T): T {
  const span = trace.wrapSpanContext(SPAN_CONTEXT);
  return context.with(trace.setSpan(context.active(), span), () => fn(span));
}

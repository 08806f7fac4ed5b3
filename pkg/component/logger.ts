// Structured logs: pino, one JSON line per event, every line tagged with its component.
import { pino, type Logger } from 'pino';

export function componentLogger(component: string, level = process.env['TSKUBE_LOG_LEVEL'] ?? 'info'): Logger {
  return pino({ level, base: { component } });
}

/** Where the SDK says what it does (notices of hubs, leases settled on close, connection changes). */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
}

/** The default: warnings to `console.warn`, nothing else. */
export const DEFAULT_LOGGER: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (m) => console.warn(`[quotahub] ${m}`),
};

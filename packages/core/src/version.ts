/**
 * The SDK's own name and version, sent with every event and in `User-Agent`.
 *
 * @example
 * ```ts
 * SDK_NAME; // 'agentsudo-js/0.1.0'
 * ```
 */
export const SDK_VERSION = '0.1.0';

/** `agentsudo-js/<version>`; see {@link SDK_VERSION}. @example `headers['User-Agent'] = SDK_NAME` */
export const SDK_NAME = `agentsudo-js/${SDK_VERSION}`;

/**
 * An error answered to the client as `{ "error": code, "message": …, "field"?: …, …details }` with
 * its HTTP status. The message says what was wrong and what to do.
 *
 * @example
 * ```ts
 * throw new ApiError(400, 'invalid_query', "limit must be 1..1000, got '5000'", 'limit');
 * ```
 */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    /** More keys of the answer, such as the `status` of an approval a request conflicts with. */
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

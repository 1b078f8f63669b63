/** Office's callback APIs as promises: a `Failed` result becomes an OfficeCallError, never ignored. */

export class OfficeCallError extends Error {
  constructor(
    readonly code: number | string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'OfficeCallError';
  }
}

export function officeCall<T>(start: (callback: (result: Office.AsyncResult<T>) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    try {
      start((result) => {
        if (result.status === Office.AsyncResultStatus.Failed) {
          reject(new OfficeCallError(result.error?.code, result.error?.message ?? 'Office call failed'));
        } else resolve(result.value);
      });
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}

/**
 * S3 failures worded for the user: which object, what went wrong, what to do. Only misconfiguration is
 * thrown from here; "no such key" is an answer (404), and what stays transient after the SDK's own retries
 * (throttling, 5xx, dropped connections) becomes a `network` error.
 */
import { BfioError } from '@bfio/core';
import { endpointFromEnv } from './client.js';

interface SdkError {
  name?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
  code?: string;
}

const where = () => {
  const endpoint = endpointFromEnv();
  return endpoint ? ` at ${endpoint}` : '';
};

export function sdkStatus(err: unknown): number | undefined {
  return (err as SdkError)?.$metadata?.httpStatusCode;
}

export function sdkCode(err: unknown): string {
  const e = err as SdkError;
  const code = e?.Code ?? e?.name ?? e?.code ?? 'Error';
  // HEAD answers have no body to name the error: the status says it.
  if (code === 'Unknown' || code === 'UnknownError') {
    const status = sdkStatus(err);
    if (status === 403) return 'Forbidden';
    if (status === 404) return 'NotFound';
  }
  return code;
}

/** True for "there is no such object" (not for a missing bucket). */
export function isNoSuchKey(err: unknown): boolean {
  const code = sdkCode(err);
  return code === 'NoSuchKey' || (code === 'NotFound' && sdkStatus(err) === 404);
}

export function isThrottle(err: unknown): boolean {
  const code = sdkCode(err);
  const status = sdkStatus(err);
  return (
    code === 'SlowDown' ||
    code === 'Throttling' ||
    code === 'ThrottlingException' ||
    code === 'RequestLimitExceeded' ||
    code === 'TooManyRequestsException' ||
    status === 503 ||
    status === 429
  );
}

/** A typed error for an S3 failure on `url` during `action` ('read', 'write', 'list', 'delete'). */
export function s3Error(err: unknown, url: string, action: string): BfioError {
  if (BfioError.isInstance(err)) return err;
  const code = sdkCode(err);
  const status = sdkStatus(err);
  const message = (err as SdkError)?.message ?? String(err);
  const bucket = /^s3:\/\/([^/]+)/.exec(url)?.[1] ?? '?';
  if (code === 'NoSuchBucket') {
    return new BfioError(
      'not-found',
      `${url}: bucket '${bucket}' does not exist${where()}; create it (aws s3 mb s3://${bucket}) or check the bucket name and AWS_ENDPOINT_URL`,
      { file: url, cause: err },
    );
  }
  if (code === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    return new BfioError(
      'access-denied',
      `${url}: no AWS credentials found; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with ~/.aws/credentials`,
      { file: url, cause: err },
    );
  }
  if (
    code === 'AccessDenied' ||
    code === 'InvalidAccessKeyId' ||
    code === 'SignatureDoesNotMatch' ||
    code === 'Forbidden' ||
    status === 403 ||
    status === 401
  ) {
    return new BfioError(
      'access-denied',
      `${url}: access denied (${code}) to ${action}${where()}; check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) and that the credentials may ${action} in bucket '${bucket}'`,
      { file: url, cause: err },
    );
  }
  if (isThrottle(err)) {
    return new BfioError(
      'network',
      `${url}: the object store kept throttling requests (${code}) to ${action}; retry later, or run fewer tasks at once`,
      { file: url, cause: err },
    );
  }
  return new BfioError(
    'network',
    `${url}: could not ${action} (${code}${status ? `, HTTP ${status}` : ''}: ${message})${where()}; check the endpoint and the network, then retry`,
    { file: url, cause: err },
  );
}

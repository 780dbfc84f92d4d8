/**
 * The S3 client, configured as the AWS CLI is: credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or
 * AWS_PROFILE (~/.aws/credentials, ~/.aws/config), region from AWS_REGION / AWS_DEFAULT_REGION / the
 * profile, endpoint from AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL (MinIO, SeaweedFS, Ceph, R2, ...). A custom
 * endpoint gets path-style addressing (what self-hosted servers serve without wildcard DNS) unless
 * AWS_S3_FORCE_PATH_STYLE=false. One client per configuration, so a changed environment gets a new one.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { BfioError } from '@bfio/core';

const clients = new Map<string, S3Client>();

/** The custom endpoint from the environment, if any. */
export function endpointFromEnv(): string | undefined {
  return process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL || undefined;
}

export function s3Client(): S3Client {
  // The SDK warns on every Node 20 process that its releases after January 2027 need Node 22; the version
  // pinned here runs on Node 20, and the warning would land in every CLI run. The user's own setting wins.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const endpoint = endpointFromEnv();
  const region = process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || undefined;
  const pathStyle = endpoint !== undefined && process.env.AWS_S3_FORCE_PATH_STYLE !== 'false';
  const key = JSON.stringify([
    endpoint,
    region,
    pathStyle,
    process.env.AWS_PROFILE,
    process.env.AWS_ACCESS_KEY_ID,
    process.env.AWS_SECRET_ACCESS_KEY,
    process.env.AWS_SESSION_TOKEN,
    process.env.AWS_MAX_ATTEMPTS,
  ]);
  let client = clients.get(key);
  if (!client) {
    client = new S3Client({
      // No region anywhere: us-east-1, as the AWS CLI assumes for S3 (any region works on MinIO).
      region: region ?? (endpoint ? 'us-east-1' : undefined),
      endpoint,
      forcePathStyle: pathStyle,
      // The SDK retries throttling and dropped connections itself (standard mode, with backoff).
      maxAttempts: Number(process.env.AWS_MAX_ATTEMPTS) || 4,
    });
    clients.set(key, client);
  }
  return client;
}

/** Bucket and key of `s3://bucket/key` (the key may be empty: the bucket's root). */
export function parseS3Url(url: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(url);
  if (!m?.[1]) {
    throw new BfioError('invalid-data', `'${url}' is not an S3 URL; write s3://bucket/key`, { file: url });
  }
  return { bucket: m[1], key: m[2] ?? '' };
}

export const s3Url = (bucket: string, key: string): string => `s3://${bucket}/${key}`;

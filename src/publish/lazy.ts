/**
 * S3 (createS3Client, S3Store) and with it the AWS S3 SDK, loaded only by a command that reaches
 * S3: render, a file target and every command that never publishes do without it
 * (bench/README.md, "What costs what").
 */
export async function loadS3(): Promise<typeof import('./s3.js')> {
  return import('./s3.js');
}

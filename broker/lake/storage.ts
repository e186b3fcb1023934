// The lake seam: where committed runs live. `file://` now; `s3://` joins later behind the
// same interface. Only committed runs (those with a manifest) are ever read by the broker.
export type StoredObject = { key: string; size: number };

export interface LakeStorage {
  /** The URI of the lake root, e.g. file:///data/lake or s3://bucket/prefix. */
  readonly rootUri: string;
  /** URI of `key` below the root, as Spark should see it. */
  uri(key: string): string;
  read(key: string): Promise<Buffer | undefined>;
  /** Bytes [start, end) of an object that exists (a Parquet reader fetches footers and row groups this way). */
  readRange(key: string, start: number, end: number): Promise<Buffer>;
  write(key: string, body: Buffer | string): Promise<void>;
  list(prefix: string): Promise<StoredObject[]>;
  delete(prefix: string): Promise<void>;
  /** Releases clients and sockets (S3); a no-op for folders. */
  close?(): void;
}

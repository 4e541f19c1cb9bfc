// The storage port: the subset of the MongoDB collection API the desk uses.
// Repositories speak only this, as MongoDB filter / update / pipeline
// documents, so the embedded engine (mingo) and the mongo engine (mongoose)
// run the very same queries.

export type Doc = { _id: string };
export type Filter = Record<string, unknown>;
export type UpdateDoc = Record<string, unknown>;
export type Sort = Record<string, 1 | -1>;
export type Projection = Record<string, 0 | 1>;
export type Pipeline = Record<string, unknown>[];

export interface FindOptions {
  sort?: Sort;
  limit?: number;
  skip?: number;
  projection?: Projection;
  /**
   * The caller only reads the documents and never modifies them (nor any
   * value in them): the embedded engine then hands over its stored documents
   * instead of copies, which over hundreds of thousands of documents saves
   * most of the query's time and garbage. MongoDB ignores it.
   */
  readOnly?: boolean;
}

export interface FindOneAndUpdateOptions {
  /** On insert the update must set `_id` (through $setOnInsert): ids are always ours, never engine-made. */
  upsert?: boolean;
  returnDocument?: 'before' | 'after';
  sort?: Sort;
}

export interface UpdateResult {
  matchedCount: number;
  modifiedCount: number;
  upsertedId: string | null;
}

export interface Collection<T extends Doc> {
  readonly name: string;
  insertOne(doc: T): Promise<T>;
  insertMany(docs: T[]): Promise<void>;
  findOne(filter: Filter, options?: Pick<FindOptions, 'sort' | 'projection'>): Promise<T | null>;
  find(filter: Filter, options?: FindOptions): Promise<T[]>;
  findOneAndUpdate(filter: Filter, update: UpdateDoc, options?: FindOneAndUpdateOptions): Promise<T | null>;
  updateOne(filter: Filter, update: UpdateDoc, options?: { upsert?: boolean }): Promise<UpdateResult>;
  updateMany(filter: Filter, update: UpdateDoc): Promise<UpdateResult>;
  deleteMany(filter: Filter): Promise<number>;
  countDocuments(filter?: Filter): Promise<number>;
  aggregate<R = Record<string, unknown>>(pipeline: Pipeline): Promise<R[]>;
}

/** Thrown by every engine when a unique index would be violated (MongoDB's E11000). */
export class DuplicateKeyError extends Error {
  readonly code = 11000;
  constructor(
    readonly collection: string,
    readonly key: Record<string, unknown>,
  ) {
    super(`E11000 duplicate key in ${collection}: ${JSON.stringify(key)}`);
    this.name = 'DuplicateKeyError';
  }
}

export interface IndexSpec {
  key: Record<string, 1 | -1>;
  unique?: boolean;
  /** Unique only among documents where every key field is a non-null value (MongoDB partialFilterExpression with $type). */
  sparse?: boolean;
}

export interface Store {
  readonly kind: 'embedded' | 'mongo';
  collection<T extends Doc>(name: string): Collection<T>;
  /** Resolves when the store answers; rejects otherwise (readiness). */
  ping(): Promise<void>;
  /**
   * Runs `work`, one unit such as a webhook's messages, and resolves once
   * everything it changed is durable. The embedded engine on disk answers the
   * unit's calls as soon as memory has them and waits for the disk once, for
   * the whole unit, instead of once per call; so nothing may leave the process
   * from inside `work` except through afterDurable. MongoDB: just runs it.
   */
  batch<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Runs `effect` (a live update, a job handed over: something that leaves
   * the process) once every change recorded so far is durable, in the order
   * effects were raised, outside any batch. At once, with its result, when
   * nothing is waiting for the disk; otherwise later, through the promise
   * returned, which rejects without running it when the store cannot write.
   */
  afterDurable<T>(effect: () => T): T | Promise<T>;
  close(): Promise<void>;
}

// The MongoDB engine: the store port through mongoose models (one per
// collection, schemas in mongoSchemas.ts). Filters, updates and pipelines
// are the repositories' own documents, passed through; updates run the
// schemas' validators; results are lean plain objects (string `_id`, Dates
// as Date), exactly what the embedded engine returns.
import mongoose, { type Model } from 'mongoose';
import { COLLECTIONS, INDEXES } from './collections.js';
import { schemaFor } from './mongoSchemas.js';
import {
  DuplicateKeyError,
  type Collection,
  type Doc,
  type Filter,
  type FindOneAndUpdateOptions,
  type FindOptions,
  type IndexSpec,
  type Pipeline,
  type Store,
  type UpdateDoc,
  type UpdateResult,
} from './port.js';

/** The port's documents are typed by the repositories; to mongoose every collection holds plain records. */
type DocumentModel = Model<Record<string, unknown>>;

type LogFn = (objOrMessage: object | string, message?: string) => void;

export interface StoreLogger {
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

export interface MongoStoreOptions {
  logger: StoreLogger;
  /** Overrides the database named in the URI. */
  dbName?: string;
  /** How long start-up waits for a reachable server before giving up (ms). */
  serverSelectionTimeoutMS?: number;
  /** Indexes per collection; defaults to the desk's INDEXES. */
  indexes?: Record<string, IndexSpec[]>;
  /** How long ping() (readiness) waits for an answer (ms). */
  pingTimeoutMS?: number;
}

/** The mongo engine also lends its database to what lives beside the collections (the media GridFS bucket). */
export interface MongoStore extends Store {
  readonly kind: 'mongo';
  database(): NonNullable<mongoose.Connection['db']>;
}

export function isMongoStore(store: Store): store is MongoStore {
  return store.kind === 'mongo' && typeof (store as Partial<MongoStore>).database === 'function';
}

export async function createMongoStore(uri: string, options: MongoStoreOptions): Promise<MongoStore> {
  const { logger } = options;
  const where = redactUri(uri);
  const indexes: Record<string, IndexSpec[]> = options.indexes ?? INDEXES;
  const connection = mongoose.createConnection(uri, {
    ...(options.dbName ? { dbName: options.dbName } : {}),
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 10_000,
    autoIndex: false,
  });

  let state: 'starting' | 'open' | 'closing' = 'starting';
  // A listener must exist before any 'error' is emitted, or the EventEmitter throws it.
  connection.on('error', (error: unknown) => {
    if (state === 'open') logger.error({ err: error, mongo: where }, 'MongoDB connection error');
  });
  connection.on('disconnected', () => {
    if (state === 'open') logger.warn({ mongo: where }, 'MongoDB disconnected; operations wait for the driver to reconnect');
  });
  connection.on('reconnected', () => logger.info({ mongo: where }, 'MongoDB reconnected'));

  try {
    await connection.asPromise();
  } catch (error) {
    await connection.close(true).catch(() => {});
    throw new Error(`MongoDB unreachable at ${where}: ${reasonOf(error)}`, { cause: error });
  }
  state = 'open';

  const collections = new Map<string, MongoCollection>();
  const collectionNamed = (name: string): MongoCollection => {
    let collection = collections.get(name);
    if (!collection) {
      const model = connection.model(name, schemaFor(name, indexes[name] ?? []), name) as unknown as DocumentModel;
      collection = new MongoCollection(name, model);
      collections.set(name, collection);
    }
    return collection;
  };

  // Build every declared index before serving, so unique constraints hold from the first write.
  // createIndexes (not syncIndexes): it never drops an index, which keeps several instances
  // starting at once, or an index an operator added by hand, safe.
  try {
    const names = new Set<string>([...Object.values(COLLECTIONS), ...Object.keys(indexes)]);
    for (const name of names) await collectionNamed(name).model.createIndexes();
  } catch (error) {
    await connection.close(true).catch(() => {});
    throw new Error(`MongoDB at ${where}: building indexes failed: ${reasonOf(error)}`, { cause: error });
  }
  logger.info({ mongo: where, db: connection.name }, 'MongoDB store ready');

  return {
    kind: 'mongo',
    database() {
      if (!connection.db) throw new Error(`MongoDB at ${where} is not connected`);
      return connection.db;
    },
    collection: <T extends Doc>(name: string) => collectionNamed(name) as unknown as Collection<T>,
    async ping() {
      const db = connection.db;
      if (!db) throw new Error(`MongoDB at ${where} is not connected`);
      // While the server is away the driver waits for server selection; readiness must answer sooner.
      const timeoutMs = options.pingTimeoutMS ?? 2_000;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`MongoDB at ${where} did not answer a ping within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([db.command({ ping: 1 }), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    // Every MongoDB write is acknowledged by the server before it answers: nothing to hold back.
    batch: (work) => work(),
    afterDurable: (effect) => effect(),
    async close() {
      state = 'closing';
      await connection.close();
    },
  };
}

class MongoCollection implements Collection<Doc> {
  constructor(
    readonly name: string,
    readonly model: DocumentModel,
  ) {}

  async insertOne(doc: Doc): Promise<Doc> {
    const created = await this.run(() => this.model.create(doc));
    return created.toObject() as unknown as Doc;
  }

  /** Ordered, like the driver's default: documents before a failing one stay inserted. */
  async insertMany(docs: Doc[]): Promise<void> {
    if (docs.length === 0) return;
    await this.run(() => this.model.insertMany(docs, { ordered: true }));
  }

  async findOne(filter: Filter, options: Pick<FindOptions, 'sort' | 'projection'> = {}): Promise<Doc | null> {
    let query = this.model.findOne(filter, options.projection ?? null);
    if (options.sort) query = query.sort(options.sort);
    return (await this.run(() => query.lean().exec())) as Doc | null;
  }

  async find(filter: Filter, options: FindOptions = {}): Promise<Doc[]> {
    let query = this.model.find(filter, options.projection ?? null);
    if (options.sort) query = query.sort(options.sort);
    if (options.skip) query = query.skip(options.skip);
    if (options.limit) query = query.limit(options.limit);
    return (await this.run(() => query.lean().exec())) as Doc[];
  }

  async findOneAndUpdate(filter: Filter, update: UpdateDoc, options: FindOneAndUpdateOptions = {}): Promise<Doc | null> {
    if (options.upsert) requireUpsertId(this.name, filter, update);
    const result = await this.run(() =>
      this.model
        .findOneAndUpdate(filter, update, {
          upsert: options.upsert ?? false,
          // The driver's default, stated so a global mongoose setting cannot change it.
          returnDocument: options.returnDocument ?? 'before',
          ...(options.sort ? { sort: options.sort } : {}),
          runValidators: true,
        })
        .lean()
        .exec(),
    );
    return result as Doc | null;
  }

  async updateOne(filter: Filter, update: UpdateDoc, options: { upsert?: boolean } = {}): Promise<UpdateResult> {
    if (options.upsert) requireUpsertId(this.name, filter, update);
    const result = await this.run(() => this.model.updateOne(filter, update, { upsert: options.upsert ?? false, runValidators: true }).exec());
    return { matchedCount: result.matchedCount, modifiedCount: result.modifiedCount, upsertedId: result.upsertedId == null ? null : String(result.upsertedId) };
  }

  async updateMany(filter: Filter, update: UpdateDoc): Promise<UpdateResult> {
    const result = await this.run(() => this.model.updateMany(filter, update, { runValidators: true }).exec());
    return { matchedCount: result.matchedCount, modifiedCount: result.modifiedCount, upsertedId: null };
  }

  async deleteMany(filter: Filter): Promise<number> {
    const result = await this.run(() => this.model.deleteMany(filter).exec());
    return result.deletedCount;
  }

  async countDocuments(filter: Filter = {}): Promise<number> {
    return this.run(() => this.model.countDocuments(filter).exec());
  }

  async aggregate<R = Record<string, unknown>>(pipeline: Pipeline): Promise<R[]> {
    return this.run(() => this.model.aggregate<R>(pipeline as unknown as mongoose.PipelineStage[]).exec());
  }

  /** MongoDB's E11000 becomes the port's DuplicateKeyError, whichever operation raised it. */
  private async run<V>(operation: () => Promise<V>): Promise<V> {
    try {
      return await operation();
    } catch (error) {
      if (isDuplicateKey(error)) throw new DuplicateKeyError(this.name, duplicateKeyValue(error));
      throw error;
    }
  }
}

interface MongoErrorShape {
  code?: unknown;
  keyValue?: unknown;
  writeErrors?: Array<{ code?: unknown; err?: { keyValue?: unknown } }>;
}

function isDuplicateKey(error: unknown): error is MongoErrorShape {
  if (typeof error !== 'object' || error === null) return false;
  const shape = error as MongoErrorShape;
  return shape.code === 11000 || (Array.isArray(shape.writeErrors) && shape.writeErrors.some((w) => w.code === 11000));
}

function duplicateKeyValue(error: MongoErrorShape): Record<string, unknown> {
  const keyValue = error.keyValue ?? error.writeErrors?.find((w) => w.code === 11000)?.err?.keyValue;
  return typeof keyValue === 'object' && keyValue !== null ? (keyValue as Record<string, unknown>) : {};
}

/**
 * Ids are always ours: an upsert that could insert must name its `_id`
 * (filter equality or $setOnInsert), or MongoDB would make an ObjectId.
 * The embedded engine refuses the same upserts.
 */
function requireUpsertId(collection: string, filter: Filter, update: UpdateDoc): void {
  const fromUpdate = (update.$setOnInsert as Record<string, unknown> | undefined)?._id;
  if (typeof fromUpdate !== 'string' && !filterNamesId(filter)) {
    throw new TypeError(`${collection}: an upsert must set a string _id (in the filter or through $setOnInsert); ids are always ours, never engine-made`);
  }
}

/** An equality on `_id` (`{_id: 'x'}`, `{_id: {$eq: 'x'}}`, also inside `$and`), which MongoDB copies into an upserted document. */
function filterNamesId(filter: Filter): boolean {
  const id = filter._id;
  if (typeof id === 'string') return true;
  if (typeof id === 'object' && id !== null && typeof (id as Record<string, unknown>).$eq === 'string') return true;
  const and = filter.$and;
  return Array.isArray(and) && and.some((part) => typeof part === 'object' && part !== null && filterNamesId(part as Filter));
}

/** The URI as it may appear in logs and errors: no password. */
export function redactUri(uri: string): string {
  try {
    const url = new URL(uri);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return uri.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@');
  }
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

import mongoose from 'mongoose';
import type { MediaStore } from './port.js';

type Db = NonNullable<mongoose.Connection['db']>;

/**
 * A GridFS bucket ("media") in the desk's MongoDB database, through the
 * driver mongoose carries. One file per key (its filename); a write uploads
 * the new file first and only then removes older ones, so a reader never
 * finds the key missing.
 */
export function createGridFsMediaStore(db: Db, bucketName = 'media'): MediaStore {
  const bucket = new mongoose.mongo.GridFSBucket(db, { bucketName });

  return {
    kind: 'gridfs',
    async put(key, bytes) {
      const upload = bucket.openUploadStream(key);
      await new Promise<void>((resolve, reject) => {
        upload.once('finish', () => resolve());
        upload.once('error', reject);
        upload.end(bytes);
      });
      const older = await bucket.find({ filename: key, _id: { $ne: upload.id } }).toArray();
      for (const file of older) await bucket.delete(file._id).catch(() => {});
    },
    async get(key) {
      const [file] = await bucket.find({ filename: key }).sort({ uploadDate: -1 }).limit(1).toArray();
      if (!file) return null;
      return { size: file.length, stream: () => bucket.openDownloadStream(file._id) };
    },
    async close() {},
  };
}

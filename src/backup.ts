// `npm run backup -- <target directory>`: a consistent copy of DATA_DIR,
// taken while the desk runs (or not). See README, "Storage".
import { backupDataDir } from './store/embeddedBackup.js';

const target = process.argv[2];
const dataDir = process.env.DATA_DIR?.trim() || './data';
if (!target || process.argv.length > 3) {
  console.error('usage: npm run backup -- <target directory>   (copies DATA_DIR, default ./data)');
  process.exit(2);
}
if (dataDir === 'memory') {
  console.error('DATA_DIR=memory keeps nothing on disk: there is nothing to back up');
  process.exit(1);
}
try {
  const { target: written, bytes, mediaFiles } = await backupDataDir(dataDir, target);
  console.log(`backed up ${dataDir} to ${written} (${Math.ceil(bytes / 1024)} KiB, ${mediaFiles} media files); start a desk with DATA_DIR=${written} to use it`);
} catch (error) {
  console.error(`backup failed: ${(error as Error).message}`);
  process.exit(1);
}

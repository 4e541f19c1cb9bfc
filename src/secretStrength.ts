// Minimum lengths for secrets. A short secret is guessable: `ADMIN_TOKEN=a`
// made `Bearer a` an admin. In production a secret below its minimum stops
// start-up with one line naming the setting; elsewhere it is a warning, so a
// laptop can run with `ADMIN_TOKEN=dev`.
import { ConfigError, type Config } from './config.js';

export const ADMIN_TOKEN_MIN = 32;
export const SECRET_MIN = 16;

export interface SecretSetting {
  setting: string;
  value: string | null | undefined;
  min: number;
}

/** The desk's own secrets with their minimums. */
export function coreSecrets(config: Pick<Config, 'adminToken' | 'metricsToken' | 'whatsapp'>): SecretSetting[] {
  return [
    { setting: 'ADMIN_TOKEN', value: config.adminToken, min: ADMIN_TOKEN_MIN },
    { setting: 'WHATSAPP_APP_SECRET', value: config.whatsapp.appSecret, min: SECRET_MIN },
    { setting: 'WHATSAPP_VERIFY_TOKEN', value: config.whatsapp.verifyToken, min: SECRET_MIN },
    { setting: 'METRICS_TOKEN', value: config.metricsToken, min: SECRET_MIN },
  ];
}

/** The settings a plugin declares as secrets (`DeskPlugin.secrets`), read from the environment. */
export function pluginSecrets(plugins: ReadonlyArray<{ secrets?: readonly string[] }>, env: Record<string, string | undefined>): SecretSetting[] {
  return plugins.flatMap((p) => (p.secrets ?? []).map((setting) => ({ setting, value: env[setting], min: SECRET_MIN })));
}

/**
 * Production: throws ConfigError for the first secret that is set but too
 * short. Otherwise: returns one warning per such secret.
 */
export function checkSecretStrength(secrets: SecretSetting[], isProduction: boolean): string[] {
  const weak = secrets.filter((s) => s.value != null && s.value !== '' && [...s.value].length < s.min);
  if (isProduction && weak[0]) {
    throw new ConfigError(weak[0].setting, `must be at least ${weak[0].min} characters in production (got ${[...weak[0].value!].length})`);
  }
  return weak.map((s) => `${s.setting} is shorter than ${s.min} characters: start-up will refuse it with NODE_ENV=production`);
}

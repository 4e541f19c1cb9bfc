// Start-up: read config, build the app, listen, shut down cleanly.
import { ConfigError, loadConfig } from './config.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }

  let app;
  try {
    // Loaded only once the settings are known good, so a bad one fails fast.
    const { createApp } = await import('./app.js');
    app = await createApp({ config });
  } catch (error) {
    // Plugin settings are validated at start-up too: one line, naming the setting.
    console.error((error as Error).message);
    process.exit(1);
  }
  let url: string;
  try {
    url = await app.listen();
  } catch (error) {
    // One line, like a bad setting: a busy port or an unknown HOST is the operator's to fix, not a stack trace.
    console.error(listenFailure(error, config.host, config.port));
    await app.close().catch(() => undefined);
    process.exit(1);
  }
  app.logger.info(`GraphQL ready at ${url}/graphql (WebSocket subscriptions on the same URL)`);
  if (app.consoleBuilt) app.logger.info(`Agent console at ${url}/ (the first admin signs in with the admin token as "Access token")`);
  else app.logger.warn(`The agent console is not built: run \`npm run build\` to serve it at ${url}/`);
  if (app.generatedAdminToken) {
    // Printed once, on purpose outside the structured log, so it is easy to copy.
    console.log(
      `\nADMIN_TOKEN was not set; generated an admin token for this run:\n\n  ${app.generatedAdminToken}\n\n` +
        `Open ${url}/ and sign in with it as "Access token" (then create agents under Admin).\nSet ADMIN_TOKEN to keep a stable one.\n`,
    );
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.logger.info({ signal }, 'shutting down: finishing in-flight requests and jobs');
    const deadline = setTimeout(() => {
      app.logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + 5_000);
    deadline.unref();
    try {
      await app.close();
      app.logger.info('shut down cleanly');
      process.exit(0);
    } catch (error) {
      app.logger.error({ err: error }, 'error while shutting down');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

/** What a failed listen() means, in one line naming the setting to change. */
function listenFailure(error: unknown, host: string, port: number): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return `Cannot listen on ${host}:${port}: the port is already in use (set PORT to a free one)`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EADDRNOTAVAIL') return `Cannot listen on ${host}:${port}: HOST "${host}" is not an address of this machine or cannot be resolved (set HOST)`;
  if (code === 'EACCES') return `Cannot listen on ${host}:${port}: permission denied (ports below 1024 need privileges; set PORT)`;
  return `Cannot listen on ${host}:${port}: ${(error as Error).message}`;
}

void main();

// The WhatsApp payloads tests replay: Meta's shapes as docs/whatsapp.md
// describes them, kept in the repository so a clone anywhere runs its tests.
import { readFileSync } from 'node:fs';

export const whatsappFixtures = new URL('../fixtures/whatsapp/', import.meta.url);

/** The raw bytes of a fixture, as Meta would post them (signatures are over these). */
export function whatsappFixtureBytes(name: string): Buffer {
  return readFileSync(new URL(name, whatsappFixtures));
}

export function whatsappFixture<T = unknown>(name: string): T {
  return JSON.parse(whatsappFixtureBytes(name).toString('utf8')) as T;
}

import { parsePhoneNumber } from 'awesome-phonenumber';

/** A WhatsApp id (digits, country code first) as people write it, and its region when the number plan knows it. */
export function phoneOf(waId: string): { display: string; region: string | null } {
  const parsed = parsePhoneNumber(`+${waId}`);
  return { display: parsed.number?.international ?? `+${waId}`, region: parsed.regionCode ?? null };
}

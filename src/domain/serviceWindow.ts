// WhatsApp's customer-service window: free-form messages are allowed for 24
// hours after the customer's last message; after that, only templates.
export const SERVICE_WINDOW_MS = 24 * 60 * 60 * 1000;

export function serviceWindowExpiresAt(lastCustomerMessageAt: Date | null): Date | null {
  return lastCustomerMessageAt ? new Date(lastCustomerMessageAt.getTime() + SERVICE_WINDOW_MS) : null;
}

export function isServiceWindowOpen(lastCustomerMessageAt: Date | null, now: Date): boolean {
  const expires = serviceWindowExpiresAt(lastCustomerMessageAt);
  return expires !== null && now < expires;
}

/** How far ahead of our clock a customer's send time is still believed (ordinary clock skew). */
export const MAX_SENT_AHEAD_MS = 5 * 60 * 1000;

/**
 * The send time the window and metrics run from. Meta's `timestamp` is the
 * customer's send time and normally a little before arrival; one beyond
 * arrival + 5 minutes (a signed message dated 2099) would hold the window
 * open until then, so arrival time is used instead.
 */
export function customerSentAt(timestamp: Date, arrivedAt: Date): Date {
  return timestamp.getTime() > arrivedAt.getTime() + MAX_SENT_AHEAD_MS ? arrivedAt : timestamp;
}

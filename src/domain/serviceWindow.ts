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

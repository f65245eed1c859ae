/** What identifies a customer inside a raw payload: their id in its JSON forms, and their address. */
export const needlesFor = (customerId: string, email: string | null): string[] => [
  `:${customerId},`,
  `:${customerId}}`,
  `"${customerId}"`,
  `/Customer/${customerId}"`,
  ...(email ? [email] : []),
];

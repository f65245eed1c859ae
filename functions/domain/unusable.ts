/**
 * A change that can never be applied as given — an amount beyond what can be counted exactly, a
 * customer record that would outgrow its item — so retrying cannot help. The webhook function
 * quarantines the delivery and answers 200 instead of failing (Shopify would retry a 5xx for
 * hours and may then remove the subscription).
 */
export class UnusableChange extends RangeError {
  override name = 'UnusableChange';
}

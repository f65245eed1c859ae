import { describe, expect, it } from 'vitest';
import { aggregateKey, customerPk, orderLinkKey, shopOfCustomerPk } from '#adapters/store/keys.ts';

describe('shopOfCustomerPk', () => {
  it('reads the shop back from a customer partition key the key builders made', () => {
    expect(shopOfCustomerPk(customerPk('bakery-demo.myshopify.com', '7001'))).toBe(
      'bakery-demo.myshopify.com',
    );
    expect(shopOfCustomerPk(aggregateKey('a-b.myshopify.com', '1').pk)).toBe('a-b.myshopify.com');
  });

  it('answers null for a key of another family', () => {
    expect(shopOfCustomerPk(orderLinkKey('bakery-demo.myshopify.com', '9001').pk)).toBeNull();
    expect(shopOfCustomerPk('SHOP#bakery-demo.myshopify.com')).toBeNull();
  });
});

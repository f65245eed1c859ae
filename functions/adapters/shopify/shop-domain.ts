/** The shop-domain pattern belongs to the domain (the sending policy validates shops by it too). */
export { SHOP_DOMAIN } from '#domain/shop-domain.ts';

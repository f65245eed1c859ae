/** A Shopify shop domain, as the `X-Shopify-Shop-Domain` header sends it: one lower-case label, then .myshopify.com. */
export const SHOP_DOMAIN = /^[a-z0-9][a-z0-9-]{0,99}\.myshopify\.com$/;

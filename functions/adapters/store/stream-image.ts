/**
 * A table's stream image (DynamoDB JSON: attribute name → attribute value) as Lambda hands it to
 * a function. The local stream poller reads images off the wire and the redrive command through
 * the SDK; both hand them to the evaluate function, so both convert them here.
 */

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** One attribute value: `{}` stands for an empty map; maps and lists are repaired inside. */
const repairValue = (value: unknown): unknown => {
  if (!isObject(value)) return value;
  if (Object.keys(value).length === 0) return { M: {} };
  if ('M' in value) return { ...value, M: repairImage(value.M) };
  if (Array.isArray(value.L)) return { ...value, L: value.L.map(repairValue) };
  return value;
};

/**
 * DynamoDB Local writes an empty map attribute as `{}` in stream images, where DynamoDB Streams
 * sends `{"M":{}}` (the table item itself is right). Repairs an image so functions see what AWS
 * sends; an image as AWS sends it is left as it is.
 */
export const repairImage = (image: unknown): unknown =>
  isObject(image)
    ? Object.fromEntries(Object.entries(image).map(([name, v]) => [name, repairValue(v)]))
    : image;

/** Binary values as Lambda's JSON carries them: base64 strings (bytes as JSON would be an object of numbers). */
const binaryAsBase64 = (value: unknown): unknown => {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(binaryAsBase64);
  if (!isObject(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, binaryAsBase64(v)]));
};

/**
 * An image read with the SDK (GetRecords' `NewImage`/`OldImage`: binary attributes as bytes) in
 * the shape Lambda's event carries it, repaired when it comes from DynamoDB Local.
 */
export const toLambdaImage = (image: unknown): unknown => binaryAsBase64(repairImage(image));

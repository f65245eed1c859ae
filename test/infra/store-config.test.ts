import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../lib/build-app.ts';
import { PROJECT_ROOT } from '../../lib/paths.ts';
import { StoreConfigFile } from '../../lib/store-config.ts';
import { CDK_JSON_CONTEXT } from '../support/cdk-context.ts';

const cdkContext = CDK_JSON_CONTEXT;
const dir = mkdtempSync(join(tmpdir(), 'store-'));
const STORE = {
  shop: 'rum-baba-bakery.myshopify.com',
  brand: 'Rum Baba Bakery',
  sender: { address: 'hello@rumbaba.shop', replyTo: 'care@rumbaba.shop' },
  postalAddress: '4-5-6 Ebisu, Shibuya-ku, Tokyo 150-0013, Japan',
  timeZone: 'Asia/Tokyo',
  catalog: 'catalog.json',
};
copyFileSync(join(PROJECT_ROOT, 'journeys/bakery-catalog.json'), join(dir, 'catalog.json'));
const storeFile = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(content));
  return path;
};
const synth = (context: Record<string, unknown>) =>
  buildApp({ context: { ...cdkContext, ...context } }).stack;

describe('a store file', () => {
  it('is all a real deploy needs: the shop, brand, sender, postal address and time zone come from it', () => {
    const template = Template.fromStack(synth({ 'loyaltyLoop:storeConfig': storeFile('ok.json', STORE) }));
    const [action] = Object.values(
      template.findResources('AWS::Lambda::Function', {
        Properties: {
          Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'loyalty-loop-action' }) },
        },
      }),
    );

    expect(action?.Properties.Environment.Variables).toMatchObject({
      SENDER_ADDRESS: 'hello@rumbaba.shop',
      SENDER_NAME: 'Rum Baba Bakery',
      BRAND_NAME: 'Rum Baba Bakery',
      REPLY_TO_ADDRESS: 'care@rumbaba.shop',
      POSTAL_ADDRESS: STORE.postalAddress,
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SHOPS: 'rum-baba-bakery.myshopify.com' }) },
    });
    template.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'rumbaba.shop' });
  });

  it('names the file and the field of every problem', () => {
    const bad = storeFile('bad.json', { ...STORE, shop: 'rumbaba.shop', timeZone: 'Tokyo', extra: 1 });

    expect(() => synth({ 'loyaltyLoop:storeConfig': bad })).toThrow(
      new RegExp(
        `${bad}: shop: expected the store's \\*\\.myshopify\\.com domain[\\s\\S]*${bad}: timeZone: an IANA time zone[\\s\\S]*Unrecognized key`,
      ),
    );
    expect(() => synth({ 'loyaltyLoop:storeConfig': join(dir, 'missing.json') })).toThrow(
      /loyaltyLoop:storeConfig: .*missing\.json: ENOENT/,
    );
  });

  it('refuses a value given both as context and in the file, differently', () => {
    expect(() =>
      synth({
        'loyaltyLoop:storeConfig': storeFile('ok2.json', STORE),
        'loyaltyLoop:senderAddress': 'other@rumbaba.shop',
      }),
    ).toThrow(
      /loyaltyLoop:senderAddress: "other@rumbaba\.shop" as context, "hello@rumbaba\.shop" in .*ok2\.json: give it once/,
    );
  });

  it('checks the journeys against the store’s catalog: a product it does not sell stops the synth', () => {
    const catalog = JSON.parse(readFileSync(join(dir, 'catalog.json'), 'utf8')) as {
      products: { title: string }[];
    };
    writeFileSync(
      join(dir, 'no-rum-baba.json'),
      JSON.stringify({
        ...catalog,
        products: catalog.products.filter((p) => !p.title.startsWith('Rum Baba')),
      }),
    );

    expect(() =>
      synth({
        'loyaltyLoop:storeConfig': storeFile('partial.json', { ...STORE, catalog: 'no-rum-baba.json' }),
      }),
    ).toThrow(
      /^invalid journey configuration \(against .*partial\.json's catalog\):\n {2}- rum-baba-fans\.stages\[\d\]\.when.*unknown product id "8001000000001"/,
    );
  });

  it('as documented (docs/store.example.json) is valid', () => {
    expect(
      StoreConfigFile.safeParse(
        JSON.parse(readFileSync(join(PROJECT_ROOT, 'docs/store.example.json'), 'utf8')),
      ).success,
    ).toBe(true);
  });

  it('without one, a real deploy must name its shops', () => {
    expect(() =>
      synth({
        'loyaltyLoop:senderAddress': 'hello@rumbaba.shop',
        'loyaltyLoop:postalAddress': STORE.postalAddress,
      }),
    ).toThrow(/loyaltyLoop:shops: no shops: -c loyaltyLoop:shops=your-shop\.myshopify\.com/);
  });
});

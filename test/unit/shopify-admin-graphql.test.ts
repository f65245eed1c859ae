import { describe, expect, it } from 'vitest';
import { type PreparedRequest, prepareRequest, requestedCost } from '../../local/shopify-admin/graphql.ts';
import { argumentValue, parseGraphql } from '../../local/shopify-admin/graphql-parse.ts';
import { type Connection, connection } from '../../local/shopify-admin/paging.ts';
import { searchPredicate } from '../../local/shopify-admin/search-query.ts';
import { parseLossless, ShopData } from '../../local/shopify-admin/store.ts';

const prepared = (query: string, variables: Record<string, unknown> = {}): PreparedRequest => {
  const request = prepareRequest({ query, variables });
  if ('errors' in request) throw new Error(request.errors[0]?.message);
  return request;
};

describe('parseGraphql', () => {
  it('reads a bulk mutation whose query argument is a block string', () => {
    // Arrange
    const source = `mutation {
      bulkOperationRunQuery(query: """
        { orders(query: "updated_at:>'2026-01-01'") { edges { node { id } } } }
      """) { bulkOperation { id status } userErrors { field message } }
    }`;

    // Act
    const [operation] = parseGraphql(source).operations;

    // Assess
    const field = operation?.selections[0];
    expect(operation?.type).toBe('mutation');
    expect(field?.kind === 'field' && argumentValue(field.args.query, {})).toBe(
      `{ orders(query: "updated_at:>'2026-01-01'") { edges { node { id } } } }`,
    );
  });

  it('reads aliases, variables with defaults, comments, fragments and inline fragments', () => {
    // Arrange
    const source = `# reconciliation page
      query page($first: Int = 25, $after: String) {
        recent: orders(first: $first, after: $after, sortKey: UPDATED_AT) { ...Page }
        node(id: "gid://shopify/BulkOperation/1") { ... on BulkOperation { status } }
      }
      fragment Page on OrderConnection { pageInfo { hasNextPage } }`;

    // Act
    const document = parseGraphql(source);

    // Assess
    const [operation] = document.operations;
    const [orders] = operation?.selections ?? [];
    expect(orders).toMatchObject({ kind: 'field', name: 'orders', alias: 'recent' });
    if (orders?.kind !== 'field') throw new Error('orders is a field');
    expect(argumentValue(orders.args.first, {}, operation?.variableDefaults)).toBe(25);
    expect(argumentValue(orders.args.first, { first: 5 }, operation?.variableDefaults)).toBe(5);
    expect(argumentValue(orders.args.sortKey, {})).toBe('UPDATED_AT');
    expect(Object.keys(document.fragments)).toEqual(['Page']);
  });

  it.each([['{ orders(first: 1) { edges '], ['query { orders(first: "x) }'], ['subscription { x }']])(
    'refuses %s as a syntax error',
    (source) => {
      expect(prepareRequest({ query: source })).toMatchObject({ errors: [{ message: expect.any(String) }] });
    },
  );
});

describe('requestedCost', () => {
  it.each([
    ['a scalar-only object', '{ shop { name } }', 1],
    ['a connection of 10 nodes', '{ orders(first: 10) { edges { node { id } } } }', 12],
    [
      'pageInfo is free',
      '{ orders(first: 10) { edges { cursor node { id } } pageInfo { hasNextPage } } }',
      12,
    ],
    [
      'a nested connection multiplies',
      '{ orders(first: 10) { edges { node { id lineItems(first: 5) { edges { node { id } } } } } } }',
      2 + 10 * (1 + 2 + 5),
    ],
    ['a mutation', 'mutation { webhookSubscriptionDelete(id: "x") { userErrors { message } } }', 10],
  ])('costs %s as Shopify counts it', (_name, query, cost) => {
    expect(requestedCost(prepared(query))).toBe(cost);
  });

  it('takes page sizes from variables', () => {
    const query = 'query q($n: Int!) { customers(first: $n) { nodes { id } } }';

    expect(requestedCost(prepared(query, { n: 100 }))).toBe(2 + 100);
  });
});

describe('searchPredicate', () => {
  const record = {
    id: 'gid://shopify/Order/10',
    updatedAt: '2026-03-01T00:00:00Z',
    createdAt: '2026-01-01T09:00:00+09:00',
  };

  it.each([
    ["updated_at:>'2026-02-01T00:00:00Z'", true],
    ["updated_at:>'2026-03-01T00:00:00Z'", false],
    ["updated_at:>='2026-03-01T00:00:00Z'", true],
    ['updated_at:<2026-03-02', true],
    ["created_at:<'2026-01-01T00:00:00Z'", false],
    ["created_at:<='2026-01-01T00:00:00Z' AND updated_at:>2026-01-01", true],
    ['id:>9 status:any', true],
    ['id:<=9', false],
    ['', true],
  ])('%s → %s', (query, expected) => {
    expect(searchPredicate(query)(record)).toBe(expected);
  });

  it.each(['email:a@example.com', 'updated_at:>soon', 'tag:vip OR tag:new'])('refuses %s loudly', (query) => {
    expect(() => searchPredicate(query)).toThrow(/not supported|not a date/);
  });
});

describe('connection', () => {
  const orders = Array.from({ length: 7 }, (_, i) => ({
    id: `gid://shopify/Order/${100 - i}`,
    updatedAt: `2026-01-0${1 + (i % 3)}T00:00:00.000Z`,
  }));
  const byUpdatedAt = (o: { updatedAt: string }) => o.updatedAt;

  it('pages through every item once, in sort order, with cursors that survive a new item', () => {
    // Arrange
    const seen: string[] = [];
    let after: string | null = null;
    const items = [...orders];

    // Act
    for (let page = 0; page < 10; page++) {
      const result: Connection<(typeof items)[number]> = connection(items, { first: 3, after }, byUpdatedAt);
      seen.push(...result.nodes.map((n) => n.id));
      if (page === 0) items.push({ id: 'gid://shopify/Order/1', updatedAt: '2025-12-31T00:00:00.000Z' });
      if (!result.pageInfo.hasNextPage) break;
      after = result.pageInfo.endCursor;
    }

    // Assess: the item added before the first cursor is not served; nothing repeats or is skipped.
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);
    const keys = seen.map((id) => orders.find((o) => o.id === id)?.updatedAt ?? '');
    expect(keys).toEqual([...keys].sort());
  });

  it('sorts ties by the id number and honours reverse and last', () => {
    const ids = (result: { nodes: { id: string }[] }) => result.nodes.map((n) => n.id.split('/').pop());

    expect(ids(connection(orders, { first: 3 }))).toEqual(['94', '95', '96']);
    expect(ids(connection(orders, { first: 2, reverse: true }))).toEqual(['100', '99']);
    expect(ids(connection(orders, { last: 2 }))).toEqual(['99', '100']);
  });

  it.each([[{}], [{ first: 251 }], [{ first: -1 }], [{ first: 2, after: 'not-a-cursor' }]])(
    'refuses paging arguments Shopify refuses: %o',
    (args) => {
      expect(() => connection(orders, args)).toThrow();
    },
  );
});

describe('ShopData', () => {
  it('keeps ids and numbers beyond 2^53 exactly as loaded', () => {
    // Arrange
    const line = '{"id":"gid://shopify/Order/820982911946154508","legacyResourceId":820982911946154508}';

    // Act
    const data = new ShopData();
    data.loadHistory(line);

    // Assess
    const stored = data.orders.get('gid://shopify/Order/820982911946154508');
    expect(stored?.text).toBe(line);
    expect(JSON.stringify(stored?.node)).toBe(line);
    expect(JSON.stringify(parseLossless('{"n":12345678901234567890}'))).toBe('{"n":12345678901234567890}');
  });

  it('attaches line items to their order wherever they come after it, and replaces a reloaded order', () => {
    // Arrange
    const jsonl = [
      '{"id":"gid://shopify/Order/1","updatedAt":"2026-01-01T00:00:00Z"}',
      '{"id":"gid://shopify/Order/2","updatedAt":"2026-01-01T00:00:00Z"}',
      '{"id":"gid://shopify/LineItem/11","__parentId":"gid://shopify/Order/1"}',
      '{"id":"gid://shopify/LineItem/21","__parentId":"gid://shopify/Order/2"}',
      '{"id":"gid://shopify/LineItem/12","__parentId":"gid://shopify/Order/1"}',
    ].join('\n');
    const data = new ShopData();

    // Act
    const counts = data.loadHistory(jsonl);
    data.loadHistory('{"id":"gid://shopify/Order/2","updatedAt":"2026-02-01T00:00:00Z"}');

    // Assess
    expect(counts).toEqual({ customers: 0, orders: 2, lineItems: 3 });
    expect(data.orders.get('gid://shopify/Order/1')?.lineItems.map((l) => l.node.id)).toEqual([
      'gid://shopify/LineItem/11',
      'gid://shopify/LineItem/12',
    ]);
    expect(data.orders.get('gid://shopify/Order/2')?.lineItems).toEqual([]);
  });

  it.each([
    ['not JSON', '{"id":'],
    ['no GID', '{"id":1}'],
    ['an unknown root type', '{"id":"gid://shopify/Product/1"}'],
    ['an orphan line item', '{"id":"gid://shopify/LineItem/1","__parentId":"gid://shopify/Order/9"}'],
  ])('refuses %s with the line number', (_name, line) => {
    expect(() => new ShopData().loadHistory(`\n${line}`)).toThrow(/line 2/);
  });

  it('adds an order later with __parentId filled in on its line items', () => {
    const data = new ShopData();

    data.addOrder({ id: 'gid://shopify/Order/5' }, [{ id: 'gid://shopify/LineItem/51', quantity: 1 }]);

    expect(data.orders.get('gid://shopify/Order/5')?.lineItems[0]?.text).toBe(
      '{"id":"gid://shopify/LineItem/51","quantity":1,"__parentId":"gid://shopify/Order/5"}',
    );
  });
});

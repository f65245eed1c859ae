import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One Admin API GraphQL call as the stand-in received it (`GET /_local/shopify-admin`). */
export type AdminCall = {
  shop: string;
  apiVersion: string;
  token: string;
  query: string;
  variables: unknown;
};

/**
 * A stand-in for the shops' Admin GraphQL API (`POST /{shop}/admin/api/{version}/graphql.json`):
 * it checks the access token, records the call and answers like Shopify does for
 * `customerEmailMarketingConsentUpdate` (401 for a wrong token, user errors for a bad id).
 */
export class ShopifyAdminLocal {
  readonly calls: AdminCall[] = [];
  private readonly server: Server;
  private readonly tokens: Record<string, string>;

  private constructor(tokens: Record<string, string>) {
    this.tokens = tokens;
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const answer = (status: number, body: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        const match = /^\/([^/]+)\/admin\/api\/([^/]+)\/graphql\.json$/.exec(req.url ?? '');
        if (req.method !== 'POST' || !match) return answer(404, { errors: 'Not Found' });
        const [, shop = '', apiVersion = ''] = match;
        const token = String(req.headers['x-shopify-access-token'] ?? '');
        if (!token || this.tokens[shop] !== token)
          return answer(401, {
            errors: '[API] Invalid API key or access token (unrecognized login or wrong password)',
          });
        let request: { query?: string; variables?: { input?: { customerId?: string } } };
        try {
          request = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          return answer(400, { errors: 'body is not JSON' });
        }
        this.calls.push({
          shop,
          apiVersion,
          token,
          query: request.query ?? '',
          variables: request.variables,
        });
        const customerId = request.variables?.input?.customerId ?? '';
        const known = /^gid:\/\/shopify\/Customer\/\d+$/.test(customerId);
        return answer(200, {
          data: {
            customerEmailMarketingConsentUpdate: known
              ? { customer: { id: customerId }, userErrors: [] }
              : {
                  customer: null,
                  userErrors: [
                    { field: ['input', 'customerId'], message: 'Customer not found', code: 'INVALID' },
                  ],
                },
          },
        });
      });
    });
  }

  static async start(tokens: Record<string, string>): Promise<{ admin: ShopifyAdminLocal; origin: string }> {
    const admin = new ShopifyAdminLocal(tokens);
    await new Promise<void>((resolve) => admin.server.listen(0, '127.0.0.1', resolve));
    return { admin, origin: `http://127.0.0.1:${(admin.server.address() as AddressInfo).port}/{shop}` };
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

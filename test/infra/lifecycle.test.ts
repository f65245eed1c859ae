import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../lib/build-app.ts';
import { DEMO_CONTEXT } from '../support/cdk-context.ts';

const cdkContext = DEMO_CONTEXT;
const synth = (context: Record<string, unknown>) => {
  const { stack } = buildApp({ context: { ...cdkContext, ...context } });
  return { stack, template: Template.fromStack(stack) };
};
const KEPT_STREAM =
  'arn:aws:dynamodb:us-east-1:123456789012:table/LoyaltyLoop-Kept/stream/2026-11-01T00:00:00.000';
const KEPT_PEPPER = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:SuppressionPepper-AbCdEf';

/** Each resource's DeletionPolicy, by type, for the types that hold data. */
const deletionPolicies = (template: Template, type: string) =>
  Object.values(template.findResources(type)).map((resource) => resource.DeletionPolicy);

/** The DeletionPolicy of the secrets whose description says `what` (none when re-attached). */
const secretPolicies = (template: Template, what: string) =>
  Object.values(template.findResources('AWS::SecretsManager::Secret'))
    .filter((r) => String(r.Properties.Description).includes(what))
    .map((r) => r.DeletionPolicy);
const pepperPolicies = (template: Template) => secretPolicies(template, 'pepper');
const KEPT_UNSUBSCRIBE_KEY = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:UnsubscribeKey-GhIjKl';

describe('stack lifecycle', () => {
  it('by default keeps the table (deletion protection on) and its pepper when the stack is deleted', () => {
    const { template } = synth({});

    expect(deletionPolicies(template, 'AWS::DynamoDB::Table')).toEqual(['Retain']);
    template.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: true });
    expect(pepperPolicies(template)).toEqual(['Retain']);
    // Links in emails already sent keep working after a teardown.
    expect(secretPolicies(template, 'unsubscribe links')).toEqual(['Retain']);
    // What a later stack re-attaches the table by (README: Teardown).
    template.hasOutput('CustomerStoreTableStreamArn26B5637A', {});
  });

  it('with retainData false deletes the table and its pepper with the stack (a throwaway stack)', () => {
    const { template } = synth({ 'loyaltyLoop:retainData': 'false' });

    expect(deletionPolicies(template, 'AWS::DynamoDB::Table')).toEqual(['Delete']);
    template.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: false });
    expect(pepperPolicies(template)).toEqual(['Delete']);
    expect(secretPolicies(template, 'unsubscribe links')).toEqual(['Delete']);
  });

  it('takes its stack and table names from context, so two copies share an account and region', () => {
    const { stack, template } = synth({
      'loyaltyLoop:stackName': 'LoyaltyLoop-ClientB',
      'loyaltyLoop:tableName': 'loyalty-loop-client-b',
    });

    expect(stack.stackName).toBe('LoyaltyLoop-ClientB');
    template.hasResourceProperties('AWS::DynamoDB::Table', { TableName: 'loyalty-loop-client-b' });
    const names = Object.values(template.findResources('AWS::Lambda::Function'))
      .map((fn) => fn.Properties.FunctionName)
      .filter(Boolean);
    expect(names.sort()).toEqual([
      'LoyaltyLoop-ClientB-history-backfill',
      'LoyaltyLoop-ClientB-history-reindex',
    ]);
  });

  it('re-attaches a kept table and its pepper: creates neither, and every function and the stream reader use them', () => {
    const { template } = synth({
      'loyaltyLoop:existingTableStreamArn': KEPT_STREAM,
      'loyaltyLoop:existingPepperSecretArn': KEPT_PEPPER,
      'loyaltyLoop:existingUnsubscribeKeyArn': KEPT_UNSUBSCRIBE_KEY,
    });

    expect(template.findResources('AWS::DynamoDB::Table')).toEqual({});
    expect(secretPolicies(template, 'unsubscribe links')).toEqual([]);
    expect(JSON.stringify(template.toJSON())).toContain(`"UNSUBSCRIBE_SECRET_ARN":"${KEPT_UNSUBSCRIBE_KEY}"`);
    expect(pepperPolicies(template)).toEqual([]);
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'));
    expect(mappings.length).toBeGreaterThanOrEqual(2);
    for (const mapping of mappings) expect(mapping.Properties.EventSourceArn).toBe(KEPT_STREAM);
    const json = JSON.stringify(template.toJSON());
    expect(json).toContain(':table/LoyaltyLoop-Kept"');
    expect(json).toContain(KEPT_PEPPER);
    template.hasOutput('CustomerStoreTableName853370B0', { Value: 'LoyaltyLoop-Kept' });
  });

  it('refuses a table without its pepper, a name with a re-attached table, and names AWS would refuse, clearly', () => {
    expect(() => synth({ 'loyaltyLoop:existingTableStreamArn': KEPT_STREAM })).toThrow(
      /loyaltyLoop:existingPepperSecretArn: existingTableStreamArn and existingPepperSecretArn go together/,
    );
    expect(() =>
      synth({
        'loyaltyLoop:existingTableStreamArn': KEPT_STREAM,
        'loyaltyLoop:existingPepperSecretArn': KEPT_PEPPER,
        'loyaltyLoop:tableName': 'another',
      }),
    ).toThrow(/loyaltyLoop:tableName: tableName names a new table/);
    expect(() => synth({ 'loyaltyLoop:existingTableStreamArn': 'arn:aws:dynamodb:table/x' })).toThrow(
      /expected a DynamoDB stream ARN/,
    );
    expect(() => synth({ 'loyaltyLoop:stackName': '1-bad name' })).toThrow(/loyaltyLoop:stackName: a letter/);
    expect(() => synth({ 'loyaltyLoop:stackName': `L${'x'.repeat(48)}` })).toThrow(/48 at most/);
  });
});

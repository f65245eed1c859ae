import { describe, expect, it } from 'vitest';
import { EventPatternError, matchesPattern } from '../../local/event-pattern.ts';

// Cases follow AWS's "Content filtering in Amazon EventBridge event patterns" documentation.
const event = {
  source: 'loyalty-loop',
  'detail-type': 'Journey Stage Entered',
  detail: {
    journeyId: 'rum-baba-fans',
    stageId: 'first-rum-baba',
    entryId: 4,
    previousStageId: null,
    tags: ['vip', 'tokyo'],
    email: 'Ann@Example.com',
    ip: '10.0.3.7',
    nested: { level: 3 },
  },
};

describe('matchesPattern', () => {
  it.each([
    ['exact string', { source: ['loyalty-loop'] }, true],
    ['one of several', { source: ['x', 'loyalty-loop'] }, true],
    ['wrong value', { source: ['x'] }, false],
    ['nested exact', { detail: { journeyId: ['rum-baba-fans'], stageId: ['first-rum-baba'] } }, true],
    ['numbers compare as numbers', { detail: { entryId: [4] } }, true],
    ['null literal', { detail: { previousStageId: [null] } }, true],
    ['array field: any element', { detail: { tags: ['tokyo'] } }, true],
    ['prefix', { detail: { stageId: [{ prefix: 'first-' }] } }, true],
    ['prefix miss', { detail: { stageId: [{ prefix: 'second-' }] } }, false],
    ['prefix ignoring case', { detail: { email: [{ prefix: { 'equals-ignore-case': 'ann@' } }] } }, true],
    ['suffix', { detail: { email: [{ suffix: '.com' }] } }, true],
    ['equals-ignore-case', { detail: { email: [{ 'equals-ignore-case': 'ann@example.COM' }] } }, true],
    ['anything-but value', { detail: { stageId: [{ 'anything-but': 'not-yet' }] } }, true],
    ['anything-but list', { detail: { stageId: [{ 'anything-but': ['first-rum-baba', 'x'] }] } }, false],
    ['anything-but prefix', { detail: { stageId: [{ 'anything-but': { prefix: 'first' } }] } }, false],
    ['numeric range', { detail: { entryId: [{ numeric: ['>', 0, '<=', 4] }] } }, true],
    ['numeric miss', { detail: { entryId: [{ numeric: ['>=', 5] }] } }, false],
    ['numeric on a string', { detail: { stageId: [{ numeric: ['>', 0] }] } }, false],
    ['exists true', { detail: { entryId: [{ exists: true }] } }, true],
    ['exists false on a missing field', { detail: { coupon: [{ exists: false }] } }, true],
    ['exists false on a present field', { detail: { entryId: [{ exists: false }] } }, false],
    ['exists true on an object is false', { detail: { nested: [{ exists: true }] } }, false],
    ['exists false under a missing parent', { missing: { child: [{ exists: false }] } }, true],
    ['missing field never matches a value', { detail: { coupon: ['x'] } }, false],
    ['wildcard', { detail: { journeyId: [{ wildcard: 'rum-*-fans' }] } }, true],
    ['wildcard miss', { detail: { journeyId: [{ wildcard: 'morning-*' }] } }, false],
    ['cidr', { detail: { ip: [{ cidr: '10.0.0.0/16' }] } }, true],
    ['cidr miss', { detail: { ip: [{ cidr: '10.1.0.0/16' }] } }, false],
    ['$or', { detail: { $or: [{ stageId: ['x'] }, { entryId: [4] }] } }, true],
    ['$or none', { detail: { $or: [{ stageId: ['x'] }, { entryId: [5] }] } }, false],
    ['deeper nesting', { detail: { nested: { level: [{ numeric: ['=', 3] }] } } }, true],
    ['empty pattern matches everything', {}, true],
  ])('%s', (_name, pattern, expected) => {
    expect(matchesPattern(pattern, event)).toBe(expected);
  });

  it('fails loudly on an operator it does not know', () => {
    expect(() => matchesPattern({ source: [{ regex: '.*' }] }, event)).toThrow(EventPatternError);
  });

  it('matches Lambda stream filter criteria the way CDK writes them', () => {
    const pattern = {
      eventName: ['INSERT', 'MODIFY'],
      dynamodb: { NewImage: { kind: { S: ['aggregate'] } } },
    };
    expect(
      matchesPattern(pattern, { eventName: 'MODIFY', dynamodb: { NewImage: { kind: { S: 'aggregate' } } } }),
    ).toBe(true);
    expect(
      matchesPattern(pattern, { eventName: 'MODIFY', dynamodb: { NewImage: { kind: { S: 'order' } } } }),
    ).toBe(false);
    expect(
      matchesPattern(pattern, { eventName: 'REMOVE', dynamodb: { OldImage: { kind: { S: 'aggregate' } } } }),
    ).toBe(false);
  });
});

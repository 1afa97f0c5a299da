import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Custom search attributes that make calls findable in the Temporal UI. The caller is only ever stored as
// the last four digits: search attributes are not encrypted by payload codecs. The disposition is plain
// `Disposition`, the name teams query by (`Disposition = "Qualified Lead"`).
export const callSearchAttributes = {
  agentId: defineSearchAttributeKey('CallAgentId', SearchAttributeType.KEYWORD),
  direction: defineSearchAttributeKey('CallDirection', SearchAttributeType.KEYWORD),
  callerLast4: defineSearchAttributeKey('CallCallerLast4', SearchAttributeType.KEYWORD),
  status: defineSearchAttributeKey('CallStatus', SearchAttributeType.KEYWORD),
  disposition: defineSearchAttributeKey('Disposition', SearchAttributeType.KEYWORD),
} as const;

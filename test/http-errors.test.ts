import assert from 'node:assert/strict';
import {
  CallEnded,
  CallNotCompleted,
  CallStillRunning,
  InvalidArguments,
  RerunInProgress,
  TemporalBusy,
  UnknownAction,
  UnknownAgent,
  UnknownCall,
} from '../src/calls/call-errors';
import { HttpError, httpAnswerOf } from '../src/ingress/http-error';

describe('the ingress error table', () => {
  const rows: [string, Error, number, string, { field?: string; message: string }[]][] = [
    [
      'an unknown call',
      new UnknownCall({ callId: 'c1' }),
      404,
      'unknown call "c1": send agentId with the first event or action to start it',
      [{ field: 'callId', message: 'no such call' }],
    ],
    [
      'an unknown agent',
      new UnknownAgent({ agentId: 'nope' }),
      404,
      'unknown agent "nope"',
      [{ field: 'agentId', message: 'no such agent' }],
    ],
    [
      'an unknown action',
      new UnknownAction({ agentId: 'shop', actionId: 'refund' }),
      404,
      'agent "shop" has no during-call action "refund"',
      [{ field: 'actionId', message: 'no such during-call action' }],
    ],
    [
      'invalid arguments',
      new InvalidArguments({
        actionId: 'lookup',
        problems: [
          { field: 'args.order_id', message: 'required' },
          { field: 'args.extra', message: 'unknown argument' },
        ],
      }),
      400,
      'invalid arguments for "lookup": args.order_id, args.extra',
      [
        { field: 'args.order_id', message: 'required' },
        { field: 'args.extra', message: 'unknown argument' },
      ],
    ],
    [
      'a call that has ended',
      new CallEnded({ callId: 'c1' }),
      409,
      'call "c1" has ended',
      [{ field: 'callId', message: 'the call has ended' }],
    ],
    [
      'a call still running',
      new CallStillRunning({ callId: 'c1' }),
      409,
      'call "c1" is still running',
      [{ field: 'callId', message: 'the call has not finished' }],
    ],
    [
      'a call that did not complete',
      new CallNotCompleted({ callId: 'c1', status: 'terminated' }),
      409,
      'call "c1" did not complete (terminated)',
      [{ field: 'callId', message: 'no call record to re-run from' }],
    ],
    [
      'a re-run in progress',
      new RerunInProgress({ callId: 'c1' }),
      409,
      'the after-call stage of call "c1" is already being re-run; wait for it to finish',
      [{ field: 'callId', message: 'a re-run is in progress' }],
    ],
    [
      'a request refused at the edge',
      new HttpError(415, 'send the body as application/json', [
        { field: 'content-type', message: 'must be application/json' },
      ]),
      415,
      'send the body as application/json',
      [{ field: 'content-type', message: 'must be application/json' }],
    ],
  ];
  for (const [what, err, status, error, details] of rows) {
    it(`answers ${what} with ${status} and names the field`, () => {
      assert.deepEqual(httpAnswerOf(err), { status, body: { error, details } });
    });
  }

  it('answers Temporal being busy with 503 and Retry-After: the same request may be sent again', () => {
    const answer = httpAnswerOf(new TemporalBusy());

    assert.equal(answer?.status, 503);
    assert.equal(answer?.retryAfterSeconds, 1);
    assert.match(answer?.body.error ?? '', /send the same request again/);
    assert.deepEqual(answer?.body.details, [
      { message: 'temporarily unavailable: events and tool calls are deduplicated, so a retry is safe' },
    ]);
  });

  it('keeps the Retry-After an edge refusal asks for', () => {
    assert.equal(httpAnswerOf(new HttpError(429, 'too many requests', [], 7))?.retryAfterSeconds, 7);
  });

  it('knows nothing of other errors: they are internal', () => {
    assert.equal(httpAnswerOf(new Error('database down')), undefined);
    assert.equal(httpAnswerOf('a string'), undefined);
  });
});

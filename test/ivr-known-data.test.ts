import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeDecision, type IvrScenario, scoreNavigator } from '../src/ivr/accuracy';
import {
  findKnownValue,
  isoDate,
  keypadDigits,
  keysFor,
  readBackMatches,
  spokenDate,
  spokenDigits,
} from '../src/ivr/known-data';
import { decisionFromReply, type IvrDecisionRequest } from '../src/ivr/llm-choice';
import { parsePrompt } from '../src/ivr/menu-parser';
import { type IvrDecision, type IvrGoal, IvrNavigator, wantsSecondOpinion } from '../src/ivr/navigator';

const T0 = 1_700_000_000_000;

function run(goal: IvrGoal, prompts: string[]): IvrDecision[] {
  const nav = new IvrNavigator(goal, T0);
  return prompts.map((p, i) => nav.onPrompt(p, T0 + (i + 1) * 10_000));
}

describe('IVR known values', () => {
  it('matches a value\'s name said in another form ("the date you traveled" for travel_date), not a longer word', () => {
    const request = (text: string) => {
      const r = parsePrompt(text).dataRequest;
      assert.ok(r, `no data request in "${text}"`);
      return r;
    };
    const travelled = request('Please enter the date you traveled, as month and day.');
    assert.equal(
      findKnownValue({ travel_date: '2024-05-18' }, travelled, 'the date you traveled')?.key,
      'travel_date',
    );
    assert.deepEqual(
      run({ target: 'lost and found', data: { travel_date: '2024-05-18' } }, [
        'Please enter the date you traveled, as month and day.',
      ]).map(describeDecision),
      ['press 0518'],
    );
    const billboard = request('Please enter the date of the billboard rental.');
    assert.equal(
      findKnownValue({ bill_date: '2024-01-02' }, billboard, 'the date of the billboard rental'),
      undefined,
    );
  });

  it('of names a prompt says equally fully, picks the one more of whose words it says', () => {
    const data = { confirmation_number: '73302918', last_name: 'Okafor' };
    assert.deepEqual(
      run({ target: 'cancel', data }, ['Please spell the last name on the booking.']).map(describeDecision),
      ['say "O k a f o r"'],
    );
    assert.deepEqual(
      run({ target: 'cancel', data }, ['Please say the confirmation number on the booking.']).map(
        describeDecision,
      ),
      ['say "73302918"'],
    );
  });

  it('matches a value under any name to the prompt that asks for it, by its words or their synonyms', () => {
    const data = { policy_number: 'P-1', last_name: 'Okafor', zip: '02139', member_number: '77' };
    const ask = (text: string) => {
      const request = parsePrompt(text).dataRequest;
      assert.ok(request, `no data request in "${text}"`);
      return findKnownValue(data, request, text)?.key;
    };
    assert.equal(ask('Please enter your policy number followed by pound.'), 'policy_number');
    assert.equal(ask('Please enter your five digit zip code.'), 'zip');
    assert.equal(ask('Please say or enter your membership number.'), 'member_number');
    assert.equal(ask('Enter the first three letters of your last name.'), 'last_name');
    assert.equal(ask('Please enter your order number.'), undefined, 'nothing known fits');
  });

  it('asks for a date named by what it is the date of, and keys month and day alone when no year is asked', () => {
    const goal: IvrGoal = {
      target: 'file a claim',
      data: { accident_date: '2026-12-03', arrival_date: '2026-12-14' },
    };
    const keyed = (prompt: string) => run(goal, [prompt]).map(describeDecision)[0];
    assert.equal(
      keyed('Enter the date of the accident as two digits for the month and two digits for the day.'),
      'press 1203',
    );
    assert.equal(
      keyed('Enter the date of the accident, two digits for the day, then two for the month.'),
      'press 0312',
    );
    assert.equal(
      keyed(
        'Please enter your arrival date: two digits for the month, two for the day and four for the year.',
      ),
      'press 12142026',
    );
    // A date the caller does not know is not guessed from another one.
    assert.equal(parsePrompt('Please enter the date of service.').dataRequest?.label, 'date of service');
    assert.equal(
      run({ target: 'billing', data: { arrival_date: '2026-12-14' } }, [
        'Please enter the date of service.',
      ]).map(describeDecision)[0],
      'press 0',
    );
  });

  it('matches a value named by its acronym to the words the prompt spells it out with', () => {
    const data = { vin: '1HGCM82633A004352', ssn: '123456620', iata: '88123456' };
    const ask = (text: string) => {
      const request = parsePrompt(text).dataRequest;
      assert.ok(request, `no data request in "${text}"`);
      return findKnownValue(data, request, text)?.key;
    };
    assert.equal(ask('Enter the last five characters of your vehicle identification number.'), 'vin');
    assert.equal(ask('Please enter your social security number.'), 'ssn');
    assert.equal(ask('Please enter your account number.'), undefined, 'initials that spell no name');
    assert.deepEqual(
      run({ target: 'renew my registration', data: { vin: '1HGCM82633A004352' } }, [
        'Enter the last five characters of your vehicle identification number.',
      ]).map(describeDecision),
      ['press 04352'],
    );
  });

  it('keeps the fixed keys working: a value named like the request kind, and `other` for any other number', () => {
    const request = parsePrompt('Please enter your claim number.').dataRequest!;
    assert.equal(findKnownValue({ other: '5' }, request, 'Please enter your claim number.')?.value, '5');
    const zip = parsePrompt('Enter your zip code.').dataRequest!;
    assert.equal(
      findKnownValue({ zip_code: '02139', zip: '99999' }, zip, 'Enter your zip code.')?.value,
      '02139',
    );
  });

  it('keys values in the form the prompt asks: date order, letters on the keypad, part of a value', () => {
    assert.equal(keypadDigits('KXQ7PA'), '597772');
    const req = (text: string) => parsePrompt(text).dataRequest!;
    const dob = 'Enter your date of birth as four digit year, two digit month and two digit day.';
    assert.equal(keysFor('date_of_birth', '1990-07-04', req(dob), dob), '19900704');
    const us = 'Enter your date of birth as month, day and year.';
    assert.equal(keysFor('date_of_birth', '1990-07-04', req(us), us), '07041990');
    const code =
      'Using your keypad, enter your confirmation code. For letters, press the key with that letter.';
    assert.equal(keysFor('other', 'KXQ7PA', req(code), code), '597772');
    const name = 'Enter the first four letters of your last name.';
    assert.equal(keysFor('other', 'Okafor', req(name), name), '6523');
    const card = 'Please enter the last four digits of the card.';
    assert.equal(keysFor('other', '4111 2222 3333 4417', req(card), card), '4417');
    const plain = 'Please enter your account number.';
    assert.equal(
      keysFor('account_number', 'AB12', req(plain), plain),
      undefined,
      'letters only when asked for',
    );
  });

  it('reads a read-back: digits said one by one, dates in words', () => {
    assert.equal(spokenDigits('five five one two oh nine'), '551209');
    assert.equal(spokenDate('You entered March ninth, nineteen eighty-four'), '1984-03-09');
    assert.equal(spokenDate('July 4th 1990'), '1990-07-04');
    assert.equal(readBackMatches('5 5 1 2 0 0 9 8 3 1', { account: '5512 0098 31' }), true);
    assert.equal(readBackMatches('5 5 1 2 0 0 9 8 1 3', { account: '5512 0098 31' }), false);
    assert.equal(readBackMatches('March ninth, nineteen eighty-four', { dob: '1984-03-10' }), false);
    assert.equal(readBackMatches('billing', { account: '5512' }), undefined);
    assert.equal(readBackMatches('K as in kilo, X, Q, seven, P, A', { code: 'KXQ7PA' }), true);
    assert.equal(readBackMatches('K X Q seven B A', { code: 'KXQ7PA' }), false);
    assert.equal(readBackMatches('four double five one', { pin: '4551' }), true);
  });

  it('takes a date value in any usual written form', () => {
    for (const v of ['1984-03-09', '03/09/1984', 'March 9, 1984', '9th of March 1984', 'Mar 9 1984'])
      assert.equal(isoDate(v), '1984-03-09', v);
    assert.equal(isoDate('12345'), undefined);
    assert.equal(readBackMatches('March ninth, nineteen eighty-four', { dob: '03/09/1984' }), true);
  });
});

describe('IVR prompt classes', () => {
  it('answers an open prompt with the goal, not the nearest example; an example that says the goal is said', () => {
    const open =
      "Briefly tell me what you're calling about. For example, you can say 'check my balance' or 'transfer money'.";
    const [d] = run({ target: 'dispute a charge' }, [open]);
    assert.equal(describeDecision(d), 'say "dispute a charge"');
    assert.ok(d.kind === 'say' && (d.confidence ?? 1) < 1, 'an open prompt is an unsure decision');
    const [e] = run({ target: 'return an item' }, [
      "Tell me why you're calling. For example, say 'track an order' or 'return an item'.",
    ]);
    assert.equal(describeDecision(e), 'say "return an item"');
  });

  it('reads a menu without a verb, less surely than one with "press"', () => {
    const p = parsePrompt('Order status, one. Returns and exchanges, two. Everything else, three.');
    assert.deepEqual(
      p.options.map((o) => [o.digits, o.label]),
      [
        ['1', 'order status'],
        ['2', 'returns and exchanges'],
        ['3', 'everything else'],
      ],
    );
    assert.ok(p.confidence < 1);
    assert.equal(parsePrompt('Thank you, one moment.').options.length, 0);
    assert.equal(parsePrompt('For billing, press 1. For repairs, press 2.').confidence, 1);
  });

  it('confirms a read-back that matches what it knows and rejects one that does not, then enters it again', () => {
    const goal = { target: 'report an outage', data: { account_number: '5512009831' } };
    const ask = 'Please enter your ten digit account number.';
    const decisions = run(goal, [
      ask,
      "I heard 5 5 1 2 0 0 9 8 1 3. If that's correct, press 1. If not, press 2.",
      ask,
      "I heard 5 5 1 2 0 0 9 8 3 1. If that's correct, press 1. If not, press 2.",
    ]);
    assert.deepEqual(decisions.map(describeDecision), [
      'press 5512009831',
      'press 2',
      'press 5512009831',
      'press 1',
    ]);
  });

  it('reads a read-back without punctuation, and "otherwise" as the other answer', () => {
    const goal = { target: 'billing', data: { account_number: '5512009831', date_of_birth: '1980-01-02' } };
    const [, wrong] = run(goal, [
      'please enter your account number',
      "you entered 5 5 1 2 0 0 9 8 1 3 if that's correct press one if not press two",
    ]);
    assert.equal(describeDecision(wrong), 'press 2');
    const [right] = run(goal, [
      'Your date of birth is January second, nineteen eighty. If this is correct press 1, otherwise press 2.',
    ]);
    assert.equal(describeDecision(right), 'press 1');
  });

  it('confirms a spoken read-back of the reason for the call when it says the goal', () => {
    const decisions = run({ target: 'renew my passport' }, [
      'Please tell me, in a few words, the reason for your call.',
      'Okay, renewing a passport. Is that right? Please say yes or no.',
    ]);
    assert.deepEqual(decisions.map(describeDecision), ['say "renew my passport"', 'say "yes"']);
  });

  it('takes the operator route at once on a complete menu with nothing fitting and no operator offered', () => {
    const [d] = run({ target: 'appeal a property tax assessment' }, [
      'For dog licenses, press 1. For marriage licenses, press 2. To hear these options again, press 9.',
    ]);
    assert.equal(describeDecision(d), 'press 0');
    const [s] = run({ target: 'report a pothole' }, [
      "Please say 'water bill', 'trash pickup', or 'parking tickets'.",
    ]);
    assert.equal(describeDecision(s), 'say "representative"');
  });

  it("breaks a tie by the goal's most specific word, not by the shorter label", () => {
    // Each option matches one goal word equally well; "flight" is in two of them, "refund" in one.
    const [d] = run({ target: 'refund for a flight' }, [
      'For flight status, press 1. For flight changes, press 2. For refund requests and travel credits, press 3.',
    ]);
    assert.equal(describeDecision(d), 'press 3');
  });
});

describe('IVR second opinion', () => {
  const request: IvrDecisionRequest = {
    goal: 'billing',
    prompt: 'Say billing or repairs.',
    options: [
      { speech: 'billing', label: 'billing' },
      { speech: 'repairs', label: 'repairs' },
    ],
    fallback: { kind: 'say', text: 'billing', reason: 'parser', confidence: 0.5 },
    knownValues: [],
  };

  it('accepts only a typed choice among what was offered', () => {
    const reply = (v: unknown) => decisionFromReply(JSON.stringify(v), request);
    assert.equal(
      describeDecision(reply({ choice: 'option', option: 2, digits: null, text: null })!),
      'say "repairs"',
    );
    assert.equal(reply({ choice: 'option', option: 3, digits: null, text: null }), undefined);
    assert.equal(reply({ choice: 'digits', option: null, digits: '12a', text: null }), undefined);
    assert.equal(reply({ choice: 'jump', option: null, digits: null, text: null }), undefined);
    assert.equal(
      describeDecision(reply({ choice: 'operator', option: null, digits: null, text: null })!),
      'say "representative"',
    );
    assert.equal(decisionFromReply('not json', request), undefined);
  });

  it('is asked only below the configured confidence', () => {
    assert.equal(wantsSecondOpinion(request.fallback, 0.6), true);
    assert.equal(wantsSecondOpinion({ kind: 'press', digits: '1', reason: 'sure' }, 0.6), false);
  });
});

describe('IVR second tuning set', () => {
  const corpus = JSON.parse(
    readFileSync(join(__dirname, 'kit', 'ivr-corpus-b.json'), 'utf8'),
  ) as IvrScenario[];

  it('makes the expected decision for at least 95% of the prompts', () => {
    const score = scoreNavigator(corpus);
    const accuracy = score.correct / score.decisions;
    if (score.misses.length > 0) console.log(`IVR second tuning set misses:\n${score.misses.join('\n')}`);
    assert.ok(corpus.length >= 12 && score.decisions >= 40, `${score.decisions} prompts`);
    assert.ok(accuracy >= 0.95, `accuracy ${(accuracy * 100).toFixed(1)}% is below 95%`);
  });
});

describe('IVR known values (seventh tuning set)', () => {
  it('keys the end of a value for "the last six of", with or without the unit', () => {
    const req = { kind: 'other' as const, label: 'vehicle identification number' };
    assert.equal(
      keysFor('other', '1HGCM82633A004352', req, 'Enter the last six of your vehicle identification number.'),
      '004352',
    );
    assert.equal(
      keysFor(
        'other',
        '1HGCM82633A004352',
        req,
        'Enter the last six digits of your vehicle identification number.',
      ),
      '004352',
    );
    // Letters in the part asked for still need a prompt that says how to key them.
    assert.equal(
      keysFor(
        'other',
        '1HGCM82633A004352',
        req,
        'Enter the first six of your vehicle identification number.',
      ),
      undefined,
    );
  });

  it('matches a date of service to a prompt naming the visit or treatment, and no other date to it', () => {
    const sentence = 'Enter the date your dog saw the vet as month, day and four-digit year.';
    const req = parsePrompt(sentence).dataRequest;
    assert.ok(req);
    assert.equal(req.label, 'date your dog saw the vet');
    assert.deepEqual(findKnownValue({ date_of_service: '2025-02-11', policy: '7720' }, req, sentence), {
      key: 'date_of_service',
      value: '2025-02-11',
    });
    assert.equal(keysFor(req.kind, '2025-02-11', req, sentence), '02112025');
    assert.equal(findKnownValue({ arrival_date: '2025-02-11' }, req, sentence), undefined);
    assert.equal(findKnownValue({ date_of_birth: '1980-01-02' }, req, sentence), undefined);
  });
});

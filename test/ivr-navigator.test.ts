import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  describeDecision,
  formatCalibration,
  type IvrScenario,
  marginBucket,
  scoreNavigator,
} from '../src/ivr/accuracy';
import { parsePrompt } from '../src/ivr/menu-parser';
import { type IvrDecision, type IvrGoal, IvrNavigator } from '../src/ivr/navigator';
import { IvrNavigator as FirstIvrNavigator } from '../src/ivr/v1/navigator';
import { IvrNavigator as SecondIvrNavigator } from '../src/ivr/v2/navigator';
import { IvrNavigator as ThirdIvrNavigator } from '../src/ivr/v3/navigator';
import { IvrNavigator as FourthIvrNavigator } from '../src/ivr/v4/navigator';

const T0 = 1_700_000_000_000;

function run(goal: IvrGoal, prompts: string[], stepMs = 10_000): IvrDecision[] {
  const nav = new IvrNavigator(goal, T0);
  return prompts.map((p, i) => nav.onPrompt(p, T0 + (i + 1) * stepMs));
}

describe('IVR menu parser', () => {
  const option = (text: string) => parsePrompt(text).options;

  it('reads "press N for X", "for X, press N", "to X press N" and "X, press N"', () => {
    assert.deepEqual(option('Press 2 for billing.'), [{ digits: '2', label: 'billing' }]);
    assert.deepEqual(option('For billing, press 2.'), [{ digits: '2', label: 'billing' }]);
    assert.deepEqual(option('To pay your bill press 1'), [{ digits: '1', label: 'pay your bill' }]);
    assert.deepEqual(option('Billing, press 2.'), [{ digits: '2', label: 'billing' }]);
    assert.deepEqual(option('Press 0 to speak with an operator.'), [
      { digits: '0', label: 'speak with an operator' },
    ]);
    assert.deepEqual(option('Option 3 is claims.'), [{ digits: '3', label: 'claims' }]);
  });

  it('reads several options in one sentence, with or without punctuation', () => {
    assert.deepEqual(option('press 1 for billing press 2 for technical support'), [
      { digits: '1', label: 'billing' },
      { digits: '2', label: 'technical support' },
    ]);
    assert.deepEqual(option('for sales press 1, for repairs press 2'), [
      { digits: '1', label: 'sales' },
      { digits: '2', label: 'repairs' },
    ]);
  });

  it('reads unpunctuated transcripts in either layout, and elliptic key lists', () => {
    assert.deepEqual(option('for billing press one for emergencies press two to start service press three'), [
      { digits: '1', label: 'billing' },
      { digits: '2', label: 'emergencies' },
      { digits: '3', label: 'start service' },
    ]);
    assert.deepEqual(
      option('Tell me why you are calling, or press 1 for billing, 2 for repairs, or 3 to move.'),
      [
        { digits: '1', label: 'billing' },
        { digits: '2', label: 'repairs' },
        { digits: '3', label: 'move' },
      ],
    );
    assert.deepEqual(option('Select option 3 for international roaming.'), [
      { digits: '3', label: 'international roaming' },
    ]);
  });

  it('reads yes/no questions, question lists and closing messages', () => {
    const yesNo = parsePrompt('Are you calling about an existing reservation? Please say yes or no.');
    assert.deepEqual(
      yesNo.options.map((o) => o.speech),
      ['yes', 'no'],
    );
    assert.equal(yesNo.question, 'are you calling about an existing reservation');
    assert.deepEqual(
      option('Would you like to change your flight, cancel it, or get a receipt?').map((o) => o.label),
      ['change your flight', 'cancel it', 'get a receipt'],
    );
    assert.equal(parsePrompt('Our offices are currently closed. Goodbye.').closing, true);
    assert.equal(parsePrompt('Please try again later.').invalidInput, false);
  });

  it('reads spelled-out numbers and the pound and star keys', () => {
    assert.deepEqual(option('For reservations, press two. To repeat these options, press star.'), [
      { digits: '2', label: 'reservations' },
      { digits: '*', label: 'repeat these options' },
    ]);
    assert.deepEqual(option('To hear your balance again, press the pound key.'), [
      { digits: '#', label: 'hear your balance again' },
    ]);
    assert.deepEqual(option('Para español, oprima el dos.'), [{ digits: '2', label: 'español' }]);
  });

  it('reads say-or-press options and voice-only lists', () => {
    assert.deepEqual(option("Say 'billing' or press 2."), [
      { digits: '2', speech: 'billing', label: 'billing' },
    ]);
    assert.deepEqual(
      option("You can say things like 'pay my bill' or 'report an outage'.").map((o) => o.speech),
      ['pay my bill', 'report an outage'],
    );
    assert.deepEqual(
      option('Please say billing, technical support, or new service.').map((o) => o.label),
      ['billing', 'technical support', 'new service'],
    );
  });

  it('does not take 911, digit counts or terminators for options', () => {
    assert.deepEqual(option('If this is an emergency, hang up and dial 911.'), []);
    assert.deepEqual(option('Please enter the five digit ZIP code followed by the pound key.'), []);
  });

  it('reads data requests with kind, terminator and spoken-only mode', () => {
    assert.deepEqual(parsePrompt('Please enter your account number followed by pound.').dataRequest, {
      kind: 'account_number',
      label: 'account number',
      terminator: '#',
    });
    assert.deepEqual(parsePrompt('Please say or enter your 5 digit zip code.').dataRequest, {
      kind: 'zip_code',
      label: 'zip code',
      length: 5,
    });
    assert.equal(parsePrompt('Enter your date of birth, then press star.').dataRequest?.terminator, '*');
    assert.equal(parsePrompt('Please say your member ID.').dataRequest?.sayOnly, true);
    assert.equal(
      parsePrompt('Enter the last four digits of your social security number.').dataRequest?.kind,
      'ssn_last4',
    );
    assert.equal(parsePrompt('Please enter your four digit PIN.').dataRequest?.kind, 'pin');
    assert.equal(parsePrompt('Now enter the phone number on file.').dataRequest?.kind, 'phone_number');
    assert.equal(parsePrompt('Please enter your claim number.').dataRequest?.kind, 'other');
    assert.equal(parsePrompt('For billing, press 1.').dataRequest, undefined);
  });

  it('flags hold messages, invalid input, repeat offers and live people', () => {
    assert.equal(parsePrompt('Your call is important to us. Please hold.').hold, true);
    assert.equal(parsePrompt('All agents are busy. The estimated wait time is 4 minutes.').hold, true);
    assert.equal(parsePrompt("I'm sorry, that is not a valid selection.").invalidInput, true);
    assert.equal(parsePrompt('To repeat these options, press 9.').repeatOffer, true);
    assert.equal(parsePrompt('Hi, this is Sarah, how can I help you?').humanLikely, true);
    assert.equal(parsePrompt('Thank you for calling Acme, this is Tom speaking.').humanLikely, true);
    assert.equal(
      parsePrompt("Hi, I'm Ava, your virtual assistant. In a few words, tell me why you're calling.")
        .humanLikely,
      false,
    );
    assert.equal(parsePrompt('For billing, press 1. For sales, press 2.').humanLikely, false);
    assert.equal(parsePrompt('For billing, press 1.').hold, false);
  });
});

describe('IVR navigator', () => {
  const menu = 'For billing, press 1. For technical support, press 2. For new service, press 3.';

  it('matches goal words through synonyms', () => {
    const pick = (target: string, prompt: string) => run({ target }, [prompt])[0];
    assert.deepEqual(
      pick('billing', 'To pay your bill, press 1. To report an outage, press 2.'),
      run({ target: 'billing' }, ['To pay your bill, press 1. To report an outage, press 2.'])[0],
    );
    assert.equal(
      describeDecision(pick('billing', 'To report an outage, press 1. To pay your bill, press 2.')),
      'press 2',
    );
    assert.equal(
      describeDecision(pick('speak to a pharmacist', 'For store hours, press 1. For the pharmacy, press 2.')),
      'press 2',
    );
    assert.equal(
      describeDecision(
        pick(
          'report a lost card',
          'For balances, press 1. To report a lost or stolen card, press 2. For loans, press 3.',
        ),
      ),
      'press 2',
    );
    assert.equal(
      describeDecision(pick('appointments', 'For billing, press 1. For scheduling, press 2.')),
      'press 2',
    );
  });

  it('prefers the known path while the menu offers its digit, then falls back to matching', () => {
    const decisions = run({ target: 'billing', knownPath: ['3', '5'] }, [
      'For sales, press 1. For accounts, press 3.',
      menu,
    ]);
    assert.deepEqual(decisions.map(describeDecision), ['press 3', 'press 1']);
  });

  it('fills a known value followed by the terminator, and says it when asked to say it', () => {
    const goal: IvrGoal = {
      target: 'billing',
      data: { account_number: '12-345-678', date_of_birth: '1980-03-15', zip_code: '02139' },
    };
    assert.deepEqual(
      run(goal, [
        'Please enter your account number, followed by the pound sign.',
        'Please say your date of birth.',
        'Enter your zip code followed by star.',
      ]).map(describeDecision),
      ['press 12345678#', 'say "March 15, 1980"', 'press 02139*'],
    );
    assert.deepEqual(run(goal, ['Enter your date of birth as eight digits.']).map(describeDecision), [
      'press 03151980',
    ]);
    assert.deepEqual(run(goal, ['Enter your date of birth as a six digit number.']).map(describeDecision), [
      'press 031580',
    ]);
  });

  it('routes to an operator when a data value is unknown', () => {
    assert.deepEqual(
      run({ target: 'billing' }, ['Please enter your account number followed by pound.']).map(
        describeDecision,
      ),
      ['press 0'],
    );
    assert.deepEqual(
      run({ target: 'billing' }, ['Enter your account number. If you do not have it, press 2.']).map(
        describeDecision,
      ),
      ['press 2'],
    );
  });

  it('tries the operator route once on a repeated menu, then gives up', () => {
    const nav = new IvrNavigator({ target: 'new service' }, T0);
    assert.equal(describeDecision(nav.onPrompt(menu, T0 + 1000)), 'press 3');
    assert.equal(describeDecision(nav.onPrompt(menu, T0 + 2000)), 'press 0');
    const last = nav.onPrompt(menu, T0 + 3000);
    assert.equal(describeDecision(last), 'give_up operator_route_failed');
    assert.equal(nav.done, true);
    assert.equal(nav.steps.length, 3);
    assert.deepEqual(nav.onPrompt(menu, T0 + 4000), last, 'a finished navigator repeats its final decision');
    assert.equal(nav.steps.length, 3);
  });

  it('uses a listed representative option for the operator route', () => {
    const withRep = `${menu} To speak with a representative, press 7.`;
    assert.deepEqual(
      run({ target: 'sales' }, [withRep, `I'm sorry, that is not a valid entry. ${withRep}`]).map(
        describeDecision,
      ),
      ['press 3', 'press 7'],
    );
  });

  it('says "representative" on a voice-only menu', () => {
    const voice = 'Please say billing, technical support, or new service.';
    assert.deepEqual(
      run({ target: 'billing' }, [voice, `Sorry, I didn't understand. ${voice}`]).map(describeDecision),
      ['say "billing"', 'say "representative"'],
    );
  });

  it('with no fitting option: waits for a repeat, tries 0, then gives up no_matching_option', () => {
    assert.deepEqual(run({ target: 'radiology' }, [menu, menu, menu]).map(describeDecision), [
      'wait',
      'press 0',
      'give_up no_matching_option',
    ]);
  });

  it('waits on hold messages and hands over to a person', () => {
    assert.deepEqual(
      run({ target: 'billing' }, [
        'Your call is important to us. Please continue to hold.',
        'All of our agents are busy. Your estimated wait time is 3 minutes.',
        'Hi, this is Sarah, how can I help you?',
      ]).map(describeDecision),
      ['wait', 'wait', 'human'],
    );
  });

  it('gives up on max_steps and timeout, not counting time on hold', () => {
    const announcements = Array.from({ length: 5 }, (_, i) => `Announcement number ${i + 1}.`);
    assert.deepEqual(run({ target: 'billing', maxSteps: 4 }, announcements).map(describeDecision), [
      'wait',
      'wait',
      'wait',
      'wait',
      'give_up max_steps',
    ]);

    const nav = new IvrNavigator({ target: 'billing', maxSeconds: 60 }, T0);
    assert.equal(nav.onPrompt('Please hold.', T0 + 1_000).kind, 'wait');
    assert.equal(nav.onPrompt('Please continue to hold.', T0 + 200_000).kind, 'wait');
    assert.equal(
      describeDecision(nav.onPrompt(menu, T0 + 230_000)),
      'press 1',
      'hold time is not navigation time',
    );
    const late = new IvrNavigator({ target: 'billing', maxSeconds: 60 }, T0);
    assert.equal(describeDecision(late.onPrompt(menu, T0 + 61_000)), 'give_up timeout');
  });

  it('survives a JSON round trip mid-navigation', () => {
    const goal: IvrGoal = { target: 'new service', knownPath: ['3', '2'], data: { pin: '1234' } };
    const nav = new IvrNavigator(goal, T0);
    nav.onPrompt(menu, T0 + 1000);
    const json = JSON.parse(JSON.stringify(nav.toJSON()));
    const restored = IvrNavigator.fromJSON(json);
    assert.deepEqual(restored.steps, nav.steps);
    assert.equal(restored.done, false);
    assert.deepEqual(restored.toJSON(), nav.toJSON());
    const next = 'To order online, press 1. To speak with a sales agent, press 2.';
    assert.deepEqual(restored.onPrompt(next, T0 + 2000), nav.onPrompt(next, T0 + 2000));
    assert.equal(describeDecision(restored.onPrompt(menu, T0 + 3000)), 'press 0');
    assert.throws(() => IvrNavigator.fromJSON({ version: 2 }), TypeError);
  });

  it('answers yes/no questions from the goal, and "no" about the number it calls from', () => {
    const ask = (target: string, prompt: string) => describeDecision(run({ target }, [prompt])[0]);
    assert.equal(
      ask('change a flight reservation', 'Are you calling about an existing reservation? Say yes or no.'),
      'say "yes"',
    );
    assert.equal(
      ask('lost baggage', 'Are you calling about an existing reservation? Say yes or no.'),
      'say "no"',
    );
    assert.equal(
      ask(
        'billing',
        "Is this about the account for the number you're calling from? Press 1 for yes or 2 for no.",
      ),
      'press 2',
    );
  });

  it('picks new or existing by the goal when a menu splits callers that way', () => {
    const prompt = 'If you are a new patient, press 1. If you are an established patient, press 2.';
    assert.equal(
      describeDecision(run({ target: 'appointment for an existing patient' }, [prompt])[0]),
      'press 2',
    );
    assert.equal(describeDecision(run({ target: 'new patient appointment' }, [prompt])[0]), 'press 1');
  });

  it('gives up when the line closes the call', () => {
    const d = run({ target: 'billing' }, [
      'Our offices are now closed. Please call back during business hours.',
    ])[0];
    assert.equal(describeDecision(d), 'give_up no_matching_option');
  });

  it('joins an option that speech-to-text split across two prompts', () => {
    assert.deepEqual(
      run({ target: 'billing' }, [
        'Thanks for calling. For billing,',
        'press one. For repairs, press two.',
      ]).map(describeDecision),
      ['wait', 'press 1'],
    );
  });

  it('is deterministic', () => {
    const prompts = [menu, 'Please enter your PIN.', menu];
    assert.deepEqual(run({ target: 'billing' }, prompts), run({ target: 'billing' }, prompts));
  });
});

describe('IVR corpus', () => {
  const corpus = JSON.parse(readFileSync(join(__dirname, 'kit', 'ivr-corpus.json'), 'utf8')) as IvrScenario[];

  it('has at least 40 scenarios', () => {
    assert.ok(corpus.length >= 40, `${corpus.length} scenarios`);
  });

  it('makes the expected decision for at least 90% of the prompts', () => {
    const score = scoreNavigator(corpus);
    const accuracy = score.correct / score.decisions;
    console.log(
      `IVR corpus: ${score.correct}/${score.decisions} decisions (${(accuracy * 100).toFixed(1)}%), ` +
        `${score.scenariosCorrect}/${corpus.length} scenarios fully correct`,
    );
    const sets = [...score.perSet].map(([name, v]) => `${name} ${v.correct}/${v.decisions}`).join(', ');
    console.log(`IVR corpus by set: ${sets}`);
    if (score.misses.length > 0) console.log(`IVR corpus misses:\n${score.misses.join('\n')}`);
    assert.ok(accuracy >= 0.9, `accuracy ${(accuracy * 100).toFixed(1)}% is below 90%`);
  });
});

describe('IVR navigator versions', () => {
  // A navigation keeps the navigator it began with (workflows/ivr.ts), so the first one must still decide as it did.
  it('keeps the first navigator deciding as before, beside the current one', () => {
    const goal: IvrGoal = { target: 'return an item', keywords: ['return'], data: {} };
    const prompt = 'Order status, one. Returns and exchanges, two. Store hours and locations, three.';
    const first = new FirstIvrNavigator(goal, T0).onPrompt(prompt, T0 + 10_000);
    const current = new IvrNavigator(goal, T0).onPrompt(prompt, T0 + 10_000);
    assert.equal(first.kind, 'wait');
    assert.equal(current.kind, 'press');
    assert.equal(current.kind === 'press' && current.digits, '2');
  });

  it('keeps the second navigator deciding as before, beside the current one', () => {
    const goal: IvrGoal = { target: 'billing', data: { zip: '60614' } };
    const prompt = 'And then, the five digit billing zip code.';
    const second = new SecondIvrNavigator(goal, T0).onPrompt(prompt, T0 + 10_000);
    const current = new IvrNavigator(goal, T0).onPrompt(prompt, T0 + 10_000);
    assert.equal(describeDecision(second), 'wait');
    assert.equal(describeDecision(current), 'press 60614');
  });

  it('keeps the third navigator deciding as before, beside the current one', () => {
    const goal: IvrGoal = { target: 'billing' };
    const prompt =
      'All of our agents are busy. Press 1 to leave a callback number, or stay on the line to keep your place.';
    const third = new ThirdIvrNavigator(goal, T0).onPrompt(prompt, T0 + 10_000);
    const current = new IvrNavigator(goal, T0).onPrompt(prompt, T0 + 10_000);
    assert.equal(describeDecision(third), 'press 1');
    assert.equal(describeDecision(current), 'wait');
  });

  it('keeps the fourth navigator deciding as before, beside the current one', () => {
    const goal: IvrGoal = { target: 'ask about a rebate for a new water heater', keywords: ['rebate'] };
    const prompt =
      'To pay your bill, press 1. To start or stop service, press 2. To repeat these options, press 9.';
    const fourth = new FourthIvrNavigator(goal, T0).onPrompt(prompt, T0 + 10_000);
    const current = new IvrNavigator(goal, T0).onPrompt(prompt, T0 + 10_000);
    assert.equal(describeDecision(fourth), 'press 2');
    assert.equal(describeDecision(current), 'press 0');
  });

  it('resumes a saved first-navigator state with the first navigator', () => {
    const goal: IvrGoal = { target: 'billing', data: {} };
    const nav = new FirstIvrNavigator(goal, T0);
    nav.onPrompt('Welcome. Please listen carefully, as our menu has changed.', T0 + 5_000);
    const resumed = FirstIvrNavigator.fromJSON(JSON.parse(JSON.stringify(nav.toJSON())));
    const decision = resumed.onPrompt('For billing, press 2. For sales, press 3.', T0 + 10_000);
    assert.equal(decision.kind === 'press' && decision.digits, '2');
  });
});

describe('IVR prompt classes (navigator 3)', () => {
  const said = (goal: IvrGoal, prompts: string[]) => run(goal, prompts).map(describeDecision);

  it('asks for a value named by its own noun after a keying verb, and keys it in', () => {
    const goal: IvrGoal = { target: 'check a claim', data: { claim_reference: 'CR4417B' } };
    assert.deepEqual(
      said(goal, ['Please key in your seven character claim reference. Use the keypad for letters.']),
      ['press 2744172'],
    );
    assert.equal(parsePrompt('Please enter your selection now.').dataRequest, undefined);
  });

  it('reads a data prompt without a verb after "and then" or "now"', () => {
    const goal: IvrGoal = { target: 'billing', data: { zip: '60614' } };
    assert.deepEqual(said(goal, ['And then, the five digit billing zip code.']), ['press 60614']);
    assert.deepEqual(said(goal, ['Your billing zip code, please.']), ['press 60614']);
  });

  it('finds the value named before "enter it", and waits when the prompt asks only callers who have it', () => {
    const prompt = 'If you know your customer number, please enter it now, then press the pound key.';
    assert.deepEqual(said({ target: 'billing', data: { customer_number: '88120' } }, [prompt]), [
      'press 88120#',
    ]);
    assert.deepEqual(said({ target: 'billing', data: {} }, [prompt]), ['wait']);
    const withSkip = 'If you have a work order number, key it in now, or press star to skip.';
    assert.deepEqual(said({ target: 'repairs', data: { work_order: '4410' } }, [withSkip]), ['press 4410']);
    assert.deepEqual(said({ target: 'repairs', data: {} }, [withSkip]), ['press *']);
    const otherwise = 'If you have a work order number, enter it now. Otherwise, press pound.';
    assert.deepEqual(said({ target: 'repairs', data: {} }, [otherwise]), ['press #']);
  });

  it('takes "when you are done, press star" as the terminator, not an option', () => {
    const goal: IvrGoal = { target: 'parking permit', data: { permit_number: '55120' } };
    assert.deepEqual(said(goal, ['Enter your permit number. When you are done, press star.']), [
      'press 55120*',
    ]);
  });

  it('keys a date with a two-digit year when the pattern or the wording says so', () => {
    const goal: IvrGoal = { target: 'lab results', data: { date_of_birth: '1985-11-04' } };
    assert.deepEqual(said(goal, ['Enter your birth date as D D M M Y Y.']), ['press 041185']);
    assert.deepEqual(said(goal, ['Key in your date of birth, month, day and year, two digits for each.']), [
      'press 110485',
    ]);
    const fourForYear =
      'Enter your date of birth using two digits for each of the month and day, and four digits for the year.';
    assert.deepEqual(said(goal, [fourForYear]), ['press 11041985']);
  });

  it('answers a read-back offered without answer keys by voice: yes when it matches, no when not', () => {
    const goal: IvrGoal = { target: 'renew a library card', data: { last_name: 'Nakamura' } };
    assert.deepEqual(said(goal, ['I have N A K A M U R A. Did I get that right?']), ['say "yes"']);
    assert.deepEqual(said(goal, ['I have N A K A M O T O. Did I get that right?']), ['say "no"']);
    assert.deepEqual(said(goal, ['So you would like to renew your library card. Is that correct?']), [
      'say "yes"',
    ]);
  });

  it('does not take an offer to try again for an error message', () => {
    const goal: IvrGoal = { target: 'billing', data: { account_number: '3301' } };
    const decisions = said(goal, [
      'Please enter your account number.',
      'You entered 3 3 0 1. If this is correct, press 1. To try again, press 3.',
    ]);
    assert.deepEqual(decisions, ['press 3301', 'press 1']);
  });

  it('stays on hold when staff named with extra words are busy and the other choice is a text back', () => {
    const goal: IvrGoal = { target: 'report a gas smell' };
    assert.deepEqual(
      said(goal, [
        'All of our field service coordinators are assisting other callers. Press 4 to keep holding, or 5 to receive a text when we can call you.',
      ]),
      ['press 4'],
    );
  });

  it('labels a spoken answer by what it is for, as a key press is, and says its words', () => {
    const prompt =
      "For a gift card balance, say 'gift card'. If your package never arrived, say 'where is it'. To talk about a return, say 'returns'.";
    assert.deepEqual(said({ target: 'my package never arrived' }, [prompt]), ['say "where is it"']);
    assert.deepEqual(
      parsePrompt(prompt).options.map((o) => [o.label, o.speech]),
      [
        ['gift card balance', 'gift card'],
        ['your package never arrived where is it', 'where is it'],
        ['talk about a return returns', 'returns'],
      ],
    );
  });

  it('does not take an option of another department that only names the same thing', () => {
    const goal: IvrGoal = { target: 'report my tablet broken', keywords: ['broken'] };
    assert.deepEqual(
      said(goal, [
        'I can help you buy a new tablet, pay your bill, or track an order. Which would you like?',
      ]),
      ['say "representative"'],
    );
  });

  it("leaves out the menu's topic word, which most options share, when the goal has other words", () => {
    const goal: IvrGoal = {
      target: 'set up an installment agreement for back taxes',
      keywords: ['installment agreement'],
    };
    const prompt =
      'Property tax, one. Tax forms, two. Tax refunds, three. To speak with someone, seven. To hear this again, nine.';
    assert.deepEqual(said(goal, [prompt]), ['press 7']);
  });

  it('reads a word of several departments in the sense the rest of the goal gives it', () => {
    // "plan" is a sales word, an instalment word and an insurance word; "installment" says which.
    const goal: IvrGoal = { target: 'set up a payment plan', keywords: ['installment'] };
    const prompt = 'To upgrade your service, press 1. To report an outage, press 2. For billing, press 3.';
    assert.deepEqual(said(goal, [prompt]), ['press 3']);
  });

  it('hears out a menu that may go on when only related options tie, then takes the one that says the goal', () => {
    const decisions = said({ target: 'ask about a refund' }, [
      'For returns, press 1. For exchanges, press 2.',
      'For refund status, press 3. For everything else, press 9.',
    ]);
    assert.deepEqual(decisions, ['wait', 'press 3']);
  });

  it('reads spoken choices listed after "say:"', () => {
    const options = parsePrompt('At any time you can say: hours, directions, or pharmacy.').options;
    assert.deepEqual(
      options.map((o) => o.label),
      ['hours', 'directions', 'pharmacy'],
    );
    const following = parsePrompt('Please say one of the following: hours, directions, or pharmacy.').options;
    assert.deepEqual(
      following.map((o) => o.label),
      ['hours', 'directions', 'pharmacy'],
    );
  });
});

describe('IVR classes from the fourth tuning set (navigator 3)', () => {
  const said = (goal: IvrGoal, prompts: string[]) => run(goal, prompts).map(describeDecision);

  it('enters a known value a data prompt names by a synonymous noun', () => {
    assert.deepEqual(
      said({ target: 'ask about my home loan', data: { loan_id: '7781203' } }, [
        'Please key in your mortgage number.',
      ]),
      ['press 7781203'],
    );
    assert.deepEqual(
      said({ target: 'where is my parcel', data: { shipment_number: '99120043' } }, [
        'Enter the tracking code from your receipt, then press pound.',
      ]),
      ['press 99120043#'],
    );
    assert.deepEqual(
      said({ target: 'pay a parking fine', data: { citation: 'PK44019' } }, [
        'Using your keypad, enter the ticket number. For letters, press the key with that letter.',
      ]),
      ['press 7544019'],
    );
  });

  it('reads a terminator named before "when finished"', () => {
    assert.equal(
      parsePrompt('Key in your account number, and press the hash key once you are done.').dataRequest
        ?.terminator,
      '#',
    );
    assert.deepEqual(
      said({ target: 'billing', data: { last_name: 'Okafor' } }, [
        'Spell your last name on the keypad, one key per letter. Press pound when you are finished.',
      ]),
      ['press 652367#'],
    );
  });

  it('rejects a wrong read-back whose re-entry option says "enter it again"', () => {
    assert.deepEqual(
      said({ target: 'check my order', data: { order_number: '55120' } }, [
        'Please enter your order number.',
        'I heard order 5 5 1 2 9. If that is right, press 1. To type it again, press 2.',
      ]),
      ['press 55120', 'press 2'],
    );
  });

  it('keeps "X or Y" inside a comma-separated spoken list as one choice', () => {
    const options = parsePrompt('You can say: hours, missing or damaged mail, passports, or stamps.').options;
    assert.deepEqual(
      options.map((o) => o.label),
      ['hours', 'missing or damaged mail', 'passports', 'stamps'],
    );
  });

  it('reads "or press N and we will call you back" as a callback, and stays on hold', () => {
    const prompt =
      'Every nurse is with a patient. Please stay on the line, or press 3 and a nurse will call you back.';
    assert.deepEqual(
      parsePrompt(prompt).options.map((o) => [o.digits, o.label]),
      [['3', 'nurse will call you back']],
    );
    assert.deepEqual(said({ target: 'talk to a nurse' }, [prompt]), ['wait']);
  });

  it('reads options without a verb beside a key offered with one', () => {
    const prompt =
      'Passport renewals, one. Lost passports, two. Visas, three. To hear this again, press nine.';
    assert.deepEqual(said({ target: 'replace my lost passport' }, [prompt]), ['press 2']);
  });

  it("does not take the goal's noun with another qualifier when an option says the goal's qualifier", () => {
    const prompt =
      'For repair appointments, press 1. For tire and wheel reservations, press 2. For parts, press 3.';
    assert.deepEqual(said({ target: 'book a tire appointment' }, [prompt]), ['press 2']);
    // Without an option that says the qualifier, the same noun still fits.
    assert.deepEqual(
      said({ target: 'schedule a road test' }, [
        'For licenses, press 1. For driving tests, press 2. For titles, press 3.',
      ]),
      ['press 2'],
    );
  });

  it('reads removing something as cancelling it', () => {
    const prompt =
      'To cancel your membership, press 1. To add or remove a family member, press 2. For class schedules, press 3.';
    assert.deepEqual(said({ target: "cancel my daughter's family member add-on" }, [prompt]), ['press 2']);
  });

  it('does not take an option for the other stage of the matter: new for a status, existing for a new one', () => {
    assert.deepEqual(
      said({ target: 'check the status of my permit application' }, [
        'To apply for a new permit, press 1. For inspections, press 2. To speak with a representative, press 0.',
      ]),
      ['press 0'],
    );
    assert.deepEqual(
      said({ target: 'reschedule my eye exam' }, [
        'To book a new patient exam, press 1. To change an existing appointment, press 2. For billing, press 3.',
      ]),
      ['press 2'],
    );
  });

  it('takes an umbrella option that names the goal among what it covers', () => {
    assert.deepEqual(
      said({ target: 'get my 1099' }, [
        'For account questions, press 1. For tax documents, including 1099s, press 2. For sales, press 3.',
      ]),
      ['press 2'],
    );
    assert.deepEqual(
      said({ target: 'report a burst pipe flooding the basement' }, [
        'For billing, press 1. For emergencies such as flooding or fire, press 2. For scheduling, press 3.',
      ]),
      ['press 2'],
    );
  });

  it('lets the goal words an earlier level chose by count less where its other words can choose', () => {
    const decisions = said({ target: 'download my 1095 form', keywords: ['member'] }, [
      'If you are a member, press 1. If you are a provider, press 2.',
      'For ID cards, press 1. For member portal help, press 2. For year-end statements, like the 1095, press 3.',
    ]);
    assert.deepEqual(decisions, ['press 1', 'press 3']);
  });

  it("does not take an option related by one word when it names another matter, but keeps a form of the goal's word", () => {
    const menu =
      'For order tracking, press 1. For gift card support, press 2. For store hours, press 3. To hear these options again, press 9.';
    assert.deepEqual(said({ target: 'fix a typo in my wedding registry' }, [menu]), ['press 0']);
    assert.deepEqual(
      said({ target: 'renew my visa' }, ['For routine renewal online, press 1. For urgent travel, press 2.']),
      ['press 1'],
    );
  });

  it('reads caller-type options only when they name who calls, not a department', () => {
    const menu =
      'For new customer sales, press 1. For help from a business banker, press 2. For everything else, press 3.';
    assert.deepEqual(said({ target: 'ask why my debit card was declined' }, [menu]), ['press 3']);
  });

  it('breaks a tie for the option naming fewer things the goal does not', () => {
    const menu = 'You can say: parking permits, lost or stolen parking pass, lost and found, or billing.';
    assert.deepEqual(said({ target: 'find an umbrella I lost at the stadium' }, [menu]), [
      'say "lost and found"',
    ]);
  });

  it('confirms a guess at the intent only when every word of it fits the goal', () => {
    const goal: IvrGoal = { target: 'ask about a replacement card that never arrived' };
    assert.deepEqual(said(goal, ["I think you're calling to activate a card. Is that correct?"]), [
      'say "no"',
    ]);
    assert.deepEqual(said(goal, ['It sounds like you need a replacement card. Is that right?']), [
      'say "yes"',
    ]);
  });
});

describe('IVR classes from the fifth tuning set (navigator 4)', () => {
  const said = (goal: IvrGoal, prompts: string[]) => run(goal, prompts).map(describeDecision);

  it('stays on hold when the only key offered is a callback that also mentions staying on the line', () => {
    const goal: IvrGoal = { target: 'billing' };
    for (const prompt of [
      'All of our agents are busy. Press 1 to leave a callback number, or stay on the line to keep your place.',
      'Our representatives are assisting other callers. Press 2 to request a call back, or remain on hold.',
    ]) {
      assert.deepEqual(said(goal, [prompt]), ['wait'], prompt);
    }
    // A key that keeps one's place is still pressed when a callback is offered beside it.
    assert.deepEqual(
      said(goal, [
        'All of our agents are busy. To stay on hold, press 1. To have us call you back, press 2.',
      ]),
      ['press 1'],
    );
  });

  it('presses the "otherwise" key of a data prompt whose value it does not know, and enters one it knows', () => {
    const prompts = [
      "If you booked through a travel agent, enter the agency's IATA number. Otherwise, press star.",
      'If you have a promotion code, enter it now. Otherwise, press pound.',
    ];
    assert.deepEqual(said({ target: 'cancel my reservation', data: {} }, [prompts[0]]), ['press *']);
    assert.deepEqual(said({ target: 'cancel my reservation', data: {} }, [prompts[1]]), ['press #']);
    assert.deepEqual(
      said({ target: 'cancel my reservation', data: { promotion_code: '4471' } }, [prompts[1]]),
      ['press 4471'],
    );
  });

  it('says the value again when the system asks anew after a read-back it rejected, under another name', () => {
    const goal: IvrGoal = { target: 'change my flight', data: { record_locator: 'QZ7K4M' } };
    const decisions = said(goal, [
      'Please say your confirmation code, also called a record locator.',
      'I heard Q Z 7 K 4 N. Is that correct?',
      "Let's try again. Please say your confirmation code.",
    ]);
    assert.deepEqual(decisions, ['say "QZ7K4M"', 'say "no"', 'say "QZ7K4M"']);
    // An error with no rejected read-back before it is still an error: the operator route.
    assert.deepEqual(
      said({ target: 'billing', data: { member_number: '4471' } }, [
        'Please say your member number.',
        "Sorry, I didn't get that. Let's try again. Please say your member number.",
      ]),
      ['say "4471"', 'say "representative"'],
    );
  });

  it('reads an option without a verb that says what it covers between commas', () => {
    const labels = (text: string) => parsePrompt(text).options.map((o) => [o.digits, o.label]);
    assert.deepEqual(
      labels('New patients, one. Existing appointments, including rescheduling and cancellations, two.'),
      [
        ['1', 'new patients'],
        ['2', 'existing appointments including rescheduling and cancellations'],
      ],
    );
    assert.deepEqual(labels('Billing, such as payments and refunds, one. Store hours, two.'), [
      ['1', 'billing such as payments and refunds'],
      ['2', 'store hours'],
    ]);
    // A comma list of options is still read as options, not as one option covering the others.
    assert.deepEqual(labels('Billing, one. Repairs, two. Sales, three.'), [
      ['1', 'billing'],
      ['2', 'repairs'],
      ['3', 'sales'],
    ]);
    assert.deepEqual(
      said({ target: 'reschedule my visit' }, [
        'New patients, one. Existing appointments, including rescheduling and cancellations, two. Billing, three. To hear these options again, press nine.',
      ]),
      ['press 2'],
    );
  });

  it('takes the caller type for patients or customers when the other is for professionals who name a department', () => {
    const goal: IvrGoal = { target: 'pay my bill' };
    assert.deepEqual(
      said(goal, [
        "If you are a patient or a family member, press 1. If you are a physician or calling from a provider's office, press 2. For employment opportunities, press 3.",
      ]),
      ['press 1'],
    );
    assert.deepEqual(
      said(goal, [
        'If you are a policyholder, press 1. If you are an insurance agent, press 2. For all other callers, press 3.',
      ]),
      ['press 1'],
    );
    // A department offered by name is not a caller type: nothing fits, so the menu is heard out.
    assert.deepEqual(said(goal, ['For new customer sales, press 1. For physician referrals, press 2.']), [
      'wait',
    ]);
  });

  it('does not take an option for callers who are not customers when it holds a value of its own', () => {
    const menu =
      'If you are a policyholder, press 1. If you are an insurance agent, press 2. If you were in an accident with one of our customers and are not insured with us, press 3.';
    const goal: IvrGoal = { target: 'file a claim for a car accident', data: { policy_number: '2033' } };
    assert.deepEqual(said(goal, [menu]), ['press 1']);
    assert.deepEqual(
      said(goal, [
        'Members, press 1. If you are not a member and were in an accident with one of our drivers, press 2.',
      ]),
      ['press 1'],
    );
    // Without a value of its own the caller may well be the other driver: the matter decides.
    assert.deepEqual(said({ target: 'file a claim for a car accident' }, [menu]), ['press 3']);
  });

  it("takes an option that says one of the goal's keywords over one that fits only its other words", () => {
    const menu =
      'For store hours, press 1. For the status of an online order, press 2. For returns and exchanges, press 3.';
    const goal: IvrGoal = { target: 'return a damaged item from my online order', keywords: ['return'] };
    assert.deepEqual(said(goal, [menu]), ['press 3']);
    assert.deepEqual(
      said({ target: 'dispute a charge on my credit card statement', keywords: ['dispute'] }, [
        'For your card balance and statement, press 1. To dispute a transaction, press 2.',
      ]),
      ['press 2'],
    );
    // Without keywords the goal's words weigh as before.
    assert.deepEqual(said({ target: 'return a damaged item from my online order' }, [menu]), ['press 2']);
  });

  it('reads coverage and attendance words as their departments, and "find" as saying little', () => {
    assert.deepEqual(
      said({ target: 'find out if my MRI is covered' }, [
        'For pharmacy, press 1. To find a doctor, press 2. For claims, press 3. For benefits and coverage, press 4.',
      ]),
      ['press 4'],
    );
    assert.deepEqual(
      said({ target: 'report my child absent today' }, [
        'Enrollment, one. Transportation, two. Attendance, three. Food services, four. To repeat these options, press nine.',
      ]),
      ['press 3'],
    );
    assert.deepEqual(
      said({ target: 'find a doctor near me' }, [
        'For pharmacy, press 1. To find a doctor, press 2. For benefits and coverage, press 4.',
      ]),
      ['press 2'],
    );
  });

  it("reads an address in the goal as the caller's own, not as a branch's location", () => {
    const menu =
      'For balances, press 1. For loan payments, press 2. For branch hours and locations, press 4. To speak with a member service representative, press 0.';
    assert.deepEqual(said({ target: 'update my mailing address', keywords: ['address'] }, [menu]), [
      'press 0',
    ]);
    assert.deepEqual(said({ target: 'change my address' }, [menu]), ['press 0']);
    // An option that says "address" is still taken, and branch hours still fit a goal about a branch.
    assert.deepEqual(
      said({ target: 'change my address' }, [`${menu} To update your address or phone number, press 5.`]),
      ['press 5'],
    );
    assert.deepEqual(said({ target: 'find the nearest branch location' }, [menu]), ['press 4']);
  });

  it('reads "a new date" or "a new time" as changing a matter that exists, not starting one', () => {
    const goal: IvrGoal = {
      target: 'reschedule delivery of my package',
      keywords: ['reschedule', 'delivery'],
    };
    assert.deepEqual(
      said(goal, [
        'To have it held at one of our locations, press 1. To choose a new delivery date, press 2.',
      ]),
      ['press 2'],
    );
    assert.deepEqual(
      said({ target: 'reschedule my appointment' }, [
        'To book a new appointment, press 1. To pick a new time for an existing appointment, press 2.',
      ]),
      ['press 2'],
    );
    // "New" that names the matter still marks the other stage.
    assert.deepEqual(
      said({ target: 'check the status of my claim' }, [
        'To file a new claim, press 1. For the status of an existing claim, press 2.',
      ]),
      ['press 2'],
    );
  });

  it('answers "is that the one you are calling about?" after a record it reads back, by what it knows', () => {
    const goal: IvrGoal = { target: 'cancel my reservation', data: { arrival_date: '2026-12-14' } };
    const ask = (found: string) => said(goal, [`${found} Is that the reservation you're calling about?`]);
    assert.deepEqual(ask('I found a reservation arriving December fourteenth, 2026.'), ['say "yes"']);
    assert.deepEqual(ask('I found a reservation arriving January third, 2027.'), ['say "no"']);
    assert.equal(
      parsePrompt('I see an order placed on May 2. Is this the order you are calling about?').readBack,
      'I see an order placed on May 2',
    );
    // A question that is not a confirmation is no read-back.
    assert.equal(
      parsePrompt('Is this the first time you are calling us? Press 1 for yes.').readBack,
      undefined,
    );
  });

  it('does not take an option that says no more than an intent guess it rejected', () => {
    const goal: IvrGoal = { target: 'ask about a sample collection kit I never received' };
    const menu =
      'Kit orders, one. Shipping status, two. Results, three. To repeat these options, press nine.';
    assert.deepEqual(
      said(goal, ['It sounds like you want to order a collection kit. Is that right?', menu]),
      ['say "no"', 'press 0'],
    );
    // Without the rejected guess, the option naming the kit is the best there is.
    assert.deepEqual(said(goal, [menu]), ['press 1']);
    // An option that says more than the rejected guess is still weighed.
    assert.deepEqual(
      said(goal, [
        'It sounds like you want to order a collection kit. Is that right?',
        'Kit orders, one. Kits not received, two. To repeat these options, press nine.',
      ]),
      ['say "no"', 'press 2'],
    );
  });

  it('matches two goal words to the one word a menu writes them as', () => {
    assert.deepEqual(
      said({ target: 'roll over my old 401(k) into an IRA' }, [
        'You can say: trading, transfers and rollovers, retirement income, or tax documents.',
      ]),
      ['say "transfers and rollovers"'],
    );
    assert.deepEqual(
      said({ target: 'schedule a package pick up' }, [
        'To track a package, press 1. To schedule a pickup, press 2. For claims, press 3.',
      ]),
      ['press 2'],
    );
    // Two words that are no compound of any label word leave the scores as they were.
    assert.deepEqual(
      said({ target: 'sign up for online banking' }, [
        'For online banking help, press 1. For branch hours, press 2.',
      ]),
      ['press 1'],
    );
  });
});

describe('IVR option margins and calibration (navigator 4)', () => {
  const menu = 'For billing, press 1. For technical support, press 2. For store hours, press 3.';

  it('gives the margin of an option chosen by fit over the next fitting option', () => {
    const nav = new IvrNavigator({ target: 'pay my bill' }, T0);
    assert.deepEqual(describeDecision(nav.onPrompt(menu, T0 + 8_000)), 'press 1');
    // Only one option fits: its whole score is the margin.
    assert.ok((nav.margin ?? 0) >= 1, `margin ${nav.margin}`);

    const tie = new IvrNavigator({ target: 'jury duty' }, T0);
    const decision = tie.onPrompt(
      'To reach the jury office, press 1. To speak with a jury clerk, press 2. For traffic court, press 3.',
      T0 + 8_000,
    );
    assert.equal(decision.kind, 'press');
    assert.ok(Math.abs(tie.margin ?? 1) < 0.01, `margin ${tie.margin}`);
  });

  it('gives no margin for decisions not chosen by fit, nor after the next prompt', () => {
    const nav = new IvrNavigator({ target: 'pay my bill', data: { account_number: '5512' } }, T0);
    nav.onPrompt(menu, T0 + 8_000);
    assert.notEqual(nav.margin, undefined);
    assert.deepEqual(
      describeDecision(nav.onPrompt('Please enter your account number.', T0 + 16_000)),
      'press 5512',
    );
    assert.equal(nav.margin, undefined);
    const nothing = new IvrNavigator({ target: 'report a gas leak' }, T0);
    assert.equal(nothing.onPrompt(menu, T0 + 8_000).kind, 'wait');
    assert.equal(nothing.margin, undefined);
    // Not part of the saved state: a restored navigator has none.
    assert.equal(IvrNavigator.fromJSON(JSON.parse(JSON.stringify(nav.toJSON()))).margin, undefined);
  });

  it('counts option choices right and wrong by confidence and margin, and nothing else', () => {
    const scenarios: IvrScenario[] = [
      {
        name: 'right by fit',
        goal: { target: 'pay my bill' },
        prompts: [{ text: menu, expect: { kind: 'press', digits: '1' } }],
      },
      {
        name: 'wrong by fit',
        goal: { target: 'pay my bill' },
        prompts: [{ text: menu, expect: { kind: 'press', digits: '3' } }],
      },
      {
        name: 'data entry',
        goal: { target: 'pay my bill', data: { account_number: '5512' } },
        prompts: [{ text: 'Please enter your account number.', expect: { kind: 'press', digits: '5512' } }],
      },
    ];
    const { calibration } = scoreNavigator(scenarios);
    assert.deepEqual([...calibration.byConfidence], [['1', { right: 1, wrong: 1 }]]);
    assert.deepEqual([...calibration.byMargin], [['>= 1', { right: 1, wrong: 1 }]]);
    assert.equal(marginBucket(0), '< 0.01 (tie)');
    assert.equal(marginBucket(0.3), '0.25-0.5');
    assert.match(
      formatCalibration(calibration),
      /confidence 1: 1 right, 1 wrong\n {2}margin >= 1: 1 right, 1 wrong/,
    );
  });
});

describe('IVR classes from the sixth tuning set (navigator 5)', () => {
  const said = (goal: IvrGoal, prompts: string[]) => run(goal, prompts).map(describeDecision);

  it('still takes the option saying a keyword of the matter under the branch that keyword chose', () => {
    const goal: IvrGoal = { target: 'ask why my lease payment went up', keywords: ['lease'] };
    assert.deepEqual(
      said(goal, [
        'To make a payment, press 1. For lease questions, press 2. For maintenance, press 3.',
        'For lease renewals and terms, press 1. For payment history, press 2.',
      ]),
      ['press 2', 'press 1'],
    );
  });

  it("lets the goal's other words choose under a branch chosen by a keyword outside the matter", () => {
    const goal: IvrGoal = { target: 'get a copy of my 1099', keywords: ['contractor'] };
    assert.deepEqual(
      said(goal, [
        'If you are a client company, press 1. If you are a contractor, press 2.',
        'For payment schedules, press 1. For tax forms, including 1099s, press 2. For help with the contractor portal, press 3.',
      ]),
      ['press 2', 'press 2'],
    );
  });

  it('leaves out options for prospective customers when the caller holds a value of its own', () => {
    const menu = 'Brokers, press 1. Members, press 2. If you are shopping for a new plan, press 3.';
    const data = { member_id: '55120934' };
    assert.deepEqual(said({ target: 'find out whether my plan pays for acupuncture', data }, [menu]), [
      'press 2',
    ]);
    // A caller who shops for one takes it, whatever it holds.
    assert.deepEqual(said({ target: 'get a quote for a new plan', data }, [menu]), ['press 3']);
  });

  it('does not read "new" in a goal as a wish to start service, but still matches it word for word', () => {
    const rebate: IvrGoal = { target: 'ask about a rebate for a new water heater', keywords: ['rebate'] };
    assert.deepEqual(
      said(rebate, [
        'To pay your bill, press 1. To start or stop service, press 2. To repeat these options, press 9.',
      ]),
      ['press 0'],
    );
    const customer: IvrGoal = { target: 'start water service for a new customer', keywords: ['start'] };
    assert.deepEqual(
      said(customer, ['If you are moving within the city, press 1. If you are a new customer, press 2.']),
      ['press 2'],
    );
  });

  it('counts less a keyword phrase\'s modifier said before another noun ("water quality" for "water main")', () => {
    const goal: IvrGoal = { target: 'report a broken water main', keywords: ['water main'] };
    assert.deepEqual(
      said(goal, ['For billing, four. For water quality, five.', 'For main breaks and leaks, press 7.']),
      ['wait', 'press 7'],
    );
    // Said beside other words of the same list, the modifier still fits.
    assert.deepEqual(
      said(goal, ['For water and sewer problems, press 1. For trash pickup, press 2. To repeat, press 9.']),
      ['press 1'],
    );
  });

  it('does not take an option of another department that fits only the goal\'s trailing "for my ..." phrase', () => {
    const menu =
      'What would you like to do? You can say: refill a medication, book a visit, or find a clinic.';
    assert.deepEqual(
      said({ target: "change the card on file for my pet's medication", keywords: ['card'] }, [menu]),
      ['say "representative"'],
    );
    // With the keyword in that phrase, the phrase chooses.
    assert.deepEqual(
      said({ target: 'change the card on file for my medication refills', keywords: ['refills'] }, [menu]),
      ['say "refill a medication"'],
    );
  });

  it('reads quoted answers after "for example" as an open question\'s examples', () => {
    const prompt =
      "Briefly tell me why you're calling. For example, 'renew a book', 'pay a fine', or 'replace my card'.";
    assert.deepEqual(said({ target: 'replace my library card', keywords: ['replace', 'card'] }, [prompt]), [
      'say "replace my card"',
    ]);
    assert.deepEqual(said({ target: 'ask about a lost book' }, [prompt]), ['say "ask about a lost book"']);
  });

  it('reads "two for the year" as a two-digit year, and "four for the year" as four', () => {
    const ask = (year: string) =>
      parsePrompt(
        `Enter the date of birth using two digits for the month, two for the day and ${year} for the year.`,
      ).dataRequest?.length;
    assert.equal(ask('two'), 6);
    assert.equal(ask('four'), 8);
  });

  it('keys a value named in a long phrase after the keying verb', () => {
    const prompt = 'Enter the total amount of the payment you made, then press pound.';
    assert.deepEqual(said({ target: 'billing', data: { payment_amount: '250' } }, [prompt]), ['press 250#']);
    assert.deepEqual(said({ target: 'billing', data: { claim_number: '9913' } }, [prompt]), ['press 0']);
  });

  it('enters "them" for the value named before, and skips it with "if not, press star"', () => {
    const prompt =
      'If you have the last four digits of your previous account, enter them now. If not, press star.';
    assert.deepEqual(said({ target: 'billing', data: {} }, [prompt]), ['press *']);
    assert.deepEqual(said({ target: 'billing', data: { previous_account: '99881234' } }, [prompt]), [
      'press 1234',
    ]);
  });

  it('keeps holding past an offer to text a link, as past a callback', () => {
    const goal: IvrGoal = { target: 'renew my fishing license', keywords: ['renew'] };
    assert.deepEqual(
      said(goal, [
        'All agents are busy. Stay on the line, or press 2 and we will text you a link to renew online.',
      ]),
      ['wait'],
    );
    // A text offer is not a menu option, but a real one in a busy message still is.
    assert.deepEqual(
      said(goal, ['All agents are busy. For license renewals, press 1. For boat registration, press 2.']),
      ['press 1'],
    );
  });

  it("reads a goal about a thing of the caller's own as about one that exists", () => {
    const menu =
      "For store hours, say 'hours'. To open a new account, say 'new account'. If you already bank with us, say 'existing account'.";
    assert.deepEqual(said({ target: 'dispute a charge on my statement', keywords: ['dispute'] }, [menu]), [
      'say "existing account"',
    ]);
    assert.deepEqual(said({ target: 'open a new account', keywords: ['open'] }, [menu]), [
      'say "new account"',
    ]);
  });

  it('does not start a new matter for a goal about the caller\'s own, but takes "a new" value of it', () => {
    const goal: IvrGoal = { target: 'move the date of my appointment' };
    assert.deepEqual(
      said(goal, [
        'To book a new appointment, press 1. For appointment reminders, press 2. For billing, press 3.',
      ]),
      ['press 2'],
    );
    assert.deepEqual(
      said({ target: 'change my mailing address' }, [
        'To update to a new address, press 1. For billing, press 2. For outages, press 3.',
      ]),
      ['press 1'],
    );
  });

  it('reads a verbless option that lists what it covers, commas and "or" included', () => {
    const options = parsePrompt(
      'For outages, including downed lines, flickering lights, or no power at your home, six. To hear these options again, press nine.',
    ).options;
    assert.deepEqual(
      options.map((o) => o.digits),
      ['9', '6'],
    );
    assert.deepEqual(
      said({ target: 'report flickering lights in my building' }, [
        'For billing, four. For new connections, five.',
        'For outages, including downed lines, flickering lights, or no power at your home, six. To hear these options again, press nine.',
      ]),
      ['wait', 'press 6'],
    );
  });

  it("hears a department's name and one direct question as a person, not a filler's question", () => {
    assert.equal(parsePrompt("Road maintenance, where's the pothole located?").humanLikely, true);
    assert.equal(parsePrompt('Claims desk, what happened to the vehicle?').humanLikely, true);
    assert.equal(parsePrompt('Sorry, which city are you calling about?').humanLikely, false);
    assert.equal(parsePrompt('Billing, what would you like to do?').humanLikely, false);
    assert.equal(parsePrompt('Claims desk, what is your policy number?').humanLikely, false);
  });

  it('reads caller types in a menu whose every option says its topic ("individual insurance", "business insurance")', () => {
    const menu =
      'For individual insurance, press 1. For business insurance, press 2. For insurance agents, press 3.';
    assert.deepEqual(said({ target: 'ask why my insurance premium went up' }, [menu]), ['press 1']);
    // Without the topic in the goal, nothing tells the options apart: the menu is heard out.
    assert.deepEqual(said({ target: 'ask why my premium went up' }, [menu]), ['wait']);
  });
});

describe('IVR classes from the seventh tuning set (navigator 5)', () => {
  const said = (goal: IvrGoal, prompts: string[]) => run(goal, prompts).map(describeDecision);

  it('takes an option for hours and locations only for a goal that asks where or when', () => {
    const menu =
      'For order tracking, press 1. For warranty claim center hours and locations, press 2. To hear this menu again, press 9.';
    assert.deepEqual(said({ target: 'appeal a rejected warranty claim', keywords: ['appeal'] }, [menu]), [
      'press 0',
    ]);
    assert.deepEqual(said({ target: 'find the hours of the warranty claim center' }, [menu]), ['press 2']);
    // "After hours" says when the matter happens: still an option for it.
    assert.deepEqual(
      said({ target: 'reach the dentist about a dental emergency' }, [
        'For a dental emergency after hours, press 9. For billing, press 2.',
      ]),
      ['press 9'],
    );
  });

  it('keeps holding past a spoken offer to be called back, and still asks for a person at a spoken menu', () => {
    const goal: IvrGoal = { target: 'change the seat on my flight', keywords: ['seat'] };
    assert.deepEqual(
      said(goal, [
        "All of our travel agents are busy. You can stay on the line, or say 'call me back' and we'll return your call.",
      ]),
      ['wait'],
    );
    assert.deepEqual(said(goal, ["You can say 'baggage', 'call me back', or 'lost and found'."]), [
      'say "representative"',
    ]);
  });

  it('hears out one spoken choice, as one key, but not a list of spoken choices with nothing fitting', () => {
    const goal: IvrGoal = { target: 'book a birthday party', keywords: ['party'] };
    assert.deepEqual(said(goal, ["Welcome to the aquarium. For today's opening times, say 'hours'."]), [
      'wait',
    ]);
    assert.deepEqual(said(goal, ["You can say 'hours', 'memberships', or 'donations'."]), [
      'say "representative"',
    ]);
  });

  it('does not take an example whose words all fit one goal word: it says less than the goal', () => {
    const prompt =
      "Briefly, what are you calling about? You can say things like 'track an order' or 'gift cards'.";
    assert.deepEqual(said({ target: 'cancel my order' }, [prompt]), ['say "cancel my order"']);
    assert.deepEqual(
      said({ target: 'cancel my order' }, [
        "Briefly, what are you calling about? You can say things like 'cancel an order' or 'gift cards'.",
      ]),
      ['say "cancel an order"'],
    );
  });

  it('reads a lone "service" among departments as repairs, and "an update" on a matter as its status', () => {
    const goal: IvrGoal = { target: 'find out whether my truck repair is done', keywords: ['repair'] };
    assert.deepEqual(
      said(goal, [
        'Sales, one. Service, two. Parts, three.',
        "To book a service appointment, press 1. If your vehicle is with us and you'd like an update, press 2. For recalls, press 3.",
      ]),
      ['press 2', 'press 2'],
    );
    // A lone "service" does not draw a goal about something else.
    assert.deepEqual(said({ target: 'ask about my bill' }, ['Sales, one. Service, two. Billing, three.']), [
      'press 3',
    ]);
  });

  it('reads redirecting a delivery as changing it, not as tracking it', () => {
    const menu = "I found your parcel. Say 'track it', 'change the delivery', or 'something else'.";
    assert.deepEqual(said({ target: 'redirect my parcel to my office' }, [menu]), [
      'say "change the delivery"',
    ]);
    assert.deepEqual(said({ target: 'track my parcel' }, [menu]), ['say "track it"']);
  });

  it("does not take an option related only to a word of the goal's trailing phrase that is not a keyword", () => {
    const menu = "You can say 'reservations', 'rewards points', or 'gift cards'.";
    assert.deepEqual(
      said({ target: 'question a fee on my statement from a hotel stay', keywords: ['fee', 'statement'] }, [
        menu,
      ]),
      ['say "representative"'],
    );
    // Named as a keyword, the same word chooses.
    assert.deepEqual(
      said({ target: 'question a fee on my statement from a hotel stay', keywords: ['fee', 'stay'] }, [menu]),
      ['say "reservations"'],
    );
  });

  it('takes the option naming one of its values as the record found, and only that', () => {
    const prompt =
      "I see a patient named Pepper on this account. If you're calling about Pepper, press 1. For another patient, press 2.";
    const goal = (name: string): IvrGoal => ({
      target: 'refill a prescription for my cat',
      data: { pet_name: name, phone_number: '5035550100' },
    });
    assert.deepEqual(said(goal('Pepper'), [prompt]), ['press 1']);
    assert.notDeepEqual(said(goal('Mochi'), [prompt]), ['press 1']);
    // A place named like the caller's value is not a record of its own.
    assert.deepEqual(
      said({ target: 'book a grooming appointment', data: { last_name: 'Washington' } }, [
        'For our Washington office, press 1. For grooming appointments, press 2.',
      ]),
      ['press 2'],
    );
  });
});

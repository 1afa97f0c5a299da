import assert from 'node:assert/strict';
import { type LabelledCase, scoreExtractor } from '../src/extraction/accuracy';
import { extractBuiltin, extractBuiltinWithEvidence, type TranscriptTurn } from '../src/extraction/builtin';
import { afterCorrection, buildDialogue, polarity, questions } from '../src/extraction/dialogue';
import type { FieldSpec } from '../src/extraction/fields';
import { findIdentifiers, findNumbers } from '../src/extraction/spoken';
import dialogueSet from './kit/extraction-dialogue.json';

const NOW = new Date('2025-03-05T15:00:00Z');

function turns(...lines: string[]): TranscriptTurn[] {
  return lines.map((text, i) => ({ role: i % 2 === 0 ? 'agent' : 'caller', text }));
}

function one(field: FieldSpec, transcript: TranscriptTurn[]) {
  return extractBuiltin([field], transcript, { now: NOW, timezone: 'America/New_York' })[field.name];
}

const name: FieldSpec = { name: 'caller_name', type: 'text', description: "The caller's name" };
const budget: FieldSpec = { name: 'budget', type: 'number', description: 'Budget in dollars' };
const customer: FieldSpec = {
  name: 'existing_customer',
  type: 'boolean',
  description: 'Whether the caller is already a customer',
};

describe('dialogue layer', () => {
  describe('yes and no', () => {
    it('reads soft, late and scoped negatives as no', () => {
      for (const answer of [
        'Not right now, maybe next quarter.',
        "I'm not, but I'd like a replacement.",
        'Well my parents own it, I just live there, so no.',
        "I don't think so, no.",
        'Eh, I get enough email, I will pass.',
        'not at the moment, I can work around it',
      ])
        assert.equal(polarity(answer), false, answer);
    });

    it('reads hedges as neither, and a plain yes as yes', () => {
      assert.equal(polarity('Maybe, I have to check with my boss first.'), null);
      assert.equal(polarity("I'm not sure yet."), null);
      assert.equal(polarity('yes please'), true);
      assert.equal(polarity('Sure, that works.'), true);
    });
  });

  it('finds what a correction leaves standing', () => {
    assert.equal(afterCorrection("Jon Bauer. No wait, sorry, it's Jon Baumer.")?.text, 'Jon Baumer.');
    assert.equal(afterCorrection('Jon Bauer.'), undefined);
  });

  it("pairs answers with questions and the agent's read-back with the caller's reply", () => {
    const d = buildDialogue(
      turns(
        "What's your order number?",
        'It is four seven two nine one.',
        'Four seven two nine one, correct?',
        'Yes.',
      ),
    );
    assert.equal(d.exchanges[0].answerTurn, 1);
    assert.deepEqual(
      { agentTurn: d.exchanges[0].readBack?.agentTurn, confirmed: d.exchanges[0].readBack?.confirmed },
      { agentTurn: 2, confirmed: true },
    );
  });
});

describe('spoken forms', () => {
  it('reads amounts without a currency word, and "grand" and "k" as money', () => {
    const values = (t: string) => findNumbers(t).map((n) => [n.value, n.money]);
    assert.deepEqual(values('about 1.2 million'), [[1_200_000, false]]);
    assert.deepEqual(values('about 2.5 million last year'), [[2_500_000, false]]);
    assert.deepEqual(values('Roughly 15k.'), [[15_000, true]]);
    assert.deepEqual(values('like a hundred and fifty grand'), [[150_000, true]]);
  });

  it('reads fractions said in words: "point", "and a half", "half a million", "mil"', () => {
    const values = (t: string) => findNumbers(t).map((n) => [n.value, n.money]);
    assert.deepEqual(values('two point five million'), [[2_500_000, false]]);
    assert.deepEqual(values('one point two mil'), [[1_200_000, false]]);
    assert.deepEqual(values('about 2.5 mil'), [[2_500_000, false]]);
    assert.deepEqual(values('we budgeted 4 point 5 k'), [[4500, true]]);
    assert.deepEqual(values('three and a half million'), [[3_500_000, false]]);
    assert.deepEqual(values('half a million'), [[500_000, false]]);
    assert.deepEqual(values('three and a half years'), [[3.5, false]]);
    // "point" not followed by digits is no decimal point.
    assert.deepEqual(values('at one point we had two'), [
      [1, false],
      [2, false],
    ]);
  });

  it('does not read the pronoun "one" as 1, but counts "just the one"', () => {
    assert.deepEqual(findNumbers("No I haven't set one, I didn't know I needed one."), []);
    assert.deepEqual(
      findNumbers('Just the one.').map((n) => n.value),
      [1],
    );
  });

  it('reads identifiers spoken piece by piece, with spaces, dashes and "as in"', () => {
    const ids = (t: string) => findIdentifiers(t).map((i) => i.value);
    assert.deepEqual(ids("It's M as in Mary, K as in kilo, seven, four, two, B as in boy."), ['MK742B']);
    assert.deepEqual(ids('yeah its uh T K dash nine nine one two'), ['TK-9912']);
    assert.deepEqual(ids("yeah it's 8 8 3 1 0 2"), ['883102']);
    assert.deepEqual(ids('I have a 2 year old'), []);
  });

  it('reads letters as speech-to-text writes them: lower case, dashed, and "a" or "i" before another letter', () => {
    const ids = (t: string) => findIdentifiers(t).map((i) => i.value);
    assert.deepEqual(ids('sure its r x nine oh oh two'), ['RX9002']);
    assert.deepEqual(ids('uh a b as in boy four four one'), ['AB441']);
    assert.deepEqual(ids('Q-R-T, five five zero one.'), ['QRT5501']);
    assert.deepEqual(ids('the code is six m double two j five'), ['6M22J5']);
    // "it's" is no letter S, "a" before a number is a word, "i t" has no digit.
    assert.deepEqual(ids("it's 3 0 9 1 2"), ['30912']);
    assert.deepEqual(ids('i need a 4 day pass for our i t guy'), []);
  });

  it('reads "three forty" and "twenty twenty four" as one number, and cents', () => {
    const values = (t: string) => findNumbers(t).map((n) => n.value);
    assert.deepEqual(values('like three forty a month'), [340]);
    assert.deepEqual(values('back in twenty twenty two'), [2022]);
    assert.deepEqual(values('one twenty one thirty'), [120, 130]);
    // Said as ranges more often than as 510 or 2530.
    assert.deepEqual(values('like five ten people'), [5, 10]);
    assert.deepEqual(values('twenty five thirty'), [25, 30]);
    assert.deepEqual(values('nine dollars and ninety five cents'), [9.95]);
  });
});

describe('field extractors over the dialogue', () => {
  it('takes the full name given after a first name, and the name a correction leaves', () => {
    assert.equal(one(name, turns('Who am I speaking with?', "Yeah it's Priya. Priya Raman.")), 'Priya Raman');
    assert.equal(
      one(name, turns('Can I get your name?', "Jon Bauer. No wait, sorry, it's Jon Baumer.")),
      'Jon Baumer',
    );
  });

  it('takes a lower-case self-introduction that ends where a name ends, confirmed or not', () => {
    assert.equal(
      one(
        name,
        turns('Who do I have on the line?', 'hi this is dana whitaker', 'Thanks Dana. How can I help?'),
      ),
      'Dana Whitaker',
    );
    assert.equal(
      one(name, turns('Who do I have on the line?', 'hi this is dana whitaker', 'How can I help?')),
      'Dana Whitaker',
    );
  });

  it('reads lower-case names confirmed by the agent or by a spelling, with the surname after them', () => {
    const said = (...lines: string[]) => one(name, turns(...lines));
    assert.equal(
      said('How can I help?', 'uh hi its uh colin reyes i wanted to ask about gutters', 'Sure, Colin.'),
      'Colin Reyes',
    );
    assert.equal(said('Your name please?', 'maya fink f i n k'), 'Maya Fink');
    assert.equal(
      said('Who am I speaking with?', 'my names nora with an n o r a nora quist', 'Hi Nora.'),
      'Nora Quist',
    );
    assert.equal(said('How can I help?', 'morning ezra cole here quick question', 'Hi Ezra.'), 'Ezra Cole');
    assert.equal(said('Your name?', 'its for me um paulo ... sorry', 'Thanks, Paulo.'), 'Paulo');
    // The surname asked for alone and spelled, or said later with the first name.
    assert.equal(
      said('Who is this?', 'yeah its uh theo', 'Thanks Theo. And your last name?', 'brandt b r a n d t'),
      'Theo Brandt',
    );
    assert.equal(
      said('Your name?', 'ivy', 'Thanks, Ivy. Is Lund your last name?', 'yep thats me ivy lund'),
      'Ivy Lund',
    );
    assert.equal(
      said('Your name and email?', 'omar and its o m a r at gmail dot com k for kemp thats my last name'),
      'Omar Kemp',
    );
    // A later "austin texas" is a place until something confirms it as a surname.
    assert.equal(
      said('Can I get your name?', 'um austin', 'Great, Austin. Where do you live?', 'austin texas'),
      'Austin',
    );
    // A word that is no name, or a name nothing confirms, stays out.
    assert.equal(said('Your name?', 'iris', 'Thanks, Iris. When suits you?', 'mornings mostly'), 'Iris');
    assert.equal(said('How can I help?', 'this is mona sayed calling about a bill', 'Sure.'), 'Mona Sayed');
    assert.equal(said('How can I help?', 'this is ridiculous my bill doubled', 'Sorry.'), null);
  });

  it('takes the answer span of a lower-case answer to a name question', () => {
    const said = (...lines: string[]) => one(name, turns(...lines));
    assert.equal(said('Sure, your name?', 'gloria nunez'), 'Gloria Nunez');
    assert.equal(said('Name?', 'ruth adeyemi'), 'Ruth Adeyemi');
    assert.equal(said('Name and unit?', 'denise carter unit 12 c'), 'Denise Carter');
    assert.equal(
      said('Name and email for the quote?', 'june park and its j p a r k at yahoo dot com'),
      'June Park',
    );
    assert.equal(said('Name and account number?', 'Pat Greene, account 5 5 1 2.'), 'Pat Greene');
    // A spelled surname gives its apostrophe.
    assert.equal(said('And your name?', 'ellen obrien thats o apostrophe b r i e n'), "Ellen O'Brien");
    // Not a name: ordinary words, initials, a refusal, a name for someone else.
    assert.equal(said('Your name?', 'why do you need it'), null);
    assert.equal(said('Can I get your name?', 'yeah its um its dw'), null);
    assert.equal(said('Your name?', 'its for my son actually'), null);
    assert.equal(said('Your name?', 'same as last time'), null);
    assert.equal(said('Your name?', 'rather not say'), null);
  });

  it('takes lower-case introductions opening the call, and not ordinary words after "its" or "im"', () => {
    const said = (...lines: string[]) => one(name, turns(...lines));
    assert.equal(said('Riverside service.', 'yeah hi its beth i got a letter about a recall'), 'Beth');
    assert.equal(said('Vet clinic.', 'hi its megan tully my cat has been sick'), 'Megan Tully');
    assert.equal(said('Client services.', 'hi uh this is harold ng i need to move some money'), 'Harold Ng');
    assert.equal(said('Pharmacy.', 'hi um frank delgado calling my card changed'), 'Frank Delgado');
    assert.equal(said('Roofing.', 'hey its omar calling to book'), 'Omar');
    assert.equal(
      said('Roofing, hello.', 'no', 'Sorry?', 'oh sorry this is jake i dialed the wrong number'),
      'Jake',
    );
    for (const opening of [
      'hi its super slow again today',
      'hi its raining through my ceiling',
      'im locked out of my account',
      'hi im behind on rent this month',
      'hi its broken',
      'hi um water heater my basement is flooded',
      'hi riverside dental calling to confirm',
      'hi im curious about pricing',
      'hi im allergic to penicillin',
      'hi im afraid my pipe burst',
      'hi im due for a cleaning',
      'hi this is dispatch',
    ])
      assert.equal(said('How can I help?', opening), null, opening);
    // With capitals, a lower-case word is no name.
    assert.equal(said('How can I help?', "Hi, I'm locked out, I forgot my password."), null);
  });

  it('completes a first name with the surname said later, and takes the full name over a short form', () => {
    const said = (...lines: string[]) => one(name, turns(...lines));
    assert.equal(
      said(
        'Toyota, how can I help?',
        'can i come saturday',
        'Sure.',
        'yep oh and its derek by the way derek mancini',
      ),
      'Derek Mancini',
    );
    assert.equal(
      said(
        'Roofing.',
        'hi im victor the manager at a storage place',
        'Hi Victor. Budget?',
        'its victor salazar',
      ),
      'Victor Salazar',
    );
    assert.equal(
      said(
        'Your name?',
        'its jen',
        'Thanks Jen. Full name for the file?',
        'jennifer kowalczyk k o w a l c z y k',
      ),
      'Jennifer Kowalczyk',
    );
    assert.equal(
      said(
        'And your name?',
        'priya',
        'Thanks Priya. Booked.',
        'oh and the last name on the file should be ramaswamy',
      ),
      'Priya Ramaswamy',
    );
    // A surname alone is no caller name.
    assert.equal(said('Booked.', 'the last name on the file should be ramaswamy'), null);
    // "its X" later in a call, with nothing to confirm it, is not taken.
    assert.equal(said('Hello.', 'i need a quote', 'Sure.', 'yeah its kevin i think'), null);
  });

  it("takes someone else's name for the field that asks for them, and not as the caller's", () => {
    const holder: FieldSpec = { name: 'account_holder_name', type: 'text' };
    const call = turns('And the name on the account?', 'its under my wifes name keisha brown');
    assert.equal(one(holder, call), 'Keisha Brown');
    assert.equal(one(name, call), null);
    const medication: FieldSpec = { name: 'medication_name', type: 'text' };
    assert.equal(one(medication, turns('How can I help?', 'hi its gail about my cats refill')), null);
  });

  it('reads lower-case pet names after "my dog" or "my cat"', () => {
    const pet: FieldSpec = { name: 'pet_name', type: 'text' };
    assert.equal(one(pet, turns('Vet.', 'hi i need to bring my dog biscuit in for his shots')), 'Biscuit');
    assert.equal(one(pet, turns('Vet.', 'hi its megan my cat luna has been throwing up')), 'Luna');
    assert.equal(one(pet, turns('Vet.', 'its about my cat olivers thyroid medication')), 'Oliver');
    for (const text of [
      'my dog keeps throwing up',
      'my cat is limping',
      'my dog ate a sock',
      'my dog really hates baths',
    ])
      assert.equal(one(pet, turns('Vet.', text)), null, text);
    // With capitals, a lower-case word after "my dog" is no name.
    assert.equal(one(pet, turns('Vet.', 'Hi, my dog barks at night.')), null);
  });

  it('reads the organisation after a name and a comma, or after a name and a role', () => {
    const company: FieldSpec = { name: 'company', type: 'text', description: "The caller's company" };
    assert.equal(
      one(company, turns('Who am I speaking with?', 'This is Brent, at Pinecrest Credit Union.')),
      'Pinecrest Credit Union',
    );
    assert.equal(
      one(company, turns('Roofing.', 'hi im victor the facilities manager at riverside storage')),
      'Riverside Storage',
    );
    assert.equal(one(company, turns('Roofing.', 'hi im victor the guy who called yesterday')), null);
  });

  it('completes a name given before or after, reads accents, and takes a full name volunteered later', () => {
    const said = (...lines: string[]) => one(name, turns(...lines));
    assert.equal(said('What name is the booking under?', 'Okafor. Chidi Okafor.'), 'Chidi Okafor');
    assert.equal(said('And your name?', "It's Sam. Well, Samuel Ortiz on the account."), 'Samuel Ortiz');
    assert.equal(said('Can I have your name?', 'José Núñez.'), 'José Núñez');
    assert.equal(
      said('How can I help?', 'The account is in my wife’s name.', 'No problem.', "Sure. I'm Arjun Mehta."),
      'Arjun Mehta',
    );
  });

  it("takes a patient's or student's name from the question for it, and not as the caller's", () => {
    const patient: FieldSpec = { name: 'patient_name', type: 'text' };
    const student: FieldSpec = { name: 'student_name', type: 'text' };
    const forDaughter = turns(
      'Clinic, how can I help?',
      "Hi, I'm calling for my daughter.",
      "What's the patient's name?",
      'Ana Ruiz.',
    );
    assert.equal(one(patient, forDaughter), 'Ana Ruiz');
    assert.equal(one(name, forDaughter), null);
    const parent = turns("What's your son's name?", 'Milo Grant.', 'And you are?', 'Rachel Grant.');
    assert.equal(one(student, parent), 'Milo Grant');
    assert.equal(one(name, parent), 'Rachel Grant');
    // A wrong number: the caller's name, volunteered, is no patient's.
    const wrong = turns('Clinic, how can I help?', 'oh sorry wrong place this is tom', 'No problem, Tom.');
    assert.equal(one(patient, wrong), null);
    assert.equal(one(name, wrong), 'Tom');
  });

  it('reads the organisation in lower-case introductions and roles, and the answer to a question for it', () => {
    const company: FieldSpec = { name: 'company', type: 'text', description: "The caller's company" };
    const intro = (text: string, ...more: string[]) =>
      one(company, turns('Who am I speaking with?', text, ...more));
    assert.equal(
      intro('hi this is uh nina from from copperline roofing we do commercial'),
      'Copperline Roofing',
    );
    assert.equal(intro('yeah im calling from uh delmar freight were looking for a quote'), 'Delmar Freight');
    assert.equal(intro('hi im the office manager at bayside pediatrics'), 'Bayside Pediatrics');
    assert.equal(intro('This is Rob at Granite Peak Outfitters. Quick question.'), 'Granite Peak Outfitters');
    assert.equal(intro('im calling from home today'), null);
    assert.equal(intro('hey its sam at the front desk'), null);
    // An email cut short is no introduction.
    assert.equal(intro('im nina', 'Email?', 'its sales at northg'), null);
    const insurer: FieldSpec = {
      name: 'insurance_provider',
      type: 'text',
      description: "The patient's insurance company",
    };
    assert.equal(one(insurer, turns('Who is your insurance with?', 'uh aetna')), 'Aetna');
    assert.equal(one(insurer, turns('Who is your insurance with?', 'i dont have any right now')), null);
  });

  it('keeps "and" inside a lower-case firm name, and the longer name given to a read-back', () => {
    const company: FieldSpec = { name: 'company', type: 'text', description: "The caller's company" };
    assert.equal(
      one(company, turns('how can i help', 'hi im calling from marsh and bell surveyors we need a quote')),
      'Marsh and Bell Surveyors',
    );
    // "and" followed by an ordinary word ends the name.
    assert.equal(
      one(company, turns('how can i help', 'hi im calling from marsh surveyors and we need a quote')),
      'Marsh Surveyors',
    );
    assert.equal(
      one(
        company,
        turns(
          'how can i help',
          'this is ada from tidewell glass were moving offices',
          'and the company name is tidewell glass',
          'tidewell glass and mirror yeah thats the full name',
        ),
      ),
      'Tidewell Glass and Mirror',
    );
    // An answer that does not open with the name read back completes nothing.
    assert.equal(
      one(
        company,
        turns(
          'how can i help',
          'this is ada from tidewell glass were moving offices',
          'and the company name is tidewell glass',
          'yes and mirror wants a quote too',
        ),
      ),
      'Tidewell Glass',
    );
  });

  it('reads identifiers asked in unpunctuated agent turns, never a piece of a longer one', () => {
    const booking: FieldSpec = {
      name: 'reservation_number',
      type: 'text',
      description: 'Rental confirmation number',
    };
    // The description's word before "number" names what the agent asks for.
    assert.equal(
      one(booking, turns('i can help whats the confirmation number', 'its k as in kilo four four b nine')),
      'K44B9',
    );
    assert.equal(one(booking, turns('whats the confirmation number', 'q l six six one')), 'QL661');
    const docket: FieldSpec = { name: 'case_number', type: 'text', description: 'Case number' };
    // A number word or a lone letter left out before it: the identifier is longer than what was read.
    assert.equal(
      one(docket, turns('do you have the case number', 'twenty twenty four c r five five one')),
      null,
    );
    assert.equal(one(docket, turns('do you have the case number', 'uh j eight eight two')), 'J882');
    const member: FieldSpec = { name: 'member_id', type: 'text', description: 'Member ID' };
    assert.equal(one(member, turns('sure name and member id', 'rosa lind um i seven seven three')), null);
    assert.equal(one(member, turns('sure name and member id', 'rosa lind um its seven seven three')), '773');
  });

  it('reads only the question of an unpunctuated agent turn, not a statement before it', () => {
    const order: FieldSpec = { name: 'order_number', type: 'text', description: 'Order number' };
    const said = (ask: string) => one(order, turns(ask, 'one one two one five'));
    assert.equal(said('ok your order number is on the receipt whats your zip'), null);
    assert.equal(said('ok i can look that up whats the order number'), '11215');
    assert.equal(said('and the order number'), '11215');
  });

  it('reads an abbreviation spelled by speech-to-text and a ZIP field as identifiers', () => {
    const rx: FieldSpec = { name: 'rx_number', type: 'text', description: 'Prescription number' };
    const said = (text: string) => one(rx, turns('pharmacy how can i help', text));
    assert.equal(said('hi i need a refill the r x number is four one one two zero nine'), '411209');
    assert.equal(said('hi i need a refill the rx number is four one one two zero nine'), '411209');
    // The letters of another word do not name the field.
    assert.equal(said('hi i need a refill for rex the order number is four one one two zero nine'), null);
    const zip: FieldSpec = { name: 'origin_zip', type: 'text', description: 'ZIP code they move from' };
    assert.equal(
      one(zip, turns('where from', 'from dayton zip is four five four zero two and going to ames')),
      '45402',
    );
    assert.equal(one(zip, turns('where from', 'from dayton and going to ames')), null);
  });

  it('reads spelled-out addresses with a word then its spelling, and letters spelled in the domain', () => {
    const email: FieldSpec = { name: 'email', type: 'text', description: 'Email address' };
    const said = (text: string) => one(email, turns('whats a good email', text));
    assert.equal(said('its m dot okoro o k o r o at yahoo dot com'), 'm.okoro@yahoo.com');
    assert.equal(said('sales at fenwick h v a c dot com'), 'sales@fenwickhvac.com');
    assert.equal(said('sales at the fenwick h v a c dot com'), null);
    // A spelling of another word than the one before it settles nothing: "okoro" or "mokoro"?
    assert.equal(said('its m okoro o k o r o at yahoo dot com'), null);
  });

  it('reads trip cities in calls written all in lower case when they are no ordinary words', () => {
    const from: FieldSpec = { name: 'pickup_city', type: 'text', description: 'Pickup city' };
    const to: FieldSpec = { name: 'destination_city', type: 'text', description: 'City they move to' };
    const trip = turns('freight quotes', 'i need a quote for four pallets going from fresno to boise');
    assert.equal(one(from, trip), 'Fresno');
    assert.equal(one(to, trip), 'Boise');
    assert.equal(one(to, turns('where to', 'from our old place and were moving down to tampa')), 'Tampa');
    // Ordinary words are no places, and a word going on into a phrase is not one either.
    assert.equal(one(from, turns('where from', 'going from bad to worse honestly')), null);
    assert.equal(one(to, turns('where to', 'were going to need a bigger truck')), null);
    assert.equal(one(to, turns('where to', 'were moving to tampa bay area')), null);
  });

  it("takes the name on the thing the description names when the caller gives someone else's", () => {
    const holder: FieldSpec = {
      name: 'system_owner',
      type: 'text',
      description: 'Name on the solar account',
    };
    const t = (q: string) => one(holder, turns(q, 'its under my husbands name dave nolan'));
    assert.equal(t('and the name on the account'), 'Dave Nolan');
    assert.equal(t('and whats your name'), null);
  });

  it("takes the caller's own name for the patient once the agent asks whether they are one", () => {
    const patient: FieldSpec = { name: 'patient_name', type: 'text', description: "Patient's name" };
    const call = (answer: string) =>
      one(
        patient,
        turns('dental office', 'hi i need a cleaning', 'are you a new patient with us', answer, 'hi nora ok'),
      );
    assert.equal(call('no ive been coming for years its nora fitzgerald'), 'Nora Fitzgerald');
    // Someone else in the caller's words: the caller may be calling for them.
    assert.equal(call('no she has been coming for years its nora fitzgerald'), null);
    // Not asked whether they are one: a caller who only says who they are is not the patient.
    assert.equal(
      one(patient, turns('clinic', 'oh sorry wrong number this is nora fitzgerald', 'no problem nora')),
      null,
    );
  });

  it("reads an insurer field as an organisation, never from the answer to the caller's name", () => {
    const insurer: FieldSpec = {
      name: 'insurance_provider',
      type: 'text',
      description: "Name of the caller's insurer",
    };
    const t = turns("What's your name?", 'its jen', 'Who is your insurance with?', 'blue cross blue shield');
    assert.equal(one(insurer, t), 'Blue Cross Blue Shield');
    assert.equal(one(insurer, turns("What's your name?", 'its jen')), null);
  });

  it("takes the agent's fixed form of a garbled organisation only when the caller confirms it", () => {
    const insurer: FieldSpec = { name: 'insurance_provider', type: 'text', description: 'Insurance company' };
    const t = (reply: string) =>
      one(insurer, turns('who is your insurance with', 'unity hells', 'unity health', reply));
    assert.equal(t('yeah unity health'), 'Unity Health');
    assert.equal(t('yes'), 'Unity Health');
    assert.equal(t('no its something else'), null);
    assert.equal(
      one(insurer, turns('who is your insurance with', 'unity health', 'ok thanks', 'sure')),
      'Unity Health',
    );
  });

  it('reads street addresses, trip cities and a vehicle model, and leaves other free text null', () => {
    const address: FieldSpec = { name: 'service_address', type: 'text', description: 'Where the work is' };
    assert.equal(
      one(address, turns('And the service address?', 'its um twenty two oh nine north pine avenue')),
      '2209 North Pine Avenue',
    );
    assert.equal(
      one(address, turns("What's the address?", '310 Elm Court, the blue house.')),
      '310 Elm Court',
    );
    assert.equal(one(address, turns("What's the address?", 'the one by the school')), null);
    const from: FieldSpec = {
      name: 'pickup_city',
      type: 'text',
      description: 'City the load is picked up in',
    };
    const to: FieldSpec = { name: 'delivery_city', type: 'text', description: 'City it is delivered to' };
    const trip = turns('Where is it going?', 'From Tulsa down to Dallas.');
    assert.equal(one(from, trip), 'Tulsa');
    assert.equal(one(to, trip), 'Dallas');
    // In lower case only when the agent writes it as a name; a cut-off word stays out.
    const cut = turns(
      'Where to?',
      'a reefer from modesto to uh reno',
      'From Modesto to where?',
      'to uh spar',
    );
    assert.equal(one(from, cut), 'Modesto');
    assert.equal(one(to, cut), null);
    const model: FieldSpec = { name: 'car_model', type: 'text', description: 'Make and model of the car' };
    assert.equal(one(model, turns('What car is it?', "It's a 2016 Toyota Corolla, gray.")), 'Toyota Corolla');
    assert.equal(one(model, turns('What car is it?', 'twenty sixteen corolla')), null);
    const notes: FieldSpec = { name: 'notes', type: 'text', description: 'Anything else' };
    assert.equal(one(notes, turns('Anything else?', 'From Tulsa to Dallas, 310 Elm Court.')), null);
  });

  it('reads a money answer with no currency word, and no 1 from the pronoun "one"', () => {
    assert.equal(
      one(budget, turns('What budget are you working with?', 'About 1.2 million, give or take.')),
      1_200_000,
    );
    const pins: FieldSpec = { name: 'pin_count', type: 'number', description: 'Number of PINs set' };
    assert.equal(one(pins, turns('Have you set up a PIN?', "No I haven't set one.")), null);
  });

  it('reads a count said with the noun the field counts, not a range, two counts or a number of another thing', () => {
    const bedrooms: FieldSpec = {
      name: 'bedrooms',
      type: 'number',
      description: 'Number of bedrooms being moved',
    };
    assert.equal(one(bedrooms, turns('How big is the place?', 'a two bedroom apartment')), 2);
    assert.equal(one(bedrooms, turns('How can I help?', 'were moving out of a three-bedroom in town')), 3);
    const applicants: FieldSpec = { name: 'number_of_applicants', type: 'number' };
    assert.equal(one(applicants, turns('How can I help?', 'we are four applicants')), 4);
    assert.equal(one(bedrooms, turns('How big is the place?', 'two or three bedrooms')), null);
    assert.equal(
      one(bedrooms, turns('How big is it?', 'a two bedroom now', 'And the new one?', 'a three bedroom')),
      null,
    );
    assert.equal(one(bedrooms, turns('How big is it?', 'about 1200 square feet')), null);
    // A field named by more than its noun counts nothing by it: "8 years" is not years in business.
    const years: FieldSpec = { name: 'years_in_business', type: 'number' };
    assert.equal(one(years, turns('How can I help?', 'ive been driving 8 years')), null);
  });

  it('takes an answer to a question that is only the field words, or asks what an amount runs to', () => {
    const mileage: FieldSpec = { name: 'mileage', type: 'number', description: 'Current mileage' };
    assert.equal(one(mileage, turns('Current mileage?', 'like forty two thousand')), 42000);
    assert.equal(one(mileage, turns('Current mileage?', 'forty or fifty thousand')), null);
    const bill: FieldSpec = {
      name: 'monthly_electric_bill',
      type: 'number',
      description: 'Average monthly bill in dollars',
    };
    assert.equal(
      one(bill, turns('What does the electric bill run?', 'like a hundred and eighty a month')),
      180,
    );
    assert.equal(one(bill, turns('What does the electric bill include?', 'two meters')), null);
    const assets: FieldSpec = {
      name: 'investable_assets',
      type: 'number',
      description: 'Investable assets in dollars',
    };
    assert.equal(
      one(assets, turns('Roughly how much would you be investing?', 'its about 2.5 million after taxes')),
      2_500_000,
    );
    assert.equal(
      one(assets, turns('Roughly how much would you be investing?', 'two or three million')),
      null,
    );
  });

  it('reads an ordinal answer to a question for the level a field names, not to a question for a counted thing', () => {
    const grade: FieldSpec = { name: 'student_grade', type: 'number', description: "Student's grade level" };
    assert.equal(
      one(grade, turns('What grade is she in?', 'Seventh. Its kind of eighth-grade material.')),
      7,
    );
    assert.equal(one(grade, turns('What grade is she in?', 'um shes in seventh grade')), 7);
    assert.equal(one(grade, turns('What grade is she in?', 'first time she struggled honestly')), null);
    const floor: FieldSpec = { name: 'floor', type: 'number', description: 'Floor of the apartment' };
    assert.equal(one(floor, turns('Which floor?', 'the twenty first')), 21);
    const vehicles: FieldSpec = { name: 'vehicle_count', type: 'number', description: 'Number of vehicles' };
    assert.equal(one(vehicles, turns('What vehicle are we quoting?', 'a 2018 civic')), null);
  });

  it("reads a pet's name written in lower case, named back by the agent, but no everyday word", () => {
    const pet: FieldSpec = { name: 'pet_name', type: 'text', description: 'Name of the pet' };
    assert.equal(
      one(
        pet,
        turns('How can I help?', 'i need to bring my dog biscuit in', 'Has Biscuit been here before?', 'no'),
      ),
      'Biscuit',
    );
    // An everyday word after "my cat", or a word only capitalized at the start of a sentence: no name.
    assert.equal(
      one(pet, turns('How can I help?', 'my cat really is sick', 'Oh no. How long?', 'two days')),
      null,
    );
    assert.equal(one(pet, turns('How can I help?', 'my dog is limping', 'Is he eating?', 'yes')), null);
  });

  it('answers customer questions asked without the field words, and volunteered status', () => {
    assert.equal(
      one(customer, turns('Have you ordered from us before?', 'yeah we did our bathroom with you guys')),
      true,
    );
    assert.equal(one(customer, turns('How can I help?', "We're new to this, just looking.")), false);
    assert.equal(
      one(customer, turns('How can I help?', 'We already use your payroll service but I have a question.')),
      true,
    );
    const newPatient: FieldSpec = { name: 'new_patient', type: 'boolean' };
    assert.equal(one(newPatient, turns('Have you been here before?', 'No, first time.')), true);
  });

  it('takes the identifier of a confirmed read-back, and a company from a volunteered role', () => {
    const code: FieldSpec = { name: 'confirmation_code', type: 'text' };
    assert.equal(
      one(
        code,
        turns(
          'Your confirmation code?',
          'M as in Mary, K, seven four two, B.',
          'That is M K 7 4 2 B?',
          'Yes.',
        ),
      ),
      'MK742B',
    );
    const order: FieldSpec = { name: 'order_number', type: 'text' };
    assert.equal(one(order, turns('Your order number?', "It's 4 7 2 9 1, no wait, 4 7 2 9 2.")), '47292');
    // Digits said again after a correction replace the same number of digits at the end.
    assert.equal(
      one(order, turns('Your order number?', 'its w q five five two one no sorry five two five one')),
      'WQ5251',
    );
    const serial: FieldSpec = { name: 'device_serial', type: 'text', description: 'Serial of the router' };
    assert.equal(
      one(serial, turns('Can you read me the serial?', 'yeah its nine h three three c one')),
      '9H33C1',
    );
    const callback: FieldSpec = {
      name: 'callback_number',
      type: 'text',
      description: 'Number to call the caller back on',
    };
    assert.equal(
      one(
        callback,
        turns('Best number to call you back?', 'four one five ... two two oh ... eight one nine one'),
      ),
      '+14152208191',
    );
    // A callback time is no phone number.
    const callbackTime: FieldSpec = { name: 'callback_time', type: 'text' };
    assert.equal(
      one(callbackTime, turns('When should we call back?', 'four one five two two oh eight one nine one')),
      null,
    );
    const company: FieldSpec = { name: 'company_name', type: 'text', description: "The caller's company" };
    assert.equal(
      one(company, turns('How can I help?', 'Hi, I run IT at Meridian Health and we need a quote.')),
      'Meridian Health',
    );
  });

  it('reads identifiers volunteered after their name, short unit numbers and letters between spelled characters', () => {
    const stock: FieldSpec = { name: 'stock_number', type: 'text', description: 'Dealer stock number' };
    assert.equal(
      one(stock, turns('How can I help?', 'the stock number is uh t as in tango 2 2 8 1 9')),
      'T22819',
    );
    const unit: FieldSpec = { name: 'unit_number', type: 'text', description: 'Apartment unit number' };
    assert.equal(one(unit, turns('Maintenance line.', 'hi this is dana from unit 4B')), '4B');
    assert.equal(one(unit, turns('Maintenance line.', 'its unit c12 the heat is out')), 'C12');
    // A bare small number after the word may be anything: "the unit 2 weeks ago".
    assert.equal(one(unit, turns('Maintenance line.', 'i moved into the unit 2 weeks ago')), null);
    const vin: FieldSpec = { name: 'vin', type: 'text', description: 'Vehicle identification number' };
    assert.equal(
      one(vin, turns("What's the VIN?", 'uh 1 h g c v 1 f 3 4 l a 0 1 2 3 4 5')),
      '1HGCV1F34LA012345',
    );
    // "a" before a number is still the article.
    assert.deepEqual(
      findIdentifiers('i need a 2 bedroom').map((i) => i.value),
      [],
    );
  });

  it('does not take for an identifier a quantity, a part of it, or a number labelled as another kind', () => {
    const order: FieldSpec = { name: 'order_number', type: 'text' };
    assert.equal(one(order, turns('Your order number?', 'i only have the last four 5 5 2 1')), null);
    assert.equal(one(order, turns('Your order number?', 'the tracking number is 1 z 9 9 8 7 7')), null);
    assert.equal(one(order, turns('Your order number?', 'the order number is 1 z 9 9 8 7 7')), '1Z99877');
    assert.equal(one(order, turns('Do you have the order?', 'i placed it like 120 days ago')), null);
    assert.equal(one(order, turns('Your order number?', 'its 4 4 7 something i forget the rest')), null);
    assert.equal(
      one(order, turns('Do you have the order number or the zip?', 'i only have the zip its 9 0 2 1 0')),
      null,
    );
    assert.equal(one(order, turns('How can I help?', 'i ordered 3b and it never came')), null);
    const account: FieldSpec = { name: 'account_number', type: 'text' };
    assert.equal(one(account, turns("What's the phone number on the account?", '5 5 5 1 2 3 4')), null);
    assert.equal(one(account, turns('Can I get your account number and phone?', '4 4 1 2 2 9 0')), '4412290');
    // A field for the last digits takes them.
    const lastFour: FieldSpec = { name: 'card_last_four', type: 'text' };
    assert.equal(one(lastFour, turns('The last four of the card?', 'the last four are 4 4 0 7')), '4407');
  });

  it('reads what the caller volunteers about a yes/no field, with the negation in its clause', () => {
    const said = (field: string, text: string) =>
      one({ name: field, type: 'boolean' }, turns('How can I help?', text));
    assert.equal(said('wants_demo', "Hi, I'd like a demo of the pro plan."), true);
    assert.equal(
      said('wants_refund', "The box came damaged. I don't need a refund, just send a new one."),
      false,
    );
    assert.equal(said('has_accidents', 'Clean record, no accidents in ten years.'), false);
    assert.equal(said('wants_refund', 'Did you process my refund?'), null);
  });

  it('leaves out dates the caller rules out, counts days from a clear day, and does not guess from an unclear one', () => {
    const visit: FieldSpec = { name: 'appointment_date', type: 'date' };
    // Wednesday 2025-03-05: Friday is the 7th, Monday the 10th.
    assert.equal(
      one(visit, turns('What day works?', "I can't do Friday, but Monday is fine.")),
      '2025-03-10',
    );
    assert.equal(one(visit, turns('What day works?', "Friday doesn't work. Monday?")), '2025-03-10');
    assert.equal(one(visit, turns('What day works?', 'A week from Friday.')), '2025-03-14');
    assert.equal(one(visit, turns('What day works?', 'The day after tomorrow.')), '2025-03-07');
    // "next Friday" on a Wednesday may be the 7th or the 14th; so may a week from it.
    assert.equal(one(visit, turns('What day works?', 'A week from next Friday.')), null);
    assert.equal(one(visit, turns('What day works?', 'Two days before the 12th.')), null);
    assert.equal(one(visit, turns('What day works?', 'Friday after next.')), null);
  });

  it('binds a weekday to the date the agent offered, a day alone to the month said, and ignores the second one', () => {
    const visit: FieldSpec = { name: 'appointment_date', type: 'date' };
    assert.equal(
      one(
        visit,
        turns(
          'I have Monday the tenth or Thursday the thirteenth. Which is better?',
          'Not Monday. Make it Thursday.',
        ),
      ),
      '2025-03-13',
    );
    assert.equal(
      one(visit, turns('Were you thinking of April?', 'Yeah April, the fifteenth.')),
      '2025-04-15',
    );
    assert.equal(one(visit, turns('What date works?', 'Uh the twenty third.')), '2025-03-23');
    assert.equal(one(visit, turns('What date works?', 'um 3 slash 14')), '2025-03-14');
    assert.equal(one(visit, turns('Which slot would you like?', 'The second one.')), null);
    assert.equal(
      one(visit, turns('We have Friday at eleven. Would that work?', "Friday doesn't work, I'll call back.")),
      null,
    );
    const born: FieldSpec = { name: 'date_of_birth', type: 'date' };
    assert.equal(
      one(born, turns('And your date of birth?', 'july fourth nineteen eighty six')),
      '1986-07-04',
    );
    assert.equal(one(born, turns('Date of birth?', "it's 4 slash 12 slash 90")), '1990-04-12');
  });

  it("takes the agent's date only when the caller said yes to it or the agent committed to it", () => {
    const visit: FieldSpec = { name: 'appointment_date', type: 'date' };
    assert.equal(one(visit, turns('How can I help you today?', 'I need to book a cleaning.')), null);
    assert.equal(one(visit, turns('How can I help?', "Hi, I'm calling today about a leak.")), null);
    assert.equal(
      one(visit, turns('Your last visit was on February 3rd. Would you like to book again?', 'Yes.')),
      null,
    );
    assert.equal(
      one(visit, turns('We are closed on Monday. What day works?', 'let me check and call back')),
      null,
    );
    assert.equal(
      one(visit, turns('How about Thursday, March thirteenth at ten?', 'That works.')),
      '2025-03-13',
    );
    assert.equal(one(visit, turns('How about Thursday, March thirteenth at ten?', 'No, sorry.')), null);
    assert.equal(one(visit, turns('We can send someone today. Your name?', 'Greg Novak.')), '2025-03-05');
  });

  it('leaves out a day said relative to the call on the wrong side of it for the field', () => {
    const visit: FieldSpec = { name: 'appointment_date', type: 'date' };
    assert.equal(one(visit, turns('When works for you?', 'last Monday was good for me')), null);
    const incident: FieldSpec = {
      name: 'incident_date',
      type: 'date',
      description: 'When the accident happened',
    };
    assert.equal(one(incident, turns('When did it happen?', 'last Monday')), '2025-03-03');
    assert.equal(one(incident, turns('When did it happen?', 'next Tuesday')), null);
  });

  it('matches common words for common option labels when the description gives none', () => {
    const urgency: FieldSpec = { name: 'urgency', type: 'enum', values: ['low', 'medium', 'high'] };
    assert.equal(one(urgency, turns('How urgent is it?', "it's an emergency, water everywhere")), 'high');
    assert.equal(one(urgency, turns('How urgent is it?', "it's not urgent, no rush")), 'low');
    const contact: FieldSpec = { name: 'contact_method', type: 'enum', values: ['email', 'phone', 'sms'] };
    assert.equal(one(contact, turns('How should we reach you?', 'texting is best')), 'sms');
    assert.equal(one(contact, turns('How should we reach you?', 'just call me Bob, by email')), 'email');
  });

  it('reads an enum by its words, derived forms, synonyms and its place in the list, not from a negation', () => {
    const contact: FieldSpec = {
      name: 'contact_method',
      type: 'enum',
      values: ['email', 'phone', 'sms'],
      description: 'sms: text, text message',
    };
    const menu = 'How should we reach you? Email, a phone call, or a text message?';
    assert.equal(one(contact, turns(menu, 'uh the second one')), 'phone');
    assert.equal(one(contact, turns(menu, 'the last one please')), 'sms');
    assert.equal(one(contact, turns(menu, 'just text me')), 'sms');
    assert.equal(one(contact, turns(menu, 'not email, a phone call')), 'phone');
    assert.equal(one(contact, turns(menu, 'none of those, thanks')), null);
    // "first" as an adverb, in a question of the caller's own: no choice made.
    assert.equal(one(contact, turns(menu, 'can I ask what your hours are first?')), null);
    assert.equal(one(contact, turns('What can I do for you?', 'is email faster than a phone call?')), null);
    const topic: FieldSpec = { name: 'issue_category', type: 'enum', values: ['billing', 'cancellation'] };
    assert.equal(
      one(topic, turns('What are you calling about?', 'I wanna cancel my account')),
      'cancellation',
    );
    assert.equal(one(topic, turns('Are you calling about billing?', 'Yes.')), 'billing');
    assert.equal(one(topic, turns('Is it billing or a cancellation?', 'Yes.')), null);
    const plan: FieldSpec = { name: 'plan', type: 'enum', values: ['basic', 'pro'] };
    const offer = 'Basic is our cheapest at twenty a month, and Pro adds reporting. Which would you like?';
    assert.equal(one(plan, turns(offer, 'uh the cheapest one I guess')), 'basic');
    assert.equal(one(plan, turns(offer, 'the fastest one')), null);

    assert.equal(one(plan, turns('Which plan?', 'the basic. actually no, make it pro')), 'pro');
    assert.equal(one(plan, turns('Which plan?', 'basically whatever is popular')), null);
  });

  it('reads no wish from a question about the past, and a confirmed negative as no', () => {
    const demo: FieldSpec = { name: 'wants_demo', type: 'boolean' };
    assert.equal(one(demo, turns('Have you seen a demo of the product before?', 'Yes, last year.')), null);
    assert.equal(one(demo, turns('Would you like a demo?', 'Yes please.')), true);
    assert.equal(one(demo, turns('So no demo for now, right?', 'Right.')), false);
    assert.equal(one(demo, turns("You don't want a demo, correct?", 'Correct.')), false);
    // A bare yes or no to a negative question can mean either.
    assert.equal(one(demo, turns("Don't you want a demo?", 'No.')), null);
    const callback: FieldSpec = { name: 'wants_callback', type: 'boolean' };
    assert.equal(one(callback, turns('thanks for calling Fibernet is this about your bill?', 'yes')), null);
    assert.equal(one(callback, turns('thanks for calling would you like a call back?', 'yes')), true);
    const pets: FieldSpec = { name: 'has_pets', type: 'boolean' };
    assert.equal(one(pets, turns('Have you got any pets at home?', 'Yes, two cats.')), true);
  });

  it('scores the dialogue set with no wrong value', async () => {
    const report = await scoreExtractor(dialogueSet.cases as unknown as LabelledCase[], (c) =>
      extractBuiltin(c.fields, c.transcript, {
        now: new Date(dialogueSet.now),
        timezone: dialogueSet.timezone,
      }),
    );
    assert.equal(report.wrong, 0, report.misses.join('\n'));
    assert.ok(report.correct / report.fields >= 0.9, `${report.correct}/${report.fields}`);
  });

  it("gives each value's evidence: the turn of the transcript as given, offsets and the quoted words", () => {
    const transcript: TranscriptTurn[] = [
      { role: 'agent', text: 'Who am I speaking with?' },
      { role: 'caller', text: '' },
      { role: 'caller', text: 'My name is Ada Lovelace.' },
      { role: 'agent', text: 'What budget are you working with?' },
      { role: 'caller', text: 'Roughly 15k.' },
    ];
    const out = extractBuiltinWithEvidence([name, budget], transcript, { now: NOW });
    assert.deepEqual(out.data, { caller_name: 'Ada Lovelace', budget: 15_000 });
    assert.deepEqual(out.evidence.caller_name, { turn: 2, start: 11, end: 23, quote: 'Ada Lovelace' });
    assert.deepEqual(out.evidence.budget, { turn: 4, start: 8, end: 11, quote: '15k' });
  });
});

describe('yes/no fields over the dialogue', () => {
  const bool = (name: string, description: string): FieldSpec => ({ name, type: 'boolean', description });

  it('reads answers written without apostrophes, "nobody" and an imperative "do not" as no', () => {
    assert.equal(polarity('i didnt bother with the police it was tiny'), false);
    assert.equal(polarity('im not but my sister is'), false);
    assert.equal(polarity('no one was in the car with me'), false);
    assert.equal(polarity("Don't email me, please."), false);
    assert.equal(polarity('no idea honestly'), null);
  });

  it('reads a weak yes followed by a hedge as neither, and a yes after "but" or an approval as yes', () => {
    assert.equal(polarity('okay i guess maybe we will see'), null);
    assert.equal(polarity('huh alright maybe lets see the price first'), null);
    assert.equal(polarity('the spelling is with two ns but yeah we signed up last year'), true);
    assert.equal(polarity('Our shop shuts at six. Any time after that is even better.'), true);
    assert.equal(polarity('already did, last week'), true);
  });

  it('does not take a field for any question sharing a function word with its description', () => {
    const insured = bool('has_coverage', 'Whether the caller has insurance at the moment');
    const t = turns(
      'Do you carry insurance right now?',
      'yep with a local company',
      'Can I send the quote to your email?',
      'no emails please',
    );
    assert.equal(one(insured, t), true);
  });

  it('answers a question about before inverted for a first-time field', () => {
    const first = bool('first_time_renter', 'Whether this is the first apartment the caller rents');
    assert.equal(
      one(first, turns('Have you rented an apartment before?', 'no this would be my first one')),
      true,
    );
    assert.equal(one(first, turns('Have you rented an apartment before?', 'yes twice')), false);
  });

  it('reads "nobody" to a who-question about the subject as no, matching an acronym in capitals', () => {
    const hoa = bool('has_property_manager', 'Whether an HOA or manager runs the building');
    assert.equal(
      one(hoa, turns('Who runs the HOA over there?', 'there was one years ago but now nobody really')),
      false,
    );
  });

  it("takes the caller's yes or no to an offer the agent makes as a statement", () => {
    const visit = bool('wants_site_visit', 'Whether the caller wants an estimator to visit');
    assert.equal(
      one(visit, turns('I can send an estimator to visit on Monday.', 'sure that would work')),
      true,
    );
    assert.equal(one(visit, turns('We could have an estimator visit or call you.', 'no thanks')), false);
  });

  it('reads statements that answer a kind of field without its words', () => {
    const consent = bool('ok_to_call_again', 'Whether we may call the caller again');
    assert.equal(
      one(consent, turns('Hi, quick question about your last order.', 'please remove me from your list')),
      false,
    );
    const owns = bool('is_owner', 'Whether the caller owns the property');
    assert.equal(
      one(owns, turns('Hello, Greenway Windows.', 'hi we are renting but want a quote for the landlord')),
      false,
    );
    const current = bool('active_member', 'Whether the caller is currently a member');
    const ever = bool('past_customer', 'Whether the caller has been a customer before');
    const t = turns('Hi, Harbor Gym.', 'i used to be a member there before i moved');
    assert.equal(one(current, t), false);
    assert.equal(one(ever, t), true);
    const refund = bool('wants_refund', 'Whether the caller asks for a refund');
    assert.equal(
      one(
        refund,
        turns('How can I help?', 'they charged me for two shirts i only want the money for one back'),
      ),
      true,
    );
  });

  it('counts work the business did for the caller as being a customer', () => {
    const existing = bool('returning_client', 'Whether the caller has used our company before');
    assert.equal(
      one(
        existing,
        turns('How can I help?', 'you guys repaired my fence a while ago and now the gate is stuck'),
      ),
      true,
    );
  });
});

describe('enum fields over the dialogue', () => {
  const choice = (name: string, values: string[], description?: string): FieldSpec => ({
    name,
    type: 'enum',
    values,
    description,
  });

  it('takes a place in a list the agent gave as a statement', () => {
    const room = choice('room', ['loft', 'studio', 'suite']);
    const list = 'We have three rooms left: the loft, the studio and the suite.';
    assert.equal(one(room, turns(list, 'hmm the middle one looks nice')), 'studio');
    assert.equal(one(room, turns(list, 'id take the third option i think')), 'suite');
    assert.equal(one(room, turns(list, 'the first time we stayed it was great')), null);
  });

  it("matches a word the agent used to describe exactly one option, outside the caller's negations", () => {
    const tier = choice('tier', ['bronze', 'silver', 'gold']);
    const offer =
      'Bronze covers weekday parking, Silver adds weekend parking, and Gold adds car washes and valet.';
    assert.equal(
      one(tier, turns(offer, 'we really only need weekend spots i dont need car washes')),
      'silver',
    );
    assert.equal(one(tier, turns(offer, 'i dont need valet')), null);
    // "a refund or a replacement" describes neither.
    const topic = choice('topic', ['refund', 'shipping']);
    assert.equal(one(topic, turns('Do you want a refund or a replacement?', 'a replacement please')), null);
  });

  it('matches a many-word option by a word only it has, or a common word for that word', () => {
    const floor = choice('floor_type', ['solid_hardwood', 'vinyl_plank', 'carpet']);
    assert.equal(one(floor, turns('What flooring is it?', 'the planks are vinyl i think')), 'vinyl_plank');
    const sun = choice('exposure', ['full_sun', 'partial_shade', 'heavy_shade']);
    assert.equal(
      one(sun, turns('How much shade is there?', 'trees cover about half the yard')),
      'partial_shade',
    );
    // A word every option shares names none of them.
    assert.equal(one(sun, turns('How much shade is there?', 'shade from the trees')), null);
  });

  it('takes common words for common labels, and a request phrased as a question', () => {
    const format = choice('format', ['in_person', 'video', 'phone']);
    assert.equal(one(format, turns('How would you like to meet?', 'could we just use zoom?')), 'video');
    const who = choice('stylist', ['female', 'male', 'no_preference']);
    assert.equal(
      one(who, turns('Any preference for the stylist?', 'doesnt matter to me really')),
      'no_preference',
    );
    assert.equal(one(format, turns('How would you like to meet?', 'is video slower than the phone?')), null);
  });

  it('takes everyday words for common labels: a paraphrase, a kind of the thing, a describing phrase', () => {
    const pay = choice('payment_method', ['cash', 'finance', 'lease']);
    const ask = 'Will you be paying cash, financing or leasing?';
    assert.equal(one(pay, turns(ask, 'ill do monthly payments through you guys not a lease')), 'finance');
    assert.equal(one(pay, turns(ask, 'probably a loan through my credit union')), 'finance');
    assert.equal(one(pay, turns(ask, 'not sure yet maybe a loan or maybe a lease')), null);
    const reason = choice('reason', ['vaccination', 'illness', 'injury', 'checkup']);
    assert.equal(
      one(reason, turns('How can I help?', 'i need to bring my dog in for his shots')),
      'vaccination',
    );
    assert.equal(
      one(reason, turns('How can I help?', 'my cat has been throwing up for two days')),
      'illness',
    );
    assert.equal(
      one(reason, turns('How can I help?', 'he is not limping anymore we just want his nails done')),
      null,
    );
    const risk = choice('risk_tolerance', ['conservative', 'moderate', 'aggressive']);
    assert.equal(one(risk, turns('How do you feel about risk?', 'wed rather play it safe')), 'conservative');
    assert.equal(one(risk, turns('How do you feel about risk?', 'i can afford to lose some of it')), null);
    const when = choice('preferred_time', ['morning', 'afternoon', 'evening']);
    assert.equal(one(when, turns('What time of day works best?', 'early like before work')), 'morning');
  });

  it('reads "new" of a many-word label by "never had one" or "ever had one", and not by "the first one"', () => {
    const service = choice(
      'service_type',
      ['new_passport', 'renewal', 'name_change'],
      'Passport service needed',
    );
    const help = 'How can I help?';
    assert.equal(
      one(service, turns(help, 'i need passports for my kids none of us has ever had one')),
      'new_passport',
    );
    assert.equal(one(service, turns(help, 'ive never had one before')), 'new_passport');
    assert.equal(
      one(service, turns(help, 'never had a problem with the old one just need a renewal')),
      'renewal',
    );
    assert.equal(one(service, turns('Renewal or a new passport?', 'the first one')), 'renewal');
    assert.equal(one(service, turns(help, 'mine expired last month')), null);
  });

  it('reads a report said with a rising voice as a statement, but not a question', () => {
    const issue = choice('issue_category', ['brakes', 'engine', 'electrical', 'tires']);
    const help = 'How can I help?';
    assert.equal(one(issue, turns(help, 'theres a grinding noise whenever I come to a stop?')), 'brakes');
    assert.equal(one(issue, turns(help, 'my mechanic said something about the engine?')), 'engine');
    assert.equal(one(issue, turns(help, 'do you guys look at engines?')), null);
    assert.equal(one(issue, turns(help, 'is it the tires, right?')), null);
  });

  it('takes everyday words for freight, loans, IT worries and long-lasting pain', () => {
    const freight = choice('freight_type', ['ltl', 'full_truckload', 'refrigerated']);
    const ask = 'Will it fill a whole trailer?';
    assert.equal(one(freight, turns(ask, 'no its not a full trailer we usually share space')), 'ltl');
    assert.equal(one(freight, turns(ask, 'no its not a full trailer')), null);
    const loan = choice('loan_purpose', ['purchase', 'refinance', 'heloc']);
    assert.equal(one(loan, turns('How can I help?', 'we want to get pre approved i guess')), 'purchase');
    const worry = choice('priority', ['security', 'helpdesk', 'backups']);
    assert.equal(
      one(worry, turns('Biggest concern?', 'we got hit with a fishing email last month')),
      'security',
    );
    const reason = choice('reason', ['injury', 'chronic_pain', 'post_surgery']);
    assert.equal(
      one(reason, turns('How can I help?', 'my back has been bad for about a year now')),
      'chronic_pain',
    );
    assert.equal(one(reason, turns('How can I help?', 'my back has been sore for about a week now')), null);
  });

  it('reads a word of a many-word label by a common word for it, and "not X" of a description said otherwise', () => {
    const issue = choice(
      'issue_type',
      ['no_service', 'slow_speed', 'billing', 'equipment'],
      'Type of problem',
    );
    assert.equal(
      one(issue, turns('What can I help with?', 'my internets been crawling for days')),
      'slow_speed',
    );
    const category = choice(
      'issue_category',
      ['billing', 'technical'],
      'billing: charges, bill; technical: outage, not working, error',
    );
    assert.equal(
      one(category, turns('What can I help with?', 'our phones stopped working this morning')),
      'technical',
    );
    assert.equal(one(category, turns('What can I help with?', 'our phones are working fine now')), null);
  });

  it('takes "both" as the option that is the others together', () => {
    const pkg = choice('package', ['lunch_only', 'dinner_only', 'full_day']);
    assert.equal(one(pkg, turns('Lunch, dinner, or both?', 'both please the whole day')), 'full_day');
  });

  it('settles several options on a closing statement or on the one the answer opens with', () => {
    const plan = choice('plan', ['lite', 'plus', 'max']);
    assert.equal(
      one(plan, turns('Lite, Plus or Max?', 'I almost said lite but my boss wants more users. So, max.')),
      'max',
    );
    const slot = choice('slot', ['morning', 'evening']);
    assert.equal(one(slot, turns('Morning or evening?', 'evenings i teach in the mornings')), 'evening');
    assert.equal(one(slot, turns('Morning or evening?', 'mornings are bad so evening')), null);
  });

  it('takes an option the agent names in a statement only when the caller says yes to it', () => {
    const site = choice('branch', ['northside', 'harbor', 'midtown']);
    assert.equal(
      one(site, turns('Which branch?', 'the one near the ferry', "That's Harbor.", 'yes that one')),
      'harbor',
    );
    const matter = choice('matter', ['will', 'trust']);
    assert.equal(one(matter, turns('Thanks.', 'ok', 'Someone will call you back.', 'great')), null);
  });

  it('reads a description written as "X includes ..."', () => {
    const subject = choice('subject', ['math', 'english'], 'math includes algebra and geometry');
    assert.equal(one(subject, turns('What does she need help with?', 'mostly geometry proofs')), 'math');
  });
});

describe('date fields over the dialogue', () => {
  // The call is on Wednesday 2025-03-05.
  const date = (name: string, description: string): FieldSpec => ({ name, type: 'date', description });
  const party = date('party_date', 'Date of the party');

  it('reads a year said relative to the call, "this morning", a day pinned by its weekday and "May" with an ordinal', () => {
    assert.equal(one(party, turns('When is the party?', 'april second next year')), '2026-04-02');
    const arrived = date('arrival_date', 'Date the parcel arrived');
    assert.equal(one(arrived, turns('When did it arrive?', 'it showed up this morning')), '2025-03-05');
    assert.equal(one(party, turns('When is the party?', 'the tenth, thats a thursday')), '2025-04-10');
    assert.equal(one(party, turns('When is the party?', 'May twelfth')), '2025-05-12');
  });

  it('leaves a hedged date null', () => {
    assert.equal(one(party, turns('When is the party?', 'next monday-ish')), null);
    assert.equal(one(party, turns('When is the party?', 'maybe friday, not sure')), null);
  });

  it('takes a date the agent offers in a statement closing the turn when the caller says yes', () => {
    const demo = date('demo_date', 'Date of the booked demo');
    assert.equal(
      one(demo, turns('Want a walkthrough? I can do Friday the 7th at 2 p.m. Eastern.', 'yes perfect')),
      '2025-03-07',
    );
    assert.equal(
      one(demo, turns('Want a walkthrough? I can do Friday the 7th at 2 p.m. Eastern.', 'not now')),
      null,
    );
  });

  it('settles a date the caller left unclear on the one the agent then put and the caller took', () => {
    const visit = date('visit_date', 'Date of the visit');
    const t = turns(
      'When suits you?',
      'next thursday',
      'Thursday the 6th?',
      'no not tomorrow the one after',
      'Thursday the 13th then?',
      'yes',
    );
    assert.equal(one(visit, t), '2025-03-13');
  });

  it("does not take a date given for another subject when the field's own subject was asked", () => {
    const t = turns(
      'Would you like to tour the hall? Friday or Saturday?',
      'saturday',
      'Saturday the 8th at noon?',
      'yes',
      'And when is the party itself?',
      'we have not settled that yet',
    );
    assert.equal(one(party, t), null);
    assert.equal(one(date('tour_date', 'Date of the hall tour'), t), '2025-03-08');
  });

  it('takes a caller turn that answers dates the agent put as a statement only for the subject of that offer', () => {
    const t = turns(
      'When is the party?',
      'sometime in early june',
      'For the hall tour we have tomorrow at 10 or Friday March 7th at 2.',
      'um the friday one',
    );
    assert.equal(one(party, t), null);
    assert.equal(one(date('tour_date', 'Date of the hall tour'), t), '2025-03-07');
    // An offer that names the subject still counts for it.
    const named = turns(
      'We have the party room free Friday March 7th or Saturday the 8th.',
      'saturday please',
    );
    assert.equal(one(party, named), '2025-03-08');
  });

  it('replaces the year of a date of birth with the year said after a correction', () => {
    const dob = date('date_of_birth', "The patient's date of birth");
    assert.equal(
      one(dob, turns('Date of birth?', 'march ninth nineteen seventy eight no sorry nineteen fifty eight')),
      '1958-03-09',
    );
    assert.equal(one(dob, turns('Date of birth?', 'july 9 1986 no wait 1987')), '1987-07-09');
    // No year after the word: the date stands.
    assert.equal(one(dob, turns('Date of birth?', 'july 9 1986 no problem')), '1986-07-09');
  });

  it('reads a weekday said of the date just given as that date, and a day alone as the day the agent offered', () => {
    assert.equal(one(party, turns('When is the party?', 'april fourth its a friday')), '2025-04-04');
    assert.equal(
      one(party, turns('When is the party?', 'march twenty first which is a friday')),
      '2025-03-21',
    );
    // The weekday does not fall on that date: unclear.
    assert.equal(one(party, turns('When is the party?', 'april fourth its a monday')), null);
    const visit = date('visit_date', 'Date of the visit');
    assert.equal(
      one(visit, turns('The next opening is Monday the 10th.', 'the tenth is good')),
      '2025-03-10',
    );
    // No offered date on that day of the month: a day alone to no question stays out.
    assert.equal(one(visit, turns('The next opening is Monday the 10th.', 'the eleventh is better')), null);
  });
});

describe('yes/no fields: indirect answers', () => {
  const bool = (name: string, description: string): FieldSpec => ({ name, type: 'boolean', description });

  it('takes up a service the agent describes or recommends, past a negated aside', () => {
    const pickup = bool('wants_pickup', 'Whether the caller wants the items picked up');
    assert.equal(
      one(
        pickup,
        turns('We offer free pickup on Fridays, so that should not be hard.', 'oh that would be great'),
      ),
      true,
    );
    assert.equal(
      one(
        pickup,
        turns(
          'We offer free pickup on Fridays, so that should not be hard.',
          'no thanks we will drop them off',
        ),
      ),
      false,
    );
    const storage = bool('needs_heated_storage', 'Whether the caller needs heated storage');
    assert.equal(
      one(storage, turns("For a cello you'll want heated storage.", 'yeah I definitely need that')),
      true,
    );
  });

  it('reads "we have got" as yes and a question about seeing the doctor before as being a patient', () => {
    const pets = bool('has_animals', 'Whether there are animals in the home');
    assert.equal(
      one(pets, turns('Any animals at home?', "We've got two rabbits, they stay in a hutch.")),
      true,
    );
    const fresh = bool('new_patient', 'Whether the caller is a new patient');
    assert.equal(one(fresh, turns('Have you seen Dr. Okafor before?', 'Yes, twice last year.')), false);
  });

  it('leaves an alternative question null when the answer names both sides', () => {
    const catering = bool('needs_catering', 'Whether the caller wants us to provide food');
    const ask = 'Will you need food or just the hall from us?';
    assert.equal(one(catering, turns(ask, 'the hall only, a friend brings the food')), null);
    assert.equal(one(catering, turns(ask, 'just the hall')), false);
  });
});

describe('yes/no fields: answers without the word yes or no', () => {
  const bool = (name: string, description: string): FieldSpec => ({ name, type: 'boolean', description });

  it("reads a negation inside the question's condition as not negating the question", () => {
    const entry = bool('permission_to_enter', 'Whether maintenance may enter when the tenant is out');
    assert.equal(one(entry, turns("Can maintenance enter if you're not home?", 'yeah thats fine')), true);
    assert.equal(one(entry, turns('If nobody is home, can we enter?', 'no please wait for me')), false);
    // A negation in the question itself still leaves a bare yes open.
    assert.equal(one(entry, turns("Can't maintenance just enter?", 'yes')), null);
  });

  it('reads a yes or no said with the verb of wanting and a word standing for the thing', () => {
    const loaner = bool('loaner_needed', 'Whether the caller needs a loaner car');
    const ask = 'Do you need a loaner?';
    assert.equal(one(loaner, turns(ask, 'do you have loaners id need one i work across town')), true);
    assert.equal(one(loaner, turns(ask, 'is it free? we would really want one')), true);
    assert.equal(one(loaner, turns(ask, 'do you have any? i dont need one my wife can drive me')), false);
    assert.equal(one(loaner, turns(ask, 'how long would it take?')), null);
  });

  it('reads a thing provided some other way as not wanted from the business', () => {
    const catering = bool('needs_catering', 'Whether the caller wants the hotel to provide food');
    const ask = 'Will you need catering or a reception space from us?';
    assert.equal(
      one(catering, turns(ask, 'the reception is at a vineyard theyve got all the food covered')),
      false,
    );
    assert.equal(one(catering, turns('Do you need catering?', 'we have our own caterer')), false);
    assert.equal(one(catering, turns('Do you need catering?', 'do you have a menu i can look at')), null);
  });

  it('reads a question about an account or a visit with the business as one about being a customer', () => {
    const existing = bool('is_existing_customer', 'Whether the caller already has service with the carrier');
    assert.equal(
      one(existing, turns('Do you have any lines with us today?', 'nope everythings with the other guys')),
      false,
    );
    assert.equal(one(existing, turns('Are you already with us?', 'yeah for years')), true);
    assert.equal(one(existing, turns('Do you have an appointment with us?', 'yes tomorrow')), null);
    const fresh = bool('is_new_patient', 'Whether the pet has never been seen at the clinic');
    assert.equal(
      one(fresh, turns('Has Luna been here before?', 'yeah the doctor spayed her last spring')),
      false,
    );
    assert.equal(one(fresh, turns('Has Luna had her shots?', 'yes last spring')), null);
  });

  it('reads another way of being contacted, approved, as a no to the one asked about', () => {
    const callback = bool('wants_callback', 'Whether the caller wants a call back');
    const ask = 'Would you like a callback when it is scheduled?';
    assert.equal(one(callback, turns(ask, 'an email is fine thanks')), false);
    assert.equal(one(callback, turns(ask, 'just text me')), false);
    assert.equal(one(callback, turns(ask, 'a call or a text either way')), null);
    assert.equal(one(callback, turns(ask, 'do you have my email?')), null);
  });

  it('reads a kind of the thing named for a field about a common subject', () => {
    const av = bool('needs_av_equipment', 'Whether the event needs audio-visual equipment');
    assert.equal(
      one(av, turns('What date?', "Friday the 11th. We'll also need a projector and a mic.")),
      true,
    );
    assert.equal(one(av, turns('Anything else?', "We won't need a microphone, it's a small group.")), false);
    assert.equal(one(av, turns('What date?', 'Friday the 11th.')), null);
  });

  it('reads a request that names what the field wants, and something had or spoken of as owned', () => {
    const split = bool('wants_payment_plan', 'Whether the tenant asks to split the payment');
    assert.equal(one(split, turns('What would help?', 'is there a way to split it up like half now')), true);
    assert.equal(one(split, turns('What would help?', 'i paid it all already')), null);
    const lift = bool('has_elevator', 'Whether the new building has an elevator');
    assert.equal(
      one(lift, turns('Anything about the new place?', 'ninth floor they have a freight elevator')),
      true,
    );
    assert.equal(
      one(lift, turns('Anything about the new place?', 'third floor and theres no elevator')),
      false,
    );
    const cover = bool('has_insurance', 'Whether the caller has prescription insurance');
    assert.equal(
      one(cover, turns('How can I help?', 'my insurance card changed and i need to update it')),
      true,
    );
    assert.equal(one(cover, turns('How can I help?', 'my insurance lapsed last month')), null);
  });
});

describe('enum fields: what does not choose', () => {
  it('leaves out options named in an answer about the past, and options a negation four words back rules out', () => {
    const problem: FieldSpec = { name: 'problem', type: 'enum', values: ['battery', 'screen', 'speaker'] };
    const t = turns(
      'Thanks for calling. Have you had a repair with us before?',
      'yes you swapped my battery last spring',
      'And what is wrong today?',
      'it just makes a weird noise',
    );
    assert.equal(one(problem, t), null);
    assert.equal(
      one(
        problem,
        turns('Hi, how can I help?', "I'm not calling about my battery this time, the screen cracked"),
      ),
      'screen',
    );
  });

  it("does not take the answer's first option when the rest weighs against it, nor a word of the field's subject", () => {
    const slot: FieldSpec = { name: 'slot', type: 'enum', values: ['morning', 'evening'] };
    assert.equal(
      one(slot, turns('Morning or evening?', 'mornings could work but evenings are better')),
      null,
    );
    const level: FieldSpec = {
      name: 'coverage_level',
      type: 'enum',
      values: ['basic', 'full_coverage'],
      description: 'Coverage level wanted',
    };
    assert.equal(
      one(level, turns('Which level would you like?', 'my coverage at work is through Aetna')),
      null,
    );
  });
});

describe('indirect answers that say nothing', () => {
  const bool = (name: string, description: string): FieldSpec => ({ name, type: 'boolean', description });

  it('leaves yes/no null for a report, work done for someone else, or a before-question about a thing', () => {
    const insured = bool('has_insurance', 'Whether the caller has insurance');
    assert.equal(one(insured, turns('Are you insured?', 'i got a letter saying it lapsed')), null);
    const existing = bool('existing_customer', 'Whether the caller is already a customer');
    assert.equal(
      one(existing, turns('How can I help?', 'you guys did my sisters kitchen and she loves it')),
      null,
    );
    const roof = bool('wants_new_roof', 'Whether the caller wants a new roof');
    assert.equal(one(roof, turns('Have you replaced the roof before?', 'yes back in 2010')), null);
  });

  it('leaves a date null for a yes to two offered dates, or a "maybe" after it', () => {
    const visit: FieldSpec = { name: 'visit_date', type: 'date', description: 'Date of the visit' };
    assert.equal(one(visit, turns('I have Monday the 10th at 2. Or Tuesday the 11th at 9.', 'yes')), null);
    assert.equal(one(visit, turns('When is the visit?', 'march twentieth maybe')), null);
  });

  it('reads no choice from a place said of something else, "both" of only two options, or a yes with "instead"', () => {
    const room: FieldSpec = { name: 'room', type: 'enum', values: ['loft', 'studio', 'suite'] };
    const list = 'We have three rooms left: the loft, the studio and the suite.';
    assert.equal(one(room, turns(list, 'the first one we saw last year was too dark')), null);
    const pkg: FieldSpec = { name: 'package', type: 'enum', values: ['basic', 'full_service'] };
    assert.equal(one(pkg, turns('Basic or full service?', 'both sound good honestly')), null);
    const callback: FieldSpec = {
      name: 'wants_callback',
      type: 'boolean',
      description: 'Whether the caller wants a call back',
    };
    assert.equal(
      one(callback, turns('We can call you back when it is ready.', 'great but email me instead')),
      null,
    );
    const arrived: FieldSpec = { name: 'arrival_date', type: 'date', description: 'Date the parcel arrived' };
    assert.equal(
      one(arrived, turns('When did it arrive?', 'it was supposed to come today but nothing yet')),
      null,
    );
  });

  it('reads an answering "no" as negating nothing after it, and two dates said as alternatives as neither', () => {
    const reason: FieldSpec = { name: 'reason', type: 'enum', values: ['billing', 'technical', 'sales'] };
    assert.equal(one(reason, turns('Is this about billing?', 'no its a technical thing')), 'technical');
    assert.equal(one(reason, turns('What is it about?', 'its not billing')), null);
    const start: FieldSpec = { name: 'start_date', type: 'date', description: 'Date the service starts' };
    assert.equal(one(start, turns('When should we start?', 'march 20th or 21st')), null);
    assert.equal(one(start, turns('When should we start?', 'monday or tuesday next week')), null);
  });

  it('reads a fix the caller confirms, or one that did not help, for a field about being resolved', () => {
    const resolved: FieldSpec = {
      name: 'resolved',
      type: 'boolean',
      description: 'Whether the problem was fixed on the call',
    };
    assert.equal(one(resolved, turns('Try restarting the router now.', 'ok yeah that did the trick')), true);
    assert.equal(one(resolved, turns('Try restarting the router now.', 'nope still not working')), false);
    assert.equal(one(resolved, turns('Try restarting it.', 'that didnt help, oh wait now it works')), null);
  });
});

describe('speech written without punctuation', () => {
  const flag = (name: string, description: string): FieldSpec => ({ name, type: 'boolean', description });
  const count = (name: string, description: string): FieldSpec => ({ name, type: 'number', description });

  it('finds the questions of an agent turn by their opening words', () => {
    assert.deepEqual(questions('sure we can do that what kind of fence is it now'), [
      'what kind of fence is it now?',
    ]);
    assert.deepEqual(questions('ok and roughly how many rooms'), ['how many rooms?']);
    assert.deepEqual(questions('great and has your address changed ill need the new one'), [
      'has your address changed?',
    ]);
    assert.deepEqual(questions('where to and when'), ['where to?', 'when?']);
    assert.deepEqual(questions('ok the plumber will be ready to go ill have him call'), []);
    assert.deepEqual(questions('the gold plan is the one with the pool'), []);
    assert.deepEqual(questions('we text you when its done'), []);
    assert.deepEqual(questions('thats what we do best'), []);
    // A request said as the thing asked for alone, with no verb of its own.
    assert.deepEqual(questions('four four one two and your date of birth'), ['your date of birth?']);
    assert.deepEqual(questions('ok and a number in case we get cut off'), [
      'a number in case we get cut off?',
    ]);
    assert.deepEqual(questions('ok and the technician will call before he comes'), []);
    assert.deepEqual(questions('thanks the order is on its way'), []);
  });

  it('reads yes/no answers and counts asked without question marks', () => {
    const ride = flag('needs_ride', 'Whether the caller needs a ride home');
    assert.equal(
      one(ride, turns('ok and do you need a ride home after', 'no my son is picking me up')),
      false,
    );
    assert.equal(one(ride, turns('ok and do you need a ride home after', 'yeah i would')), true);
    assert.equal(one(ride, turns('ok the ride home is something we offer', 'cool')), null);
    const rooms = count('room_count', 'Number of rooms to paint');
    assert.equal(one(rooms, turns('got it and how many rooms are we painting', 'four rooms')), 4);
  });

  it('reads "please" followed by a dismissal as no yes', () => {
    assert.equal(polarity('please'), true);
    assert.equal(polarity('yes please'), true);
    assert.equal(polarity('please do'), true);
    assert.equal(polarity('please just close the account'), null);
    assert.equal(polarity('please stop calling'), null);
  });

  it('leaves a number null when it depends, comes with an alternative, or the agent asks which of two', () => {
    const year = count('boat_year', 'Model year of the boat');
    const ask = 'ok what year is the boat';
    assert.equal(one(year, turns(ask, 'twenty nineteen i think')), 2019);
    assert.equal(one(year, turns(ask, 'uh twenty nineteen or twenty')), null);
    const trips = count('trips_per_week', 'How many trips they need a week');
    assert.equal(one(trips, turns('how many trips a week', 'three or so it depends on the weather')), null);
    assert.equal(one(trips, turns('how many trips a week', 'three a week')), 3);
    const pets = count('pet_count', 'Number of pets in the home');
    assert.equal(
      one(
        pets,
        turns('how many pets', 'we have one but we are adopting another', 'so one or two', 'i have to go'),
      ),
      null,
    );
    assert.equal(one(pets, turns('how many pets', 'we have two but we are adopting another', 'ok two')), 2);
  });

  it('reads a weekday and a day of the month on the side of the call the field lies', () => {
    // 2025-03-05 is a Wednesday; Monday the 24th was nine days ago and comes again in March.
    const said = turns('when would work', 'monday the twenty fourth');
    const visit = { name: 'visit_date', type: 'date', description: 'Date of the visit' } as FieldSpec;
    const accident = {
      name: 'accident_date',
      type: 'date',
      description: 'When the accident happened',
    } as FieldSpec;
    const other = { name: 'key_date', type: 'date', description: 'The date' } as FieldSpec;
    assert.equal(one(visit, said), '2025-03-24');
    assert.equal(one(accident, turns('when was the accident', 'monday the twenty fourth')), '2025-02-24');
    assert.equal(one(other, said), null);
  });

  it('reads a late "so i\'m good" and a "go ahead" after a pause', () => {
    assert.equal(polarity('my sister can lend me hers so im good'), false);
    assert.equal(polarity('we already booked a van so were all set'), false);
    assert.equal(polarity('yeah that would help so im good'), true);
    assert.equal(polarity('hang on let me save my work ok yeah go ahead'), true);
    assert.equal(polarity('no dont go ahead yet'), false);
  });

  it('takes a statement put back with "so you\'re" as a question, and "any" with its noun', () => {
    assert.deepEqual(questions('so youre after a monthly plan'), ['youre after a monthly plan?']);
    assert.deepEqual(questions('ok any allergies'), ['any allergies?']);
    assert.deepEqual(questions('we do not take any cash'), []);
  });

  it('reads "is that something you want" as asking about what the agent just described', () => {
    const warranty = flag('wants_extended_warranty', 'Whether the caller wants the extended warranty');
    const put = 'right and we also offer an extended warranty for three years is that something youd want';
    assert.equal(one(warranty, turns(put, 'nah i think well pass so no')), false);
    assert.equal(one(warranty, turns(put, 'yeah sure')), true);
    assert.equal(
      one(warranty, turns('right and the delivery is on tuesday is that something that works', 'yeah')),
      null,
    );
  });

  it('reads doing it oneself as not wanting it, and "i was going to" as not done yet', () => {
    const setup = flag('needs_assembly', 'Whether they want us to assemble the furniture');
    const ask = 'and would you want us to do the assembly';
    assert.equal(one(setup, turns(ask, 'um my kids will do it themselves honestly')), false);
    assert.equal(one(setup, turns(ask, 'we cant do it ourselves so yes')), true);
    const filed = flag('police_report_filed', 'Whether a police report has been filed');
    const asked = 'ok have you filed a police report yet';
    assert.equal(one(filed, turns(asked, 'i was gonna go down there tomorrow')), false);
    assert.equal(one(filed, turns(asked, 'not yet')), false);
    assert.equal(one(filed, turns(asked, 'yeah this morning')), true);
  });

  it('reads "please have someone call me" as a request, and a thing the building or caller has', () => {
    const callback = flag('wants_manager_callback', 'Wants the manager to call back');
    assert.equal(one(callback, turns('anything else', 'yes please have the manager call me tonight')), true);
    assert.equal(one(callback, turns('anything else', 'no please dont have the manager call me')), null);
    const lift = flag('gate_access', 'Does the property have a gate code');
    assert.equal(one(lift, turns('ok noted', 'its on a private road theres a gate code for visitors')), true);
    assert.equal(one(lift, turns('ok noted', 'there used to be a gate code but not anymore')), null);
  });

  it('reads a date of birth asked for as the thing alone', () => {
    const dob = { name: 'date_of_birth', type: 'date', description: "Patient's date of birth" } as FieldSpec;
    assert.equal(
      one(dob, turns('ok one two three and your date of birth', 'june second nineteen eighty')),
      '1980-06-02',
    );
    assert.equal(one(dob, turns('ok and the pickup is on june second', 'june second nineteen eighty')), null);
  });

  it('reads a question for an amount written without its apostrophe', () => {
    const rent = count('monthly_rent', 'Rent paid per month');
    assert.equal(one(rent, turns('and whats the monthly rent', 'about eighteen hundred')), 1800);
  });

  it('reads enum options in everyday words, and no option from a word that only looks derived', () => {
    const heard = {
      name: 'lead_source',
      type: 'enum',
      values: ['friend', 'social_media', 'drove_by', 'other'],
    } as FieldSpec;
    assert.equal(one(heard, turns('how did you hear about us', 'i saw a post on tiktok')), 'social_media');
    assert.equal(one(heard, turns('how did you hear about us', 'i think it was facebook or a friend')), null);
    const pet = { name: 'animal', type: 'enum', values: ['dog', 'cat', 'rabbit', 'other'] } as FieldSpec;
    assert.equal(one(pet, turns('how can i help', 'my bunny has a sore paw')), 'rabbit');
    const course = { name: 'course', type: 'enum', values: ['math', 'reading', 'writing'] } as FieldSpec;
    assert.equal(one(course, turns('hello', 'my son is struggling with geometry')), 'math');
    assert.equal(one(course, turns('hello', 'we are getting ready for the new school year')), null);
    const yard = { name: 'job', type: 'enum', values: ['hardscaping', 'irrigation', 'mowing'] } as FieldSpec;
    assert.equal(one(yard, turns('what can we do for you', 'we want some pavers out back')), 'hardscaping');
    const need = { name: 'need', type: 'enum', values: ['extension', 'billing', 'damage'] } as FieldSpec;
    assert.equal(one(need, turns('how can i help', 'i need to extend my booking by two days')), 'extension');
  });

  it('reads a half of a unit as 0.5, not half a dozen, and "how big" as asking a size', () => {
    assert.deepEqual(
      findNumbers('about a half mile down the road').map((n) => n.value),
      [0.5],
    );
    assert.deepEqual(
      findNumbers('half an hour or so').map((n) => n.value),
      [0.5],
    );
    assert.deepEqual(
      findNumbers('half a dozen eggs').map((n) => n.value),
      [],
    );
    const lot = count('lot_size_acres', 'Lot size in acres');
    assert.equal(one(lot, turns('ok how big is the property', 'maybe a half acre')), null);
    assert.equal(one(lot, turns('ok how big is the property', 'its a half acre')), 0.5);
  });

  it('reads a kind of the thing asked about, had by the caller, as yes', () => {
    const pets = flag('pet_at_home', 'Is there a pet in the home');
    assert.equal(one(pets, turns('ok any pets we should know about', 'just our dog hes very sweet')), true);
    assert.equal(
      one(pets, turns('ok any pets we should know about', 'my dog passed away last spring')),
      null,
    );
    assert.equal(one(pets, turns('ok any pets we should know about', 'no my dog stays with my ex')), false);
  });

  it('reads something new or different as changed for a field about a change', () => {
    const moved = flag('address_changed', 'Has the patient address changed');
    assert.equal(one(moved, turns('ok got it', 'oh and we got a new address last month')), true);
    assert.equal(one(moved, turns('ok got it', 'my address has changed since the last visit')), true);
    assert.equal(one(moved, turns('ok got it', 'no my address hasnt changed')), false);
    assert.equal(one(moved, turns('ok got it', 'we did not get a new address')), false);
  });

  it('reads legal matters and freight by their everyday words', () => {
    const matter = {
      name: 'matter',
      type: 'enum',
      values: ['family', 'estate_planning', 'personal_injury'],
    } as FieldSpec;
    assert.equal(one(matter, turns('how can we help', 'i want to get a will drawn up')), 'estate_planning');
    assert.equal(one(matter, turns('how can we help', 'its about custody of my kids')), 'family');
    assert.equal(one(matter, turns('how can we help', 'i will call back later')), null);
    const freight = { name: 'load', type: 'enum', values: ['ltl', 'full_truckload'] } as FieldSpec;
    assert.equal(one(freight, turns('what do you ship', 'full trucks of lumber mostly')), 'full_truckload');
  });

  it('reads "how much" as asking an amount, and not a count', () => {
    const amount = count('amount', 'Dollar amount involved');
    assert.equal(one(amount, turns('how much', 'ten k no sorry eight thousand')), 8000);
    assert.equal(one(amount, turns('how much', 'maybe eight thousand')), null);
    const boxes = count('box_count', 'Number of boxes');
    assert.equal(one(boxes, turns('how much do you need moved', 'about twenty')), null);
  });

  it("leaves out a date said of another thing of the caller's, not of any booking", () => {
    const consult = {
      name: 'consultation_date',
      type: 'date',
      description: 'Date of the consultation',
    } as FieldSpec;
    const hello = 'Hello, Ridge Law, how can I help?';
    assert.equal(one(consult, turns(hello, 'hi im calling about my haircut on friday')), null);
    assert.equal(one(consult, turns(hello, 'hi im calling about my appointment on friday')), '2025-03-07');
    assert.equal(one(consult, turns(hello, 'hi can i move my consultation to friday')), '2025-03-07');
  });

  it('does not read the tail of a number said in pairs as an identifier', () => {
    assert.deepEqual(
      findIdentifiers('its twenty twenty five c v eight one four').map((i) => i.value),
      [],
    );
    assert.deepEqual(
      findIdentifiers('its c v eight one four').map((i) => i.value),
      ['CV814'],
    );
  });
});

describe('speech written without punctuation: what is not chosen, counted or pinned down', () => {
  const choice = (name: string, values: string[], description: string): FieldSpec => ({
    name,
    type: 'enum',
    values,
    description,
  });
  const date = (name: string, description: string): FieldSpec => ({ name, type: 'date', description });

  it('asks with "remind me when" and with options left open by a closing "or"', () => {
    assert.deepEqual(questions('perfect and remind me when youre picking him up'), [
      'remind me when youre picking him up?',
    ]);
    assert.deepEqual(questions('ok tell me where you parked'), ['tell me where you parked?']);
    assert.deepEqual(questions('okay and basic tune or'), ['basic tune?']);
    assert.deepEqual(questions('ill remind you when its ready'), []);
    assert.deepEqual(questions('we will tell you when its done'), []);
  });

  it('does not count one group of several people named in the answer as all of them', () => {
    const attendees: FieldSpec = {
      name: 'attendees_count',
      type: 'number',
      description: 'How many family members will come to the meeting',
    };
    const ask = 'how many will be coming tomorrow';
    assert.equal(one(attendees, turns(ask, 'probably me and my two sisters maybe my uncle')), null);
    assert.equal(one(attendees, turns(ask, 'my wife and two kids')), null);
    assert.equal(one(attendees, turns(ask, 'two adults and a child')), null);
    assert.equal(one(attendees, turns(ask, 'three of us')), 3);
    assert.equal(one(attendees, turns(ask, 'just the two of us')), 2);
    const chairs: FieldSpec = { name: 'chair_count', type: 'number', description: 'Number of chairs' };
    assert.equal(one(chairs, turns('how many chairs', 'ten chairs and my own table')), 10);
  });

  it('reads how often: "every other week" is no weekly', () => {
    const often = choice(
      'cleaning_frequency',
      ['daily', 'weekly', 'biweekly', 'monthly'],
      'How often they want the space cleaned',
    );
    const ask = 'okay and how often were you thinking';
    assert.equal(one(often, turns(ask, 'like every other week probably')), 'biweekly');
    assert.equal(
      one(often, turns(ask, 'every two weeks i guess we have a guy for the trash every day')),
      'biweekly',
    );
    assert.equal(one(often, turns(ask, 'once a week')), 'weekly');
    assert.equal(one(often, turns(ask, 'every month is plenty')), 'monthly');
    assert.equal(one(often, turns(ask, 'hmm let me get back to you')), null);
  });

  it('does not choose an option the caller passes judgement on', () => {
    const finish = choice('paper_finish', ['matte', 'glossy', 'uncoated'], 'Finish of the paper');
    const ask = '1200 flyers same paper as before';
    assert.equal(
      one(finish, turns(ask, 'no this time i want em shiny the matte ones looked kinda dull')),
      null,
    );
    assert.equal(one(finish, turns(ask, 'no make them glossy the matte ones looked kinda dull')), 'glossy');
    assert.equal(one(finish, turns(ask, 'yeah matte again please')), 'matte');
    const instrument = choice('instrument', ['piano', 'guitar', 'drums'], 'Instrument for the trial lesson');
    const play = 'and what does he want to play';
    assert.equal(one(instrument, turns(play, 'guitar drums are too loud for our place')), 'guitar');
    assert.equal(one(instrument, turns(play, 'the drums')), 'drums');
  });

  it('takes what follows a "well no" that opens a new choice', () => {
    const instrument = choice('instrument', ['piano', 'guitar', 'drums'], 'Instrument for the trial lesson');
    const play = 'and what does he want to play';
    assert.equal(
      one(instrument, turns(play, 'he wants the drums well no lets do piano drums are too loud')),
      'piano',
    );
    assert.equal(one(instrument, turns(play, 'drums uh no lets go with guitar')), 'guitar');
    assert.equal(one(instrument, turns(play, 'drums well no problem if its loud right')), 'drums');
  });

  it('names the undecided option when the caller has not decided yet', () => {
    const service = choice('service_type', ['burial', 'cremation', 'undecided'], 'Burial or cremation');
    const ask = 'and do you know yet if the family is thinking burial or cremation';
    assert.equal(
      one(
        service,
        turns(
          ask,
          'she always talked about being cremated but my sisters arent sure so we havent decided yet',
        ),
      ),
      'undecided',
    );
    assert.equal(one(service, turns(ask, 'were still deciding honestly')), 'undecided');
    assert.equal(one(service, turns(ask, 'cremation thats what she wanted')), 'cremation');
    const plain = choice('service_type', ['burial', 'cremation'], 'Burial or cremation');
    assert.equal(one(plain, turns(ask, 'we havent decided maybe cremation')), null);
  });

  it('drops an option said before the agent put the options and got no choice', () => {
    const pkg = choice('service_package', ['basic_tune', 'full_overhaul', 'safety_check'], 'Service package');
    const hello = 'spoke and chain cycles this is jo';
    const start = 'hi i wanna bring in the bikes for a tune up';
    assert.equal(
      one(pkg, turns(hello, start, 'okay and basic tune or', 'honestly the works take em all apart')),
      null,
    );
    assert.equal(
      one(pkg, turns(hello, start, 'okay and basic tune or', 'yeah the basic tune')),
      'basic_tune',
    );
    assert.equal(
      one(pkg, turns(hello, start, 'when can you drop them off', 'today after five')),
      'basic_tune',
    );
  });

  it('leaves a date open when the caller gives its time without a day', () => {
    const pickup = date('pickup_date', 'When the dog will be picked up');
    const hello = 'happy tails kennel';
    const dropped = 'hi we dropped off our dog this morning and forgot his pills';
    const ask = 'perfect and remind me when youre picking him up';
    assert.equal(one(pickup, turns(hello, dropped, ask, 'uh sometime next week ill call')), null);
    assert.equal(one(pickup, turns(hello, dropped, ask, 'saturday morning')), '2025-03-08');
    assert.equal(
      one(
        pickup,
        turns(
          hello,
          'hi we need to board our dog',
          ask,
          'sometime next week',
          'how about pickup on monday the 10th',
          'yes',
        ),
      ),
      '2025-03-10',
    );
    const start = date('start_date', 'When the child would start');
    const t = turns(
      'little acorns daycare',
      'we want her to start after the new year',
      'we do tours in the morning can you come tomorrow morning',
      'tomorrow morning yes i can do tomorrow',
    );
    assert.equal(one(start, t), null);
    assert.equal(one(date('tour_date', 'Date of the daycare tour'), t), '2025-03-06');
  });

  it("settles, of two dates the agent reads back, the one labelled with the field's words", () => {
    const t = turns(
      'three okay what dates',
      'we leave friday march 7th and come back sunday the 16th no wait saturday the 15th',
      'so in on friday the 7th out on saturday the 15th',
      'yes',
    );
    assert.equal(one(date('check_in_date', 'Boarding check in date'), t), '2025-03-07');
    assert.equal(one(date('check_out_date', 'Boarding check out date'), t), '2025-03-15');
    assert.equal(one(date('visit_date', 'Date of the visit'), t), null);
  });
});

describe('speech written without punctuation: more questions and answers read', () => {
  it('asks after a closing word and with a name for its subject, not in a relative clause', () => {
    assert.deepEqual(questions('four signs got it do you need them lit up'), ['do you need them lit up?']);
    assert.deepEqual(questions('sorry to hear that do you have your order number'), [
      'do you have your order number?',
    ]);
    assert.deepEqual(questions('thanks karen does walter have any insurance'), [
      'does walter have any insurance?',
    ]);
    assert.deepEqual(questions("we'll have someone who speaks spanish there"), []);
    assert.deepEqual(questions('mark does have a key'), []);
    assert.deepEqual(questions('she does have one'), []);
  });

  it('reads a time said in answer to when as the part of the day', () => {
    const window: FieldSpec = {
      name: 'preferred_window',
      type: 'enum',
      values: ['morning', 'afternoon', 'evening'],
      description: "Time of day they'd like the estimator to come out",
    };
    const ask = 'great when would be a good time for our estimator to swing by';
    assert.equal(one(window, turns(ask, 'after i get off work so like after six')), 'evening');
    assert.equal(one(window, turns(ask, 'around 10 am if you can')), 'morning');
    assert.equal(one(window, turns(ask, 'at two')), 'afternoon');
    assert.equal(one(window, turns(ask, 'before lunch ideally')), 'morning');
    assert.equal(one(window, turns(ask, 'at ten or after six')), null);
    assert.equal(one(window, turns('how many windows', 'about six')), null);
    const midday: FieldSpec = { ...window, values: ['morning', 'midday', 'afternoon'] };
    assert.equal(
      one(midday, turns('okay when is good for you', 'the middle of the day like around lunch')),
      'midday',
    );
    assert.equal(one(midday, turns('okay when is good for you', 'around 12')), 'midday');
  });

  it('reads "how many people" for a count of guests by any name', () => {
    const headcount: FieldSpec = {
      name: 'headcount',
      type: 'number',
      description: "How many guests we'll be feeding",
    };
    assert.equal(one(headcount, turns('appreciate that how many people', 'a hundred and fifty people')), 150);
    assert.equal(one(headcount, turns('appreciate that how many trays', 'a hundred and fifty')), null);
  });

  it('reads an answer that counts the thing asked about as a yes', () => {
    const veg: FieldSpec = {
      name: 'needs_vegetarian',
      type: 'boolean',
      description: 'Whether any guests need vegetarian food',
    };
    const ask = 'any vegetarians in the group';
    assert.equal(one(veg, turns(ask, 'couple of vegetarians yeah so we need something for them')), true);
    assert.equal(one(veg, turns(ask, 'a few of them')), true);
    assert.equal(one(veg, turns(ask, 'two kids who are picky')), null);
    assert.equal(one(veg, turns(ask, 'none that i know of')), false);
  });

  it('reads owning said without the word own for a field about owning', () => {
    const owns: FieldSpec = { name: 'owns_home', type: 'boolean', description: 'Whether they own the home' };
    const ask = 'okay and is this your home or are you renting';
    assert.equal(one(owns, turns(ask, 'no its ours we bought it in 2019')), true);
    assert.equal(one(owns, turns(ask, 'we own the place outright')), true);
    assert.equal(one(owns, turns(ask, 'were renting for now')), false);
    assert.equal(one(owns, turns(ask, 'its a nice place')), null);
  });

  it('takes the option the agent names for what the caller described, when the caller lets it stand', () => {
    const pkg: FieldSpec = {
      name: 'service_package',
      type: 'enum',
      values: ['basic_tune', 'full_overhaul', 'safety_check'],
      description: 'Service package requested',
    };
    const ask = 'okay and basic tune or';
    const works = 'honestly the works take em all apart and clean everything';
    const named = 'thats our full overhaul when can you drop them off';
    assert.equal(one(pkg, turns(ask, works, named, 'today after five')), 'full_overhaul');
    assert.equal(one(pkg, turns(ask, works, named, 'no no just the basic tune')), 'basic_tune');
    assert.equal(
      one(pkg, turns(ask, works, 'we do a full overhaul or a safety check when can you come', 'today')),
      null,
    );
    const boat: FieldSpec = {
      name: 'boat_type',
      type: 'enum',
      values: ['pontoon', 'sailboat', 'motor_yacht'],
      description: "Kind of boat they're shopping for",
    };
    const power = 'no sails no way something with a couple staterooms and a flybridge';
    assert.equal(
      one(
        boat,
        turns(
          'are you thinking sail or power',
          power,
          'okay so a motor yacht and whats your budget',
          'about two million',
        ),
      ),
      'motor_yacht',
    );
    assert.equal(
      one(
        boat,
        turns(
          'whats your name',
          'mike tran',
          'we have a motor yacht on the dock and whats your budget',
          'two million',
        ),
      ),
      null,
    );

    const plan: FieldSpec = {
      name: 'plan_type',
      type: 'enum',
      values: ['traditional_burial', 'direct_cremation', 'cremation_with_service'],
      description: 'Type of pre-need plan',
    };
    const basic = 'cremation just the basic no service no viewing nothing';
    const considering = 'of course what type of arrangements are you considering';
    assert.equal(
      one(
        plan,
        turns(
          ask,
          basic,
          'thats our direct cremation do you have a budget in mind',
          'im not telling you that',
        ),
      ),
      'direct_cremation',
    );
    assert.equal(
      one(plan, turns(considering, basic, 'so thats our direct cremation', 'no not that one')),
      null,
    );
  });
});

describe('identifiers read back without punctuation', () => {
  const member: FieldSpec = { name: 'member_id', type: 'text', description: 'Member ID' };

  it("takes the caller's fix of a bare read-back, said in part and then whole, never the rejected one", () => {
    const call = (reply: string) =>
      one(member, turns('can i get your member id', 'its m as in mary 4 7 2 2 b', 'm 4 7 2 2 b', reply));
    assert.equal(call('no wait thats my old card its 4 7 2 9 so m 4 7 2 9 b'), 'M4729B');
    assert.equal(call('yep'), 'M4722B');
    // Rejected with no fix: nothing.
    assert.equal(call('no thats not it'), null);
    // Two different codes in the fix: no guess.
    assert.equal(call('no its either k 1 1 9 or k 1 2 2'), null);
  });

  it("reads a yes or no after a read-back that goes on to another question as that question's answer", () => {
    const code: FieldSpec = { name: 'confirmation_number', type: 'text' };
    assert.equal(
      one(
        code,
        turns(
          'whats the confirmation number',
          'r t nine nine zero',
          'r t nine nine zero and your license number to verify',
          'no im not giving you that',
        ),
      ),
      'RT990',
    );
    assert.equal(
      one(
        code,
        turns('whats the confirmation number', 'r t nine nine zero', 'r t nine nine zero right', 'no'),
      ),
      null,
    );
  });
});

describe('organisations named by their kind', () => {
  it('reads a funeral home or a clinic named in a field as an organisation, its kind ending its name', () => {
    const home: FieldSpec = { name: 'funeral_home_name', type: 'text', description: 'Funeral home booking' };
    const t = turns(
      'crematory this is lou',
      'hi lou its frank over at hollis and sons funeral home i need to book',
    );
    assert.equal(one(home, t), 'Hollis and Sons Funeral Home');
    const clinic: FieldSpec = { name: 'clinic_name', type: 'text' };
    assert.equal(
      one(clinic, turns('lab', 'this is ana from sunrise pet clinic calling about results')),
      'Sunrise Pet Clinic',
    );
    // "from home" names no organisation, and a person's name is no clinic's.
    assert.equal(one(clinic, turns('lab', 'this is ana calling from home')), null);
    assert.equal(one(clinic, turns('whats your name', 'ana ruiz')), null);
  });

  it("takes the answer to 'the name of the business' or of the kind it is, and not as a person's name", () => {
    const business: FieldSpec = {
      name: 'business_name',
      type: 'text',
      description: 'Business the signs are for',
    };
    const contact: FieldSpec = { name: 'contact_name', type: 'text' };
    const t = turns(
      'sign shop',
      'hey its rosa i need signs',
      'ok rosa whats the name of the restaurant',
      'taco loco kc',
    );
    assert.equal(one(business, t), 'Taco Loco KC');
    assert.equal(one(contact, t), 'Rosa');
    const company: FieldSpec = { name: 'company_name', type: 'text', description: 'Name of the business' };
    assert.equal(
      one(company, turns('whats the name of the business', 'its brightline dental group')),
      'Brightline Dental Group',
    );
    // The name of the caller's dog asks for no business; an insurer is not asked for by "the business".
    assert.equal(one(business, turns('whats the name of your dog', 'rex')), null);
    const insurer: FieldSpec = { name: 'insurer', type: 'text', description: 'Insurance company' };
    assert.equal(one(insurer, turns('whats the name of the restaurant', 'its taco loco')), null);
  });

  it('reads the organisation after a name and "here" in an introduction', () => {
    const company: FieldSpec = {
      name: 'company',
      type: 'text',
      description: 'Company requesting the survey',
    };
    assert.equal(
      one(
        company,
        turns('drone surveys this is alex', 'hey alex gary here from uh oduya land partners my boss asked'),
      ),
      'Oduya Land Partners',
    );
    assert.equal(one(company, turns('drone surveys this is alex', 'hey alex gary here my boss asked')), null);
  });
});

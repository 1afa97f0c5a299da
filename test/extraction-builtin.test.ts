import assert from 'node:assert/strict';
import { formatReport, scoreExtractor } from '../src/extraction/accuracy';
import { extractBuiltin, summarizeBuiltin, type TranscriptTurn } from '../src/extraction/builtin';
import { type FieldSpec, missingRequired, validateExtracted } from '../src/extraction/fields';
import type { callWorkflow } from '../workflows/call';
import corpus from './kit/extraction-corpus.json';
import holdoutA from './kit/extraction-holdout-a.json';
import holdoutB from './kit/extraction-holdout-b.json';
import { event, startHarness } from './kit/harness';

// Wednesday 2025-03-05, 10:00 in New York.
const NOW = new Date('2025-03-05T15:00:00Z');
const TZ = 'America/New_York';

function turns(...lines: string[]): TranscriptTurn[] {
  return lines.map((text, i) => ({ role: i % 2 === 0 ? 'agent' : 'caller', text }));
}

function one(field: FieldSpec, transcript: TranscriptTurn[]) {
  return extractBuiltin([field], transcript, { now: NOW, timezone: TZ })[field.name];
}

const name: FieldSpec = { name: 'caller_name', type: 'text' };
const phone: FieldSpec = { name: 'phone', type: 'text' };
const email: FieldSpec = { name: 'email', type: 'text' };

describe('validateExtracted', () => {
  const fields: FieldSpec[] = [
    { name: 'caller_name', type: 'text' },
    { name: 'budget', type: 'number' },
    { name: 'wants_callback', type: 'boolean' },
    { name: 'plan', type: 'enum', values: ['starter', 'pro'] },
    { name: 'visit', type: 'date' },
  ];

  it('accepts well-typed data and fills missing keys with null', () => {
    const r = validateExtracted(fields, {
      caller_name: 'Ann',
      budget: 1200,
      plan: 'pro',
      visit: '2025-03-11',
    });
    assert.deepEqual(r, {
      ok: true,
      data: { caller_name: 'Ann', budget: 1200, wants_callback: null, plan: 'pro', visit: '2025-03-11' },
    });
  });

  it('reports wrong types, enum values outside the list, bad dates and unknown keys', () => {
    const r = validateExtracted(fields, {
      caller_name: 3,
      budget: '1200',
      wants_callback: 'yes',
      plan: 'gold',
      visit: '2025-02-30',
      extra: 1,
    });
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.problems.length, 6);
    assert.ok(r.problems.some((p) => p.startsWith('extra: unknown field')));
    assert.ok(r.problems.some((p) => p.includes('"gold"')));
    assert.ok(r.problems.some((p) => p.startsWith('visit:')));
  });

  it('refuses non-objects and non-finite numbers', () => {
    assert.equal(validateExtracted(fields, null).ok, false);
    assert.equal(validateExtracted(fields, []).ok, false);
    assert.equal(validateExtracted(fields, { budget: Number.NaN }).ok, false);
    assert.equal(validateExtracted(fields, { visit: '3/11/2025' }).ok, false);
  });

  it('accepts the output of the built-in extractor', () => {
    const out = extractBuiltin(fields, turns('Hi, who am I speaking with?', 'My name is Ann Lee.'), {
      now: NOW,
    });
    assert.deepEqual(validateExtracted(fields, out), { ok: true, data: out });
  });
});

describe('built-in extractor heuristics', () => {
  describe('names', () => {
    it('finds stated names and bare answers to a name question', () => {
      assert.equal(
        one(name, turns('Who am I speaking with?', 'Hi, my name is Daniel Ortiz.')),
        'Daniel Ortiz',
      );
      assert.equal(one(name, turns('Can I get your name?', 'Sure, Ben Okafor.')), 'Ben Okafor');
      assert.equal(
        one(name, turns('Who do I have on the line?', "Hey Carl, I'm Jerome Walker.")),
        'Jerome Walker',
      );
      assert.equal(one(name, turns('May I have your name?', "Kevin O'Brien.")), "Kevin O'Brien");
      assert.equal(one(name, turns('What name should I put it under?', 'Under Gomez, G-O-M-E-Z.')), 'Gomez');
      assert.equal(
        one(name, turns('Who am I speaking with?', 'This is Dr. Lena Fox at the clinic.')),
        'Lena Fox',
      );
    });

    it('does not take "I\'m" as a name without a name question, nor the agent\'s own name', () => {
      assert.equal(one(name, turns('How can I help?', "Hi, I'm calling about your warranty.")), null);
      assert.equal(
        one(name, turns('How can I help?', 'I need a quote.', 'Sure.', "I'm Looking forward")),
        null,
      );
      assert.equal(
        one(name, turns('This is Maya. Who am I speaking with?', 'Hi Maya, uh, never mind.')),
        null,
      );
      assert.equal(one(name, turns('May I have your name?', 'Why do you need it?')), null);
    });

    describe('with agent turns written without punctuation', () => {
      it('completes a first name with the surname answered to the last-name question', () => {
        for (const [ask, answer] of [
          ['ok and ravi can i get your last name', 'sandoval s a n d o v a l'],
          ['thanks ravi and last name for the file', 'sandoval'],
          ['and your last name and a good number', 'sandoval and its two one two five five five'],
        ])
          assert.equal(
            one(name, turns('bright oak plumbing this is lee', 'hi this is ravi', ask, answer)),
            'Ravi Sandoval',
            ask,
          );
      });

      it('reads a surname spelled letter by letter after "last name"', () => {
        const t = turns('can i get your name', 'ines i n e s last name t as in tom o r r e s');
        assert.equal(one(name, t), 'Ines Torres');
        // One letter is no surname: the first name stays alone.
        assert.equal(one(name, turns('can i get your name', 'ines last name t')), 'Ines');
      });

      it('takes a name the agent greets in lower case, and "its me" before it', () => {
        assert.equal(
          one(
            name,
            turns('are you with us already', 'yeah for years its nadia kern', 'hi nadia what can i do'),
          ),
          'Nadia Kern',
        );
        assert.equal(one(name, turns('whats the name please', 'its me hollis grant')), 'Hollis Grant');
        // Not greeted by it: a word after "its" mid-turn stays unconfirmed.
        assert.equal(
          one(name, turns('are you with us already', 'yeah for years its nadia kern', 'what can i do')),
          null,
        );
      });

      it('never takes someone else\'s name said with "her/his name is" for the caller\'s', () => {
        const t = turns(
          'how can i help',
          'im booking for my sister too her name is odette shes at work',
          'and whats your name',
          'im paul',
        );
        assert.equal(one(name, t), 'Paul');
        assert.equal(one(name, turns('how can i help', 'his names tobias he is seven')), null);
      });

      it('reads name questions without apostrophes or after an acknowledgement', () => {
        const patient: FieldSpec = { name: 'patient_name', type: 'text', description: "Patient's name" };
        assert.equal(one(patient, turns('ok whats the patients name', 'its me carla voss')), 'Carla Voss');
        assert.equal(
          one(name, turns('great name and number', 'idris holm two one two five five five')),
          'Idris Holm',
        );
        assert.equal(one(name, turns('sure name and member id', 'idris holm um c four four')), 'Idris Holm');
        // "name" inside another phrase asks nothing.
        assert.equal(one(name, turns('thats a great name for a boat', 'idris holm built it')), null);
      });

      it("names someone by their relation for a third party's field, never for the caller's", () => {
        const student: FieldSpec = { name: 'student_name', type: 'text', description: 'Name of the student' };
        const t = turns('tutoring center', 'hi this is angela my son jaden needs help with math');
        assert.equal(one(student, t), 'Jaden');
        assert.equal(one(name, t), 'Angela');
        assert.equal(
          one(
            name,
            turns('law office', 'hi um my neighbor tom garza gave me your number', 'your name', 'ruth'),
          ),
          'Ruth',
        );
        // A relation followed by no name: "my son really needs help".
        assert.equal(one(student, turns('tutoring center', 'hi my son really needs help')), null);
      });

      it("reads the name of a pet owner as a person's name, not a pet's", () => {
        const owner: FieldSpec = {
          name: 'owner_name',
          type: 'text',
          description: 'Name of the pet owner calling',
        };
        assert.equal(
          one(
            owner,
            turns('animal hospital', 'my dog rufus needs his pills', 'whats your name', 'mina sato'),
          ),
          'Mina Sato',
        );
      });

      it('leaves a first name alone null when the surname answered could not be read', () => {
        const call = (answer: string) =>
          one(name, turns('whats your name', 'ines', 'and your last name', answer));
        assert.equal(call('uh its wojcik-bauer'), null);
        // No surname given: the first name stands; an interjection is no surname.
        assert.equal(call('its on the form already'), 'Ines');
        assert.equal(call('oh gosh its complicated'), 'Ines');
      });

      it("never takes the agent's own lower-case introduction for the caller's name", () => {
        assert.equal(one(name, turns('summit roofing this is carla whats your name', 'uh carla')), null);
        assert.equal(
          one(name, turns('summit roofing this is carla whats your name', 'uh marisol')),
          'Marisol',
        );
      });

      it('does not read "who are you using now" as a question for the caller\'s name', () => {
        assert.equal(
          one(name, turns('and who are you using now', 'weve been with another outfit for years')),
          null,
        );
        assert.equal(one(name, turns('and who are you', 'priscilla wynn')), 'Priscilla Wynn');
      });

      it("never gives the caller's own name for the spouse, the deceased or a person authorized", () => {
        const spouse: FieldSpec = { name: 'spouse_name', type: 'text', description: "Spouse's name" };
        const deceased: FieldSpec = {
          name: 'deceased_name',
          type: 'text',
          description: 'Name of the deceased',
        };
        const authorized: FieldSpec = {
          name: 'authorized_person',
          type: 'text',
          description: 'Name of the person authorized for pickup',
        };
        const filing = turns(
          'tax office',
          'hi this is sandra',
          'your last name',
          'oyelaran',
          'filing jointly',
        );
        assert.equal(
          one(spouse, [...filing, { role: 'caller', text: 'yeah me and my husband file together' }]),
          null,
        );
        assert.equal(one(name, filing), 'Sandra Oyelaran');
        // Asked for the wife's name, and the caller's own afterwards: the wife's.
        const asked = turns('whats your wifes name', 'maren holt', 'and your name', 'jonas holt');
        assert.equal(one(spouse, asked), 'Maren Holt');
        assert.equal(one(spouse, turns('hi', 'hi its jonas my wife maren needs to sign')), 'Maren');
        // "your son's name" is no spouse's.
        assert.equal(one(spouse, turns('whats your sons name', 'theo')), null);
        const funeral = turns(
          'how can i help',
          'my father passed',
          'may i have your name',
          'ruth vance im his daughter',
        );
        assert.equal(one(deceased, funeral), null);
        assert.equal(one(name, funeral), 'Ruth Vance');
        const pickup = turns('daycare', 'its gina lilys mom', 'whats your sisters name', 'carla mendez');
        assert.equal(one(authorized, pickup), 'Carla Mendez');
        assert.equal(one(authorized, pickup.slice(0, 2)), null);
      });

      it("takes the answer to the question for the name on the account over the caller's own", () => {
        const tenant: FieldSpec = {
          name: 'tenant_name',
          type: 'text',
          description: 'Name on the rental agreement',
        };
        const t = turns(
          'storage',
          'hi my name is priya',
          'and the name on the lease',
          'its under my husbands name ravi menon',
        );
        assert.equal(one(tenant, t), 'Ravi Menon');
        assert.equal(one(name, t), 'Priya');
        // Not asked for the name on anything: the caller's own.
        assert.equal(one(tenant, t.slice(0, 2)), 'Priya');
      });

      it('takes the full form of a short name the caller restates or confirms on file', () => {
        assert.equal(one(name, turns('your name', 'debs well deborah lin l i n')), 'Deborah Lin');
        assert.equal(one(name, turns('your name', 'jen i mean jennifer ames')), 'Jennifer Ames');
        // Another person's name after "or" stays out.
        assert.equal(one(name, turns('your name', 'jen or maybe')), 'Jen');
        const onFile = (reply: string) =>
          one(name, turns('hello', 'hi this is bernie', 'ok i have bernard walsh on elm street', reply));
        assert.equal(onFile('yep thats me'), 'Bernard Walsh');
        assert.equal(onFile('no thats my brother'), 'Bernie');
        assert.equal(
          one(name, turns('hello', 'hi this is bernie', 'i see a bella stone on the account', 'yes')),
          'Bernie',
        );
      });

      it('reads "<name> here" after greeting the agent by name, before a relation named after it', () => {
        const client: FieldSpec = {
          name: 'client_name',
          type: 'text',
          description: 'Name of the person on the phone',
        };
        const t = turns(
          'drone surveys this is alex',
          'hey alex gary here my boss lena park asked for a quote',
          'sure gary',
        );
        assert.equal(one(client, t), 'Gary');
        assert.equal(
          one(client, [...t, ...turns('your last name', 'oduya o d u y a')].slice(0, 5)),
          'Gary Oduya',
        );
        // Someone else's name before "here": not the caller's.
        assert.equal(
          one(client, turns('drone surveys this is alex', 'hi my son tyler here wants a quote')),
          null,
        );
        // The agent's own name before "here" is no caller's.
        assert.equal(one(client, turns('this is alex', 'hey alex here is my question')), null);
      });

      it('takes the full name asked for over the short form the caller opened with', () => {
        const full: FieldSpec = { name: 'contact_full_name', type: 'text' };
        const call = (answer: string) =>
          one(
            full,
            turns(
              'print shop',
              'hey its tom i need flyers',
              'sure tom your full name for the ticket',
              answer,
            ),
          );
        assert.equal(call('thomas bellwether b e l l w e t h e r'), 'Thomas Bellwether');
        // Another first name altogether: two people, no guess.
        assert.equal(call('tamara bellwether b e l l w e t h e r'), null);
      });

      it('reads "thats me" before a name, and a name the agent says before its question', () => {
        const owner: FieldSpec = { name: 'owner_name', type: 'text', description: "Dog owner's name" };
        assert.equal(
          one(
            owner,
            turns(
              'kennel whats the reservation',
              'k 5 5 0 3',
              'k5503 under',
              'under hollis thats me dennis hollis',
            ),
          ),
          'Dennis Hollis',
        );
        assert.equal(one(owner, turns('kennel', 'yeah thats me calling about the dog')), null);
        const member: FieldSpec = { name: 'member_name', type: 'text' };
        const t = (agent: string) => turns('gym', 'hi i want to cancel my membership its nadia fox', agent);
        assert.equal(one(member, t('sorry to hear that nadia can i ask why')), 'Nadia Fox');
        // Not addressed by it: "its" in the middle of a turn may open anything.
        assert.equal(one(member, t('sorry to hear that can i ask why')), null);
      });

      it('reads a middle name before a surname spelled out, and given names ending in -ly', () => {
        assert.equal(one(name, turns('whats your name', 'anne marie cole c o l e')), 'Anne Marie Cole');
        // Unspelled, a third word may be anything: no guess at where the name ends.
        assert.equal(one(name, turns('whats your name', 'anne marie cole')), null);
        assert.equal(one(name, turns('whats your name', 'yep lily ferraro')), 'Lily Ferraro');
        assert.equal(one(name, turns('whats your name', 'emily')), 'Emily');
        assert.equal(one(name, turns('whats your name', 'its beverly')), 'Beverly');
        // An adverb is no name: "its really bad", "honestly", "simply".
        assert.equal(one(name, turns('hello', 'its really bad')), null);
        for (const adverb of ['honestly', 'totally', 'simply', 'seriously', 'happily'])
          assert.equal(one(name, turns('whats your name', `its ${adverb}`)), null);
      });

      it("keeps a child's field to the child, and a question about a named person off the caller", () => {
        const child: FieldSpec = { name: 'child_name', type: 'text', description: "Child's name" };
        const parent: FieldSpec = {
          name: 'parent_name',
          type: 'text',
          description: 'Name of the parent calling',
        };
        const t = turns(
          'daycare',
          'hi its gina ferraro lilys mom',
          'hi gina whats your sisters name',
          'carla mendez',
          'and lilys last name is ferraro too right',
          'yep lily ferraro',
        );
        assert.equal(one(child, t), 'Lily Ferraro');
        assert.equal(one(parent, t), 'Gina Ferraro');
        // Only the sister named: no child's name.
        assert.equal(one(child, t.slice(0, 4)), null);
      });

      it('composes a two-word surname asked for alone, and reads a name only spelled', () => {
        const t = (q: string, a: string) => one(name, turns('sign shop', 'hey its rosa', `ok rosa ${q}`, a));
        assert.equal(t('can i get a last name and email', 'delgado reyes two words'), 'Rosa Delgado Reyes');
        // Asked for the first and last name: another full name is no surname of the first.
        assert.equal(t('your first and last name', 'maria delgado'), null);
        assert.equal(one(name, turns('can i get your name', 'its o w e n yeah hello')), 'Owen');
        assert.equal(one(name, turns('can i get your name', 'its uh hang on')), null);
        assert.equal(one(name, turns('can i get your name', 'b n')), null);
      });

      it('takes the full name the agent asks the caller to confirm as theirs', () => {
        const patient: FieldSpec = { name: 'patient_name', type: 'text' };
        const t = (reply: string) =>
          turns('front desk whats the account number', '3 3 0 9 1', '33091 is this for renee okafor', reply);
        assert.equal(one(patient, t('yeah thats me')), 'Renee Okafor');
        assert.equal(one(name, t('yeah thats me')), 'Renee Okafor');
        // A yes to "is this for" says whose account it is, not who calls; a no says nothing.
        assert.equal(one(name, t('yes')), null);
        assert.equal(one(name, t('no thats my mother')), null);
        assert.equal(one(name, turns('am i speaking with dana park', 'yes speaking')), 'Dana Park');
      });

      it("reads a pet's name said a few words after 'our dog' when the agent asks what it does", () => {
        const dog: FieldSpec = { name: 'dog_name', type: 'text' };
        const said = 'we dropped off our dog this morning biscuit and i forgot his pills';
        assert.equal(one(dog, turns('kennel', said, 'how often does biscuit take the pills')), 'Biscuit');
        // Not asked about by that name: the word after the time may be anything.
        assert.equal(one(dog, turns('kennel', said, 'how often does he take the pills')), null);
      });

      it("corrects a surname by the caller's own spelling one letter off", () => {
        const t = turns('hi', 'my name is janet kowalski', 'your email', 'j kowalsky at gmail dot com');
        assert.equal(
          one(name, [...t, ...turns('j k o w a l s k i', 'no with a y k o w a l s k y like my name')]),
          'Janet Kowalsky',
        );
        // A spelling of something else, or the agent's own, changes nothing.
        assert.equal(one(name, [...t, ...turns('j k o w a l s k i', 'yes')]), 'Janet Kowalski');
        assert.equal(one(name, [...t, ...turns('and the street', 'k e n t street')]), 'Janet Kowalski');
      });
    });
  });

  describe('contact details', () => {
    it('normalises US phone numbers to E.164', () => {
      assert.equal(one(phone, turns('Best number?', 'My cell is (312) 555-0187.')), '+13125550187');
      assert.equal(one(phone, turns('Best number?', 'Call my mobile, 617 555 0143.')), '+16175550143');
    });

    it('takes a phone number the agent reads back and the caller confirms when the digits as said do not settle it', () => {
      const call = (reply: string) =>
        one(
          phone,
          turns(
            'and a good phone number',
            'nine one seven four oh two thirty eight sixteen',
            'so 917 402 3816',
            reply,
          ),
        );
      assert.equal(call('yes sir'), '+19174023816');
      assert.equal(call('no thats not it'), null);
      // A number the agent reads out of its own, not one the caller said: nothing.
      assert.equal(
        one(phone, turns('is this about your order', 'yeah', 'our number is 917 402 3816', 'ok')),
        null,
      );
    });

    it('writes a number said last in an address in digits when words before it are joined by dot or underscore', () => {
      const said = (a: string) => one(email, turns('great and your email', a));
      assert.equal(said('chen dot wei eighty eight at gmail dot com'), 'chen.wei88@gmail.com');
      assert.equal(said('its tom underscore lee four two at outlook dot com'), 'tom_lee42@outlook.com');
      // No join says which words belong to the address: no guess.
      assert.equal(said('its wei eighty eight at gmail dot com'), null);
      assert.equal(said('k menon eighty eight at yahoo dot com'), null);
    });

    it("takes the agent's spelled read-back of words the caller ran together once the caller confirms it", () => {
      const call = (agent: string, reply: string) =>
        one(email, turns('whats your email', 'j kowalsky at gmail dot com', agent, reply));
      assert.equal(call('j k o w a l s k y at gmail', 'yes'), 'jkowalsky@gmail.com');
      // Not confirmed, or spelled as something the caller did not say: no guess.
      assert.equal(call('j k o w a l s k y at gmail', 'no'), null);
      assert.equal(call('j k o w a l s k i at gmail', 'yes'), null);
      assert.equal(one(email, turns('whats your email', 'j kowalsky at gmail dot com')), null);
    });

    it('returns null when the caller gives two different numbers without a clear answer', () => {
      const t = turns('How can I help?', 'Either 312-555-0187 or 617-555-0143 works.');
      assert.equal(one(phone, t), null);
    });

    it('reads written and spoken email addresses', () => {
      assert.equal(one(email, turns('Email?', 'Sure, Ann.Lee@Example.com.')), 'ann.lee@example.com');
      assert.equal(
        one(email, turns('Email?', "It's bill at henderson dot co dot uk")),
        'bill@henderson.co.uk',
      );
      assert.equal(one(email, turns('Email?', "I'll look at the website.")), null);
    });

    it('reads phone numbers said digit by digit', () => {
      const t = turns('Best number?', "Cell's best. Six one four, five five five, oh one eight two.");
      assert.equal(one(phone, t), '+16145550182');
      // Seven digits or more only: a short run of digits is no phone number.
      assert.equal(one(phone, turns('Best number?', 'Room four one two.')), null);
    });

    it('spells out underscores and takes the agent read-back of a spoken address', () => {
      const underscore = turns('Email?', 'It is m underscore tanaka at fernway dot io.');
      assert.equal(one(email, underscore), 'm_tanaka@fernway.io');
      const readBack: TranscriptTurn[] = [
        { role: 'agent', text: 'What email should I use?' },
        {
          role: 'caller',
          text: "k menon eighty-eight at yahoo dot com. That's k-m-e-n-o-n, then eight eight.",
        },
        { role: 'agent', text: 'Perfect, kmenon88@yahoo.com.' },
      ];
      assert.equal(one(email, readBack), 'kmenon88@yahoo.com');
      // Without the read-back, the words before "eighty-eight" leave the address open: no guess.
      assert.equal(one(email, readBack.slice(0, 2)), null);
    });

    it('joins spelled-out addresses as speech-to-text writes them', () => {
      const said = (text: string) => one(email, turns('Whats your email?', text));
      // Domain words split by the recogniser, letters one by one or dashed, "all one word".
      assert.equal(said('its omar dot b at proton mail dot com thanks'), 'omar.b@protonmail.com');
      assert.equal(said('uh j o n a s underscore k at gmail dot com'), 'jonas_k@gmail.com');
      assert.equal(said('W-E-I-S-S dot R at outlook dot com.'), 'weiss.r@outlook.com');
      assert.equal(said('its maria lopez all one word at yahoo dot com'), 'marialopez@yahoo.com');
      // Two words before "at": which of them belong to the address is a guess.
      assert.equal(said('nina park at gmail dot com'), null);
      // "at home dot now" is no address.
      assert.equal(said('im at home dot now so whatever works'), null);
    });

    it('takes the ending a caller corrects in the read-back, and nothing from a rejected one', () => {
      const call = (reply: string) =>
        one(
          email,
          turns(
            'What email should we use?',
            'ben at harbor view dot com',
            'So that is ben@harborview.com?',
            reply,
          ),
        );
      assert.equal(call('yes thats it'), 'ben@harborview.com');
      assert.equal(call('oh no sorry its dot net not dot com'), 'ben@harborview.net');
      assert.equal(call('no thats wrong'), null);
    });
  });

  describe('numbers', () => {
    const budget: FieldSpec = { name: 'budget', type: 'number', description: 'Budget in dollars' };
    const team: FieldSpec = { name: 'team_size', type: 'number' };

    it('reads money amounts in digits and words', () => {
      assert.equal(one(budget, turns('Do you have a budget?', 'Around $1,500 a month.')), 1500);
      assert.equal(one(budget, turns('Any budget?', 'We were thinking ten thousand dollars.')), 10000);
      assert.equal(one(budget, turns('Any budget?', 'Twelve hundred dollars, tops.')), 1200);
      assert.equal(one(budget, turns('How can I help?', 'We can spend about 15k on this.')), 15000);
    });

    it('does not turn non-money quantities into a budget', () => {
      assert.equal(one(budget, turns('How big is the house?', 'Around 2,000 square feet.')), null);
    });

    it('takes quantities answered to a question about the field, and refuses ranges', () => {
      assert.equal(one(team, turns('How many people are on your team?', 'About 25 people.')), 25);
      assert.equal(one(team, turns('How big is your team?', 'Roughly 40, maybe 45.')), null);
      assert.equal(one(team, turns('How many on the team?', 'Three. Or four if the price is right.')), null);
      assert.equal(one(team, turns('How can I help?', 'We have 30 laptops.')), null);
    });

    it('settles on the corrected number: the one the agent repeats, or the last after "no wait"', () => {
      const seats: FieldSpec = { name: 'seats', type: 'number', description: 'Number of user seats' };
      const corrected = (answer: string, next?: string): TranscriptTurn[] => [
        { role: 'agent', text: 'How many seats would you need?' },
        { role: 'caller', text: answer },
        ...(next ? [{ role: 'agent' as const, text: next }] : []),
      ];
      assert.equal(one(seats, corrected('Me, the three managers, the owner... so five. No wait, six.')), 6);
      assert.equal(
        one(seats, corrected('Eighteen, well, with the interns twenty-four.', 'Got it, twenty-four.')),
        24,
      );
      assert.equal(one(seats, corrected('Four, me, my wife and two kids.')), 4);
    });

    it('reads a party size from "a table for six"', () => {
      const party: FieldSpec = { name: 'party_size', type: 'number' };
      assert.equal(one(party, turns('How can I help?', "I'd like a table for six on Saturday.")), 6);
    });

    it('reads numbers said as speech-to-text writes them: hundreds and years in pairs, cents', () => {
      const score: FieldSpec = { name: 'credit_score', type: 'number' };
      assert.equal(
        one(score, turns('Do you know your credit score?', 'last time it was like six eighty')),
        680,
      );
      const year: FieldSpec = { name: 'model_year', type: 'number', description: 'Model year of the boat' };
      assert.equal(one(year, turns('When did you buy the boat?', 'uh its a twenty nineteen i think')), null);
      assert.equal(one(year, turns('What year is the boat?', 'uh its a twenty nineteen bayliner')), 2019);
      const fee: FieldSpec = { name: 'fee', type: 'number', description: 'The fee charged' };
      assert.equal(
        one(
          fee,
          turns('How much was the fee?', 'Forty one dollars and twenty five cents, on the statement.'),
        ),
        41.25,
      );
      // Above nineteen the pair is ambiguous for an amount: 2150 or 21.50.
      assert.equal(one(fee, turns('How much was the fee?', 'twenty one fifty i think it said')), null);
    });

    it('refuses alternatives, unknowns and vague amounts; takes the current value over the old one', () => {
      const rooms: FieldSpec = { name: 'room_count', type: 'number' };
      assert.equal(one(rooms, turns('How many rooms are there?', 'um i dont know six? seven?')), null);
      assert.equal(
        one(rooms, turns('How many rooms are there?', 'like one forty one fifty depends how you count')),
        null,
      );
      assert.equal(
        one(rooms, turns('How many rooms are there?', 'somewhere between eight and twelve')),
        null,
      );
      const rent: FieldSpec = { name: 'rent', type: 'number', description: 'Monthly rent' };
      assert.equal(one(rent, turns('What is the rent?', 'it was like three thousand something')), null);
      assert.equal(
        one(rent, turns('What is the rent now?', 'It used to be $1,400, now it is $1,650.')),
        1650,
      );
    });

    it('takes a number given to confirm or choose from the question, and a volunteered "N of us"', () => {
      const floors: FieldSpec = { name: 'floors', type: 'number' };
      assert.equal(one(floors, turns('Is it three floors or four?', 'its four floors')), 4);
      assert.equal(one(floors, turns('So three floors?', 'well actually four, theres the attic')), 4);
      const members: FieldSpec = { name: 'members', type: 'number', description: 'Household members' };
      assert.equal(one(members, turns('Is it just you?', 'no me and my sister so two of us')), 2);
    });

    it('reads "one" standing for a thing as no number', () => {
      const pets: FieldSpec = { name: 'pet_count', type: 'number', description: 'How many pets' };
      assert.equal(one(pets, turns('How many pets?', 'the one who barks is the problem')), null);
      assert.equal(
        one(pets, turns('Would you want one visit or two?', 'lets see how the first one goes')),
        null,
      );
    });

    it('stops at the question with the field name when its answer is unclear, and skips read-out phone numbers', () => {
      const budgetRoof: FieldSpec = {
        name: 'budget',
        type: 'number',
        description: 'Budget the caller has for the new deck',
      };
      const t = turns('How old is the deck?', 'about twelve years', 'Any budget?', 'like eight to ten k');
      assert.equal(one(budgetRoof, t), null);
      const rooms: FieldSpec = {
        name: 'room_count',
        type: 'number',
        description: 'Rooms to hold in the block',
      };
      const phoneAnswer = turns(
        'How many rooms?',
        'not sure yet',
        'What number is best for the block?',
        'Four one five, five five five, oh one one two.',
      );
      assert.equal(one(rooms, phoneAnswer), null);
    });

    it('reads "twice a week" and prefers the number said with the field word', () => {
      const sessions: FieldSpec = { name: 'sessions_per_week', type: 'number' };
      assert.equal(one(sessions, turns('How many sessions per week?', 'twice a week')), 2);
      assert.equal(
        one(sessions, turns('How many sessions per week?', 'twice a week maybe three times')),
        null,
      );
      const seats: FieldSpec = { name: 'seat_count', type: 'number', description: 'User seats needed' };
      assert.equal(
        one(seats, turns('How many people would use it?', 'we are ninety people but only forty need seats')),
        40,
      );
    });

    it('takes, of two numbers given, the one the agent reads back', () => {
      const t = turns(
        'Best number?',
        'Home is 415-555-0101 but use my cell, 415 555 0199.',
        'Got it, 415-555-0199.',
      );
      assert.equal(one(phone, t), '+14155550199');
      assert.equal(one(phone, t.slice(0, 2)), null);
    });

    it('splices digits said again after a correction into the phone number', () => {
      const t = turns(
        'Best number?',
        'two one three, five five five, oh four four two. no sorry, oh four two four.',
      );
      assert.equal(one(phone, t), '+12135550424');
    });

    it('takes a volunteered amount only with the field word, not any amount in the call', () => {
      const loan: FieldSpec = { name: 'loan_amount', type: 'number', description: 'Amount to borrow' };
      assert.equal(one(loan, turns('What price range?', 'places around 450k')), null);
      assert.equal(one(loan, turns('How can I help?', 'I need a loan of about 300k for a condo.')), 300000);
    });
  });

  describe('dates', () => {
    const date: FieldSpec = { name: 'appointment_date', type: 'date' };

    it('resolves relative and explicit dates in the given timezone', () => {
      assert.equal(one(date, turns('What day works?', 'Next Tuesday.')), '2025-03-11');
      assert.equal(one(date, turns('What day works?', 'This Saturday.')), '2025-03-08');
      assert.equal(one(date, turns('What day works?', 'Tomorrow morning.')), '2025-03-06');
      assert.equal(one(date, turns('What day works?', 'March 3rd.')), '2025-03-03');
      assert.equal(one(date, turns('What day works?', 'Is 3/14 open?')), '2025-03-14');
      assert.equal(one(date, turns('What day works?', 'The 2nd of April.')), '2025-04-02');
    });

    it('uses the timezone to decide what "today" is', () => {
      const late = new Date('2025-03-06T03:00:00Z'); // still March 5 in New York
      const t = turns('When?', 'Tomorrow.');
      assert.equal(extractBuiltin([date], t, { now: late, timezone: TZ }).appointment_date, '2025-03-06');
      assert.equal(extractBuiltin([date], t, { now: late, timezone: 'UTC' }).appointment_date, '2025-03-07');
    });

    it('leaves "next Friday" on a Wednesday unresolved (this week or the next?)', () => {
      assert.equal(one(date, turns('When?', 'Next Friday.')), null);
    });

    it('settles a caller correction with the agent confirmation', () => {
      const t = turns(
        'What can I do?',
        'Thursday. Actually no, make it Friday.',
        'Booked for Friday, March 7th.',
      );
      assert.equal(one(date, t), '2025-03-07');
      assert.equal(one(date, turns('What can I do?', 'Thursday. Actually no, make it Friday.')), null);
    });

    it('keeps a date of birth apart from an appointment date', () => {
      const dob: FieldSpec = { name: 'date_of_birth', type: 'date' };
      const t = turns('Date of birth?', 'July 9th, 1986.', 'When would you like to come in?', 'Monday.');
      assert.equal(one(dob, t), '1986-07-09');
      assert.equal(one(date, t), '2025-03-10');
    });
  });

  describe('booleans', () => {
    const callback: FieldSpec = { name: 'wants_callback', type: 'boolean' };
    const refund: FieldSpec = { name: 'wants_refund', type: 'boolean' };
    const urgent: FieldSpec = { name: 'urgent', type: 'boolean' };

    it('reads yes/no answers to a question about the field', () => {
      assert.equal(one(callback, turns('Would you like a callback?', 'Yes, please.')), true);
      assert.equal(one(callback, turns('Would you like someone to call you back?', 'No thanks.')), false);
      assert.equal(one(callback, turns('Anything else I can help with?', 'No, that is it.')), null);
    });

    it('handles either/or questions by which alternative the caller picks', () => {
      assert.equal(
        one(refund, turns('A refund or a replacement?', 'Just send a replacement, please.')),
        false,
      );
      assert.equal(one(refund, turns('A refund or a replacement?', 'The refund.')), true);
      assert.equal(one(refund, turns('A refund or a replacement?', 'Hmm, let me think.')), null);
    });

    it('reads "it\'s (not) urgent" statements', () => {
      assert.equal(one(urgent, turns('What happened?', "The printer is broken. It's not urgent.")), false);
      assert.equal(one(urgent, turns('What happened?', "It's really urgent, we are down.")), true);
    });

    it('does not read "not this week" as a no', () => {
      const tour: FieldSpec = { name: 'wants_tour', type: 'boolean' };
      assert.equal(
        one(tour, turns('Would you like a tour this week?', 'Not this week, we are traveling.')),
        null,
      );
    });
  });

  describe('enums', () => {
    const issue: FieldSpec = {
      name: 'issue_category',
      type: 'enum',
      values: ['billing', 'technical', 'other'],
      description: 'billing: charges, bill, refund; technical: outage, error',
    };

    it('matches value words and description synonyms in the caller speech', () => {
      assert.equal(one(issue, turns('What is going on?', 'I was charged twice.')), 'billing');
      assert.equal(one(issue, turns('What is going on?', 'It shows an error.')), 'technical');
    });

    it('returns null when two values match or only the agent mentions one', () => {
      assert.equal(one(issue, turns('What is going on?', 'There is an error on my bill.')), null);
      assert.equal(one(issue, turns('Is this a billing issue?', 'Hmm.')), null);
      assert.equal(one(issue, turns('Anything else?', 'Some other thing.')), null);
    });
  });

  it('leaves every field null for a wrong number', () => {
    const fields: FieldSpec[] = [name, phone, email, { name: 'appointment_date', type: 'date' }];
    const out = extractBuiltin(fields, turns('Dental office, how can I help?', 'Sorry, wrong number.'), {
      now: NOW,
    });
    assert.deepEqual(out, { caller_name: null, phone: null, email: null, appointment_date: null });
  });
});

describe('summarizeBuiltin', () => {
  const t = turns(
    'Clearwave support, can I have your name?',
    'Yeah, it is Marcus Bell.',
    'What is going on today?',
    'Hi. I was charged twice on my bill this month.',
    'I see the duplicate charge and I have issued a refund. It will show in 3 to 5 days.',
    'Okay, thanks.',
    'Anything else? Have a great day.',
  );

  it('picks the caller reason and the agent outcome, deterministically', () => {
    const s = summarizeBuiltin(t);
    assert.equal(
      s,
      'I was charged twice on my bill this month. I see the duplicate charge and I have issued a refund.',
    );
    assert.equal(summarizeBuiltin(t), s);
  });

  it('respects maxSentences and empty transcripts', () => {
    assert.equal(summarizeBuiltin(t, 1), 'I was charged twice on my bill this month.');
    assert.equal(summarizeBuiltin([]), '');
  });
});

describe('built-in extractor on the labelled corpus', () => {
  interface Case {
    id: string;
    fields: FieldSpec[];
    transcript: TranscriptTurn[];
    expected: Record<string, string | number | boolean | null>;
  }
  const cases = corpus.cases as unknown as Case[];

  it('has at least 30 labelled transcripts, and two held-out sets, whose labels validate', () => {
    assert.ok(cases.length >= 30);
    assert.ok(holdoutA.cases.length >= 20 && holdoutB.cases.length >= 20);
    const heldOut = [...holdoutA.cases, ...holdoutB.cases] as unknown as Case[];
    for (const c of [...cases, ...heldOut]) {
      const r = validateExtracted(c.fields, c.expected);
      assert.ok(r.ok, `${c.id}: ${r.ok ? '' : r.problems.join('; ')}`);
      assert.deepEqual(Object.keys(c.expected).sort(), c.fields.map((f) => f.name).sort(), c.id);
    }
  });

  it('reaches the accuracy bar with few wrong non-null values', async () => {
    const report = await scoreExtractor(cases, (c) => {
      const got = extractBuiltin(c.fields, c.transcript, {
        now: new Date(corpus.now),
        timezone: corpus.timezone,
      });
      assert.ok(validateExtracted(c.fields, got).ok, c.id);
      return got;
    });
    console.log(formatReport('built-in extractor', report));
    if (report.misses.length > 0) console.log(report.misses.map((m) => `  ${m}`).join('\n'));
    assert.equal(report.failed, 0);
    assert.ok(report.correct / report.fields >= 0.75, `accuracy ${report.correct}/${report.fields}`);
    assert.ok(report.wrong <= report.fields * 0.05, `wrong non-null values: ${report.wrong}`);
  });
});

describe('required fields', () => {
  const fields: FieldSpec[] = [
    { name: 'caller_name', type: 'text', required: true },
    { name: 'email', type: 'text', required: true },
    { name: 'budget', type: 'number' },
  ];

  it('lists the required fields left null, in declared order', () => {
    assert.deepEqual(missingRequired(fields, { caller_name: null, email: null, budget: null }), [
      'caller_name',
      'email',
    ]);
    assert.deepEqual(
      missingRequired(fields, { caller_name: 'Ada', email: 'ada@example.com', budget: null }),
      [],
    );
  });
});

describe('extraction in the call record', () => {
  it('fills the summary, keeps unestablished fields as null, and lists missing required ones for the rules', async () => {
    const h = await startHarness({
      agents: [
        {
          id: 'intake',
          name: 'Intake',
          actions: {
            afterCall: [
              {
                id: 'extract',
                type: 'extract_data',
                fields: [
                  { name: 'caller_name', type: 'text', description: "The caller's name", required: true },
                  { name: 'email', type: 'text', description: "The caller's email", required: true },
                  { name: 'budget', type: 'number', description: 'Monthly budget in dollars' },
                ],
              },
              {
                id: 'disposition',
                type: 'set_disposition',
                codes: ['Incomplete', 'Complete'],
                rules: [{ code: 'Incomplete', when: '{{actions.extract.missingRequired}}' }],
                default: 'Complete',
              },
            ],
          },
        },
      ],
    });
    try {
      const say = (id: string, s: number, role: string, text: string) =>
        event(id, s, { type: 'utterance', role, text });
      const run = async (callId: string, lines: [string, string][]) => {
        await h.api('POST', `/v1/calls/${callId}/events`, {
          agentId: 'intake',
          events: [
            ...lines.map(([role, text], i) => say(`u${i}`, i + 1, role, text)),
            event('end', 30, { type: 'ended' }),
          ],
        });
        return h.client.workflow.getHandle<typeof callWorkflow>(`call-${callId}`).result();
      };

      const partial = await run('intake-1', [
        ['agent', 'Thanks for calling, can I have your name?'],
        ['caller', 'My name is Ada Lovelace.'],
        ['agent', 'What can I help you with today?'],
        ['caller', 'I want to ask about your pricing plans.'],
      ]);
      assert.equal(partial.data.caller_name, 'Ada Lovelace');
      assert.deepEqual(
        { email: partial.data.email, budget: partial.data.budget },
        { email: null, budget: null },
      );
      assert.ok(partial.summary && partial.summary.length > 0, 'a summary');
      const extract = partial.actions.find((a) => a.actionId === 'extract')!;
      assert.equal(partial.summary, (extract.output as { summary: string }).summary);
      assert.deepEqual(partial.missingRequired, ['email']);
      // Each value keeps where the call said it: the turn, the offsets and the words.
      const evidence = (extract.output as { evidence: Record<string, unknown> }).evidence;
      assert.deepEqual(evidence, { caller_name: { turn: 1, start: 11, end: 23, quote: 'Ada Lovelace' } });
      assert.equal(partial.disposition, 'Incomplete');

      const complete = await run('intake-2', [
        ['agent', 'Can I have your name?'],
        ['caller', 'My name is Ada Lovelace.'],
        ['agent', 'And your email address?'],
        ['caller', 'It is ada@example.com.'],
      ]);
      assert.deepEqual(complete.missingRequired, []);
      assert.equal(complete.data.email, 'ada@example.com');
      assert.equal(complete.disposition, 'Complete');
    } finally {
      await h.stop();
    }
  });
});

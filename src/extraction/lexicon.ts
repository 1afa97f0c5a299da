/**
 * A small lexicon of everyday English as callers speak it, for telling a name from an ordinary word when
 * speech-to-text writes everything in lower case. Words that are also common given names or surnames (june,
 * frank, park, brown, stone) are deliberately absent: the lexicon says what is certainly not a name.
 */

const words = (s: string) => s.trim().split(/\s+/);

/**
 * Closed-class words: pronouns, determiners, prepositions, conjunctions, auxiliaries and the discourse words of
 * speech. One of these after a word ends a name ("its beth i got a letter", "denise carter unit 12").
 */
export const FUNCTION_WORDS = new Set(
  words(`
    a an the this that these those some any no every each all both either neither another other such
    i me my mine myself we us our ours you your yours he him his she her hers it its they them their theirs
    im ive id ill were youre theyre hes shes thats theres whats heres lets dont didnt doesnt cant wont isnt
    wasnt arent havent hasnt couldnt wouldnt shouldnt
    am is are was be been being have has had having do does did doing will would shall should can could may
    might must got get gets getting gonna wanna gotta
    to of in on at by for from with about into onto over under after before between through during without
    within around near off up down out since until till than via per behind ahead above below across along
    away inside outside beside against toward towards upon instead
    and or but so if because as while when where why how what which who whom whose then also too just only
    even still yet again already ever never not very really quite pretty
    yes yeah yep yup no nope nah ok okay sure well oh um uh er erm hmm ah ha haha like hi hello hey bye thanks thank
    please sorry here there now today tomorrow tonight yesterday
    calling speaking returning following reaching checking looking wondering hoping trying wanting
    unit account number apartment suite
    weve youve theyve youll theyll wed youd hed theyd
    gosh geez jeez wow whoa oops yikes dang darn shoot huh
  `),
);

/** Everyday content words of calls that are not names: verbs, adjectives, adverbs, nouns, numbers. */
const CONTENT_WORDS = words(`
  need needs needed want wants wanted call calls called know knew think thought say said tell told ask asked
  see saw seen look looked come came go went gone take took make made give gave find found try tried
  use used work works worked help helps helped book booked schedule scheduled cancel cancelled canceled
  change changed move moved pay paid buy bought sell sold send sent keep kept let put set start started stop
  stopped leave left hear heard mean meant feel felt seem seems wait waited hold check checked charge
  charged order ordered fix fixed break broke broken leak leaking drive drove bring brought live lived
  happen happened running broke sick hurt hurts hurting throwing
  good great fine bad new old big small little long short high low first last next early late right wrong
  same different sure real quick fast slow busy free open closed ready able available urgent important
  interested happy glad nice best better worse worst whole main own full half
  kind kinda sort sorta actually basically probably maybe definitely totally super literally honestly
  something anything nothing everything someone anyone nobody everyone somebody anybody
  one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
  seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand
  million zero first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth
  thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth thirtieth
  morning afternoon evening night day days week weeks weekend month months year years time times
  monday tuesday wednesday thursday friday saturday sunday january february march july september
  october november december
  mom dad wife husband son daughter kid kids child children mother father brother sister friend boss
  family parent parents baby guy guys sir maam lady man woman people person
  name names phone email address street road avenue number line cell home house office work job
  company business clinic dental insurance bank group services service team store shop center
  appointment order bill payment card account question problem issue thing stuff way place car truck
  dog cat pet quote price estimate delivery pickup refill prescription
  mister missus doctor dr mr mrs ms miss
`);

/** Everyday verbs: each also counts in its -s, -ed and -ing forms ("hates", "limped", "barking"). */
const VERBS = words(`
  ask bark book call cancel change charge check chew clean close cough cry drop file fill finish fix follow hate
  help hope itch jump kick kill lick like limp live look love miss move need open order pee pick play poop
  pull push rain reach refuse return scratch seem smell sneeze start stay stop swallow talk try turn vomit
  wait walk want wash watch whine work worry
`);
/** Verbs with an irregular past: only their -s and -ing forms are made ("sayed" is a surname, not a verb). */
const IRREGULAR = words(`
  bite bleed break bring buy come cut drink drive eat fall feel fight find forget get give go hang hit hold hurt
  keep know lay leave lose make pay put quit run say see sell send set shake shed sit sleep steal swim take
  tell think throw wear write
`);
/** Irregular past forms and common adjectives of complaints. */
const MORE = words(`
  ate bit bled bought broke brought came caught chewed cut did drank drove fell felt fought found forgot gave
  got had heard held hid hit hung hurt kept knew laid led left lost made meant met paid ran rang sat saw sent set
  shook shed slept sold spent stole stood swam swelled swollen threw told took tore understood was went
  were woke won wore wrote
  ridiculous terrible horrible awful crazy weird strange annoying frustrating frustrated confused stuck
  worried scared upset angry mad sad tired sorry lost missing gone dead dying wet dry hot cold warm loud
  simple quiet dirty clean empty expensive cheap fine okay ok alright bad worse cracked flooded leaky noisy
  lame limping sick ill
  due curious pregnant allergic afraid unable unhappy aware sure certain careful calm concerned disabled
  diabetic retired unemployed employed married single divorced late early away local nearby familiar
  rather instead otherwise anyway somewhat together alone apart jointly separately
  dispatch maintenance reception security billing support shipping accounting management sales
  front desk operator manager owner landlord tenant contractor customer client patient member resident
  holder renter buyer seller driver caller applicant student guest contact account policyholder homeowner
`);
const third = (v: string) =>
  /(s|sh|ch|x)$/.test(v)
    ? `${v}es`
    : v.endsWith('y') && !/[aeiou]y$/.test(v)
      ? `${v.slice(0, -1)}ies`
      : `${v}s`;
const ing = (v: string) => (v.endsWith('e') && !v.endsWith('ee') ? `${v.slice(0, -1)}ing` : `${v}ing`);
const past = (v: string) =>
  v.endsWith('e') ? `${v}d` : v.endsWith('y') && !/[aeiou]y$/.test(v) ? `${v.slice(0, -1)}ied` : `${v}ed`;
const inflected = [
  ...VERBS.flatMap((v) => [v, third(v), past(v), ing(v)]),
  ...IRREGULAR.flatMap((v) => [v, third(v), ing(v)]),
];

export const COMMON_WORDS = new Set([...FUNCTION_WORDS, ...CONTENT_WORDS, ...inflected, ...MORE]);

/** Whether a lower-case word is an ordinary English word rather than a possible name. */
export function isCommonWord(word: string): boolean {
  return COMMON_WORDS.has(word.toLowerCase().replace(/['’]/g, ''));
}

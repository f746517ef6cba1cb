/**
 * The Porter stemmer (M. F. Porter, "An algorithm for suffix stripping", 1980), as in Porter's own
 * reference implementations, including their two departures from the paper (step 2 maps "bli" -> "ble"
 * instead of "abli" -> "able", and adds "logi" -> "log"). Input: a lower-case word of a-z; anything else
 * should not be passed (the analyzer only stems ASCII words). Words of one or two letters are unchanged.
 *
 * m, the "measure" of a stem, is the number of vowel-consonant sequences in it ([C](VC)^m[V]); the rules
 * below test it with the regular expressions of the reference implementation.
 */
const consonant = '[^aeiou]';
const vowel = '[aeiouy]';
const consonants = `${consonant}[^aeiouy]*`;
const vowels = `${vowel}[aeiou]*`;

/** m > 0 */
const MEASURE_GT0 = new RegExp(`^(${consonants})?${vowels}${consonants}`);
/** m = 1 */
const MEASURE_EQ1 = new RegExp(`^(${consonants})?${vowels}${consonants}(${vowels})?$`);
/** m > 1 */
const MEASURE_GT1 = new RegExp(`^(${consonants})?${vowels}${consonants}${vowels}${consonants}`);
/** the stem contains a vowel */
const HAS_VOWEL = new RegExp(`^(${consonants})?${vowel}`);
/** *o: consonant-vowel-consonant at the end, the last not w, x or y */
const CVC_END = new RegExp(`^${consonants}${vowel}[^aeiouwxy]$`);
const DOUBLE_CONSONANT_END = /([^aeiouylsz])\1$/;

const STEP2: Record<string, string> = {
  ational: 'ate',
  tional: 'tion',
  enci: 'ence',
  anci: 'ance',
  izer: 'ize',
  bli: 'ble',
  alli: 'al',
  entli: 'ent',
  eli: 'e',
  ousli: 'ous',
  ization: 'ize',
  ation: 'ate',
  ator: 'ate',
  alism: 'al',
  iveness: 'ive',
  fulness: 'ful',
  ousness: 'ous',
  aliti: 'al',
  iviti: 'ive',
  biliti: 'ble',
  logi: 'log',
};

const STEP3: Record<string, string> = { icate: 'ic', ative: '', alize: 'al', iciti: 'ic', ical: 'ic', ful: '', ness: '' };

const STEP1A_SSES_IES = /^(.+?)(ss|i)es$/;
const STEP1A_S = /^(.+?)([^s])s$/;
const STEP1B_EED = /^(.+?)eed$/;
const STEP1B_ED_ING = /^(.+?)(ed|ing)$/;
const STEP1B_RESTORE_E = /(at|bl|iz)$/;
const STEP1C = /^(.+?)y$/;
const STEP2_SUFFIX = /^(.+?)(ational|tional|enci|anci|izer|bli|alli|entli|eli|ousli|ization|ation|ator|alism|iveness|fulness|ousness|aliti|iviti|biliti|logi)$/;
const STEP3_SUFFIX = /^(.+?)(icate|ative|alize|iciti|ical|ful|ness)$/;
const STEP4_SUFFIX = /^(.+?)(al|ance|ence|er|ic|able|ible|ant|ement|ment|ent|ou|ism|ate|iti|ous|ive|ize)$/;
const STEP4_ION = /^(.+?)(s|t)(ion)$/;
const STEP5_E = /^(.+?)e$/;

export function porterStem(input: string): string {
  if (input.length < 3) return input;
  // an initial y is a consonant: mark it so the vowel patterns do not see it
  const initialY = input.charCodeAt(0) === 121;
  let w = initialY ? `Y${input.slice(1)}` : input;
  let m: RegExpExecArray | null;

  // step 1a: plurals
  if ((m = STEP1A_SSES_IES.exec(w))) w = m[1] + m[2];
  else if ((m = STEP1A_S.exec(w))) w = m[1] + m[2];

  // step 1b: -eed, -ed, -ing
  if ((m = STEP1B_EED.exec(w))) {
    if (MEASURE_GT0.test(m[1])) w = w.slice(0, -1);
  } else if ((m = STEP1B_ED_ING.exec(w))) {
    const stem = m[1];
    if (HAS_VOWEL.test(stem)) {
      w = stem;
      if (STEP1B_RESTORE_E.test(w)) w += 'e';
      else if (DOUBLE_CONSONANT_END.test(w)) w = w.slice(0, -1);
      else if (CVC_END.test(w)) w += 'e';
    }
  }

  // step 1c: y -> i after a vowel in the stem
  if ((m = STEP1C.exec(w)) && HAS_VOWEL.test(m[1])) w = `${m[1]}i`;

  // step 2: double suffixes to single ones
  if ((m = STEP2_SUFFIX.exec(w)) && MEASURE_GT0.test(m[1])) w = m[1] + STEP2[m[2]];

  // step 3: -ic-, -full, -ness
  if ((m = STEP3_SUFFIX.exec(w)) && MEASURE_GT0.test(m[1])) w = m[1] + STEP3[m[2]];

  // step 4: remove suffixes where m > 1
  if ((m = STEP4_SUFFIX.exec(w))) {
    if (MEASURE_GT1.test(m[1])) w = m[1];
  } else if ((m = STEP4_ION.exec(w))) {
    const stem = m[1] + m[2];
    if (MEASURE_GT1.test(stem)) w = stem;
  }

  // step 5a: a final e
  if ((m = STEP5_E.exec(w))) {
    const stem = m[1];
    if (MEASURE_GT1.test(stem) || (MEASURE_EQ1.test(stem) && !CVC_END.test(stem))) w = stem;
  }
  // step 5b: -ll -> -l where m > 1
  if (w.endsWith('ll') && MEASURE_GT1.test(w)) w = w.slice(0, -1);

  return initialY ? `y${w.slice(1)}` : w;
}

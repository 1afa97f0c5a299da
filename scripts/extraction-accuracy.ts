/**
 * `npm run accuracy`: field accuracy of the extractors on the labelled transcripts in test/extraction-corpus.json.
 * The built-in extractor always; the LLM extractor too when LLM_MODEL (+ LLM_BASE_URL / LLM_API_KEY) is set.
 * `--misses` lists every field that was not right.
 */

import { formatReport, type LabelledCase, scoreExtractor } from '../src/extraction/accuracy';
import { extractBuiltin } from '../src/extraction/builtin';
import { extractWithLlm, llmFromEnv } from '../src/extraction/llm';
import corpus from '../test/extraction-corpus.json';

async function main() {
  const cases = corpus.cases as unknown as LabelledCase[];
  const showMisses = process.argv.includes('--misses');
  const builtin = await scoreExtractor(cases, (c) =>
    extractBuiltin(c.fields, c.transcript, { now: new Date(corpus.now), timezone: corpus.timezone }),
  );
  console.log(formatReport('built-in', builtin));
  if (showMisses) console.log(builtin.misses.map((m) => `  ${m}`).join('\n'));
  const llm = llmFromEnv(process.env);
  if (!llm) {
    console.log('llm: not measured (set LLM_MODEL and LLM_BASE_URL or LLM_API_KEY to measure a model)');
    return;
  }
  const started = Date.now();
  const report = await scoreExtractor(
    cases,
    async (c) =>
      (
        await extractWithLlm(llm, c.fields, c.transcript, {
          now: new Date(corpus.now),
          timezone: corpus.timezone,
        })
      ).data,
  );
  console.log(
    `${formatReport(`llm (${llm.model})`, report)}; ${Math.round((Date.now() - started) / cases.length)} ms per transcript`,
  );
  if (showMisses) console.log(report.misses.map((m) => `  ${m}`).join('\n'));
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});

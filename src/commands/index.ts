import { controlToken, httpUrl, mebibytes, moment, port, positiveInteger, secondsList, wholeNumber, workerCount } from './values';

// The commands of `stripe-twin <command>`, declared once: what each does, its
// arguments, and its options with their types, defaults, environment variables
// and validation. The CLI (./program.ts, on commander) is built from these, so
// are `--help` and the README's command table (./reference.ts, npm run docs).
// The module that runs a command is loaded only when it runs, so `serve` does
// not load the contract harness (ajv, the stripe SDK, YAML captures) and
// `--help` loads no command. Adding an option is one entry here; the command's
// `run(options)` then receives it, checked and typed (Options<'serve'>).

/** An option as commander reads it, with what help and the docs say about it. */
export interface OptionDecl<T = unknown, Given extends boolean = boolean> {
  /** `--port <number>` (takes a value), `--json` (a flag: true when given), `--copy [dir]` (a value or true). */
  flags: string;
  description: string;
  default?: T;
  /** How help shows a default that is not the value itself. */
  defaultText?: string;
  /** The environment variable read when the option is not given. */
  env?: string;
  /** Reads the value (also from `env`); throws a sentence saying what it should be. */
  parse?: (text: string) => T;
  choices?: readonly T[];
  required?: boolean;
  /** Options this one sets when given (`--https-port` sets `https`). */
  implies?: Record<string, unknown>;
  /** Type only: whether the command always receives a value (a default, or required). */
  readonly given?: Given;
}

type More<T> = Omit<OptionDecl<T>, 'flags' | 'description' | 'given'>;

/** A flag that takes no value: true when given. */
export function flag(flags: string, description: string, more: Pick<More<boolean>, 'env' | 'implies'> = {}): OptionDecl<boolean, false> {
  return { flags, description, ...more };
}

/** An option that takes a value (`<value>`, or `[value]` when it may be left out). */
// (NoInfer: T comes from `parse` or `default`, else it is string; never from where the option is used.)
export function option<T = string>(flags: string, description: string, more: More<T> & ({ default: T } | { required: true })): OptionDecl<NoInfer<T>, true>;
export function option<T = string>(flags: string, description: string, more?: More<T>): OptionDecl<NoInfer<T>, false>;
export function option<T>(flags: string, description: string, more: More<T> = {}): OptionDecl<T> {
  return { flags, description, ...more };
}

export interface ArgumentDecl {
  /** `<file>` (required) or `[file]`. */
  name: string;
  description: string;
  choices?: readonly string[];
}

export interface CommandModule {
  run(options: any, args: string[]): Promise<void>;
}

export interface CommandDecl {
  /** One line: the command list and the README's table. */
  summary: string;
  /** More, for `--help` (after the summary). */
  description?: string;
  arguments?: readonly ArgumentDecl[];
  options: Record<string, OptionDecl<any>>;
  load(): Promise<CommandModule>;
}

/** A value a command can check only once loaded (an API version, a tool set): exit status 2, like any other usage error. */
export class UsageError extends Error {}

const SECRET_KEY_ENV = 'STRIPE_SECRET_KEY';

export const COMMANDS = {
  serve: {
    summary: 'Serve the twin over HTTP (and HTTPS with --https)',
    description: `Each API key is its own world (a test-mode account). Without --seed, ids are random and world time follows the wall clock; with --seed N, ids and timestamps are reproducible byte for byte and world time starts at --start, moving only when advanced (POST /__admin__/clock/advance).
Ports as stripe-mock's: 12111 HTTP, 12112 HTTPS.`,
    options: {
      port: option('--port <number>', 'HTTP port (0: any free port, printed)', { default: 12111, env: 'STRIPE_TWIN_PORT', parse: port }),
      host: option('--host <address>', 'address to listen on (warns when not loopback)', { default: '127.0.0.1' }),
      seed: option('--seed <n>', 'reproducible ids and timestamps, world time frozen until advanced', { parse: wholeNumber }),
      start: option('--start <when>', 'world time at start-up with --seed: Unix seconds or an ISO date', { parse: moment, defaultText: '2026-01-01T00:00:00Z' }),
      webhookRetries: option('--webhook-retries <seconds>', 'world-time seconds before each retry of a failed webhook delivery, comma-separated, or none', {
        parse: secondsList,
        defaultText: '3600,7200,14400',
      }),
      controlToken: option('--control-token <token>', 'the token /__admin__ needs to act on every world', { env: 'STRIPE_TWIN_CONTROL_TOKEN', parse: controlToken, defaultText: 'random, printed' }),
      maxWorlds: option('--max-worlds <n>', 'worlds kept at once; the least recently used is forgotten past it', { parse: positiveInteger, defaultText: '1000' }),
      publicUrl: option('--public-url <url>', 'origin the hosted pages (Checkout, Payment Links, the portal) are linked at', {
        env: 'STRIPE_TWIN_PUBLIC_URL',
        parse: httpUrl,
        defaultText: 'its own HTTP address',
      }),
      apiVersion: option('--api-version <version>', "every account's default API version (a request's Stripe-Version overrides it; docs/versions.md)", { defaultText: 'the newest' }),
      https: flag('--https', 'also serve HTTPS on --https-port, with a self-signed certificate made at start-up (or --cert/--key)'),
      httpsPort: option('--https-port <number>', 'HTTPS port (implies --https; 0: any free port)', { default: 12112, parse: port, implies: { https: true } }),
      cert: option('--cert <file>', 'PEM certificate for HTTPS, with --key (implies --https)', { implies: { https: true } }),
      key: option('--key <file>', 'PEM private key of --cert', { implies: { https: true } }),
      verbose: flag('--verbose', 'print one line per request, like `stripe logs tail` (--log text)', { implies: { log: 'text' } }),
      log: option<'text' | 'json'>('--log <format>', 'print one line per request in this format', { choices: ['text', 'json'] }),
      data: option('--data <dir>', 'keep every world on disk there: a restart goes on where it stopped (docs/durability.md)', { env: 'STRIPE_TWIN_DATA', defaultText: 'in memory only' }),
      foldAt: option('--fold-at <MiB>', "with --data: the journal's size from which it is folded into the snapshot, once more than half of what the files hold is superseded", {
        env: 'STRIPE_TWIN_FOLD_AT',
        parse: mebibytes,
        defaultText: '64',
      }),
      workers: option('--workers <n>', 'shard the worlds over N worker threads, each account always on one (docs/scaling.md)', { default: 1, env: 'STRIPE_TWIN_WORKERS', parse: workerCount }),
    },
    load: (): Promise<CommandModule> => import('./serve'),
  },
  verify: {
    summary: "The fidelity gate: replay every contract's captures against the twin",
    description:
      'Writes <report>/report.json and index.html, prints coverage first, a table per group and the fidelity score last, and exits 1 on undeclared drift, coverage under the contracts\' minimum, nothing compared, a missing group, folder or contract, or a capture two contracts claim.',
    options: {
      captures: option('--captures <dir>', 'the captures', { defaultText: "the recorded corpus the package ships (its captures/)" }),
      contracts: option('--contracts <dir>', 'the contracts', { defaultText: "the package's contracts/" }),
      report: option('--report <dir>', 'where the report goes', { default: 'verify-report' }),
      group: option('--group <name>', 'only the contracts of this group'),
    },
    load: (): Promise<CommandModule> => import('./verify'),
  },
  record: {
    summary: 'Record a scenario against Stripe test mode (or a twin) as a capture',
    description:
      'A scenario is ordered steps (method, path, params, with ${step:json.path} references to earlier responses), run through the official SDK; the normalized capture is written with the events the scenario caused. Refuses live keys.',
    arguments: [{ name: '<scenario.yaml>', description: 'the scenario' }],
    options: {
      key: option('--key <sk_test_…>', 'a test-mode secret key', { env: SECRET_KEY_ENV, required: true }),
      baseUrl: option('--base-url <url>', 'where to send the requests (a twin)', { parse: httpUrl, defaultText: 'https://api.stripe.com' }),
      out: option('--out <dir>', 'where the capture goes', { default: 'captures/recorded' }),
      scrubEmails: flag('--scrub-emails', 'replace email addresses with tokens'),
    },
    load: (): Promise<CommandModule> => import('./record'),
  },
  import: {
    summary: 'Import recorded Stripe traffic (VCR, Polly HAR, nock, JSON) as captures',
    description:
      "Each file of <src> (a file, or a folder read recursively) becomes captures/<name>/<its path, without extension>.yaml; only api.stripe.com traffic is kept, and traffic to --base-url's origin, and files of no known format are skipped with a warning.",
    arguments: [{ name: '<src>', description: 'a file or a folder' }],
    options: {
      out: option('--out <dir>', 'captures/<name>', { defaultText: 'captures/<the folder name of src>' }),
      scrubEmails: flag('--scrub-emails', 'replace email addresses with tokens'),
      repository: option('--repository <owner/name>', 'provenance: the repository the files come from'),
      commit: option('--commit <sha>', 'provenance: its commit'),
      license: option('--license <spdx>', 'provenance: its license'),
      path: option('--path <in-repo/path>', "provenance: the folder's path in that repository"),
      apiVersion: option('--api-version <version>', 'the Stripe-Version of objects that do not say (fixtures)'),
      baseUrl: option('--base-url <url>', 'also keep traffic to this origin: a twin the recording was made against (docs/recording.md)', { parse: httpUrl }),
    },
    load: (): Promise<CommandModule> => import('./import'),
  },
  export: {
    summary: 'Write a capture as a nock fixture or a Polly.js HAR recording',
    description: 'The recorded ids come back in place of tokens, and timestamps are counted from --base.',
    arguments: [{ name: '<capture.yaml>', description: 'the capture' }],
    options: {
      to: option<'nock' | 'har'>('--to <format>', 'nock: a JSON array nock.define() and nock-back load; har: a Polly.js HAR 1.2 recording', { choices: ['nock', 'har'], required: true }),
      out: option('--out <file>', 'where the JSON goes', { defaultText: 'stdout' }),
      base: option('--base <unix seconds>', 'time the timestamps count from', { parse: wholeNumber, defaultText: 'the day it was recorded' }),
      matchVersion: flag('--match-version', 'make the nock fixture require the recorded Stripe-Version'),
      recordingName: option('--recording-name <name>', "with --to har: the Polly recording's name; --out is then Polly's recordingsDir (default recordings) and the file goes where its fs persister looks (docs/recording.md)"),
    },
    load: (): Promise<CommandModule> => import('./export'),
  },
  schemas: {
    summary: "JSON Schemas per object type from Stripe's OpenAPI spec, tightened by the captures",
    description:
      'Keys every captured instance carried become required; keys and enum values the spec lacks are listed (x-seen-keys, x-seen-enum). Every file is compiled with ajv before the command ends. `schemas types` writes TypeScript types for the spec with openapi-typescript instead (npm run types:openapi).',
    arguments: [{ name: '[part]', description: 'types: the TypeScript types instead of the schemas', choices: ['types'] }],
    options: {
      // `--spec <spec3.json>` is contract/schemas.ts SPEC_ARG (not imported: it loads ajv).
      spec: option('--spec <spec3.json>', "Stripe's OpenAPI spec (spec3.json of stripe/openapi; the twin does not ship it)", { required: true }),
      captures: option('--captures <dir>', 'the captures', { default: 'captures' }),
      out: option('--out <path>', 'the schemas folder, or the types file', { defaultText: 'schemas, or src/contract/openapi_types.d.ts' }),
    },
    load: (): Promise<CommandModule> => import('./schemas'),
  },
  listen: {
    summary: 'Forward a running twin\'s events to your endpoint, like `stripe listen`',
    description:
      "Prints the signing secret, forwards each event to --forward-to with its Stripe-Signature, and prints one line per delivery with the receiver's status. The world is the key's.",
    options: {
      forwardTo: option('--forward-to <url>', 'the receiver (localhost:3000/webhook means http://…)', { defaultText: 'none: only print' }),
      events: option('--events <types>', 'event types, comma-separated', { defaultText: 'all' }),
      url: option('--url <url>', 'the twin', { default: 'http://127.0.0.1:12111', env: 'STRIPE_TWIN_URL', parse: httpUrl }),
      apiKey: option('--api-key <key>', "the key whose world's events are forwarded", { default: 'sk_test_twin', env: SECRET_KEY_ENV }),
      controlToken: option('--control-token <token>', 'the control token (else STRIPE_TWIN_CONTROL_TOKEN or the token file of a twin on this machine)'),
    },
    load: (): Promise<CommandModule> => import('./listen'),
  },
  mcp: {
    summary: "The twin's MCP server over stdio",
    description:
      'For agents that start MCP servers as commands (a running twin also answers MCP over Streamable HTTP at /mcp). Each tool makes one Stripe API call with the key; a restricted key sees only the tools its permissions allow. With --url the tools run in that twin, without it in a twin in this process.',
    options: {
      url: option('--url <url>', 'a running twin to bridge to', { parse: httpUrl, defaultText: 'a twin in this process' }),
      apiKey: option('--api-key <key>', 'sk_test_… or rk_test_…', { default: 'sk_test_twin', env: SECRET_KEY_ENV }),
      tools: option('--tools <sets>', "the tool set, or several comma-separated: stripe (Stripe's agent toolkit), skill (brief 001), pome (brief 000)", {
        default: 'stripe',
      }),
      seed: option('--seed <n>', 'reproducible ids of the in-process twin', { parse: wholeNumber }),
    },
    load: (): Promise<CommandModule> => import('./mcp'),
  },
  run: {
    summary: 'Run an agent against a scored scenario and report pass or fail',
    description:
      "Boots a fresh twin on a free port, seeds it from the scenario's Markdown (docs/scenarios.md), runs the agent (a shell command) with the session's URLs, key, token and the prompt (env STRIPE_TWIN_PROMPT and stdin), stops it at the timeout, scores the final world with the scenario's checks and writes <report>/report.json and report.md. Exit status: 0 pass, 1 fail, 2 not runnable.",
    arguments: [{ name: '<scenario.md>', description: 'the scenario' }],
    options: {
      agent: option('--agent <command>', 'the agent, a shell command', { required: true }),
      timeout: option('--timeout <duration>', 'when the agent is stopped: 120, 120s, 2m', { defaultText: "the scenario's, else 120s" }),
      report: option('--report <dir>', 'where the report goes', { defaultText: 'scenario-reports/<name>' }),
      json: flag('--json', 'print the JSON report'),
    },
    load: (): Promise<CommandModule> => import('./run'),
  },
  scenarios: {
    summary: 'List the bundled scenario catalog, or copy it',
    options: {
      copy: option<string | true>('--copy [dir]', 'copy the Markdown files into dir, leaving existing files', { defaultText: 'scenarios' }),
    },
    load: (): Promise<CommandModule> => import('./scenarios'),
  },
} satisfies Record<string, CommandDecl>;

export type CommandName = keyof typeof COMMANDS;

type Declared<N extends CommandName> = (typeof COMMANDS)[N]['options'];
type Always<N extends CommandName> = { [K in keyof Declared<N>]: Declared<N>[K] extends OptionDecl<any, true> ? K : never }[keyof Declared<N>];
type ValueOf<O> = O extends OptionDecl<infer T, boolean> ? T : never;

/** The options a command's `run` receives, checked and typed: those with a default (or required) always there, the others when given. */
export type Options<N extends CommandName> = { [K in Always<N>]: ValueOf<Declared<N>[K]> } & { [K in Exclude<keyof Declared<N>, Always<N>>]?: ValueOf<Declared<N>[K]> };

// The commands of `stripe-twin <command>`: each one's usage here, and the module
// that runs it loaded only when it runs, so `serve` does not load the contract
// harness (ajv, the stripe SDK, YAML captures) and `help` loads no command.
// Each module in src/commands exports `run(args, positional)`; a command's
// boolean flags are declared here, as `parseArgs` must know them.

/** Flags: a string for those that take a value, a boolean for the command's boolean flags. */
export type Args = Record<string, string | boolean>;

export interface CommandModule {
  run(args: Args, positional: string[]): Promise<void>;
}

export interface Command {
  usage: string;
  /** Flags that take no value (`--scrub-emails`): true when given, never the next word. */
  booleans?: readonly string[];
  load(): Promise<CommandModule>;
}

export const COMMANDS = {
  serve: {
    usage: `serve [--port 12111] [--host 127.0.0.1] [--seed N] [--start <unix seconds or ISO date>] [--webhook-retries 3600,7200,14400]
      [--control-token <token>] [--max-worlds 1000] [--public-url http://localhost:12111] [--api-version 2026-10-28.endive]
      [--data DIR]
    Serve the twin over HTTP. --seed N makes ids and timestamps reproducible: world
    time starts at --start (default 2026-01-01T00:00:00Z) and moves only when advanced
    through POST /__admin__/clock/advance. Without --seed, ids are random and world
    time follows the wall clock. --webhook-retries: seconds of world time before each
    retry of a failed webhook delivery. --control-token (or STRIPE_TWIN_CONTROL_TOKEN):
    the token /__admin__ needs to act on every world (random when not given; printed
    at start-up). --max-worlds: worlds kept at once, the least recently used forgotten past it.
    --public-url (or STRIPE_TWIN_PUBLIC_URL): the origin the pages the twin serves
    (Checkout, Payment Links, the customer portal) are linked at; default its own address.
    --api-version: every account's default API version (default the newest); a request's
    Stripe-Version overrides it, and events and webhooks are rendered at it (docs/versions.md).
    --data DIR: keep every world on disk in DIR (created if needed), so whatever was answered
    survives a crash and a restart with the same DIR picks up where it stopped, seed and
    world time included (docs/durability.md); without it the twin lives in memory only.`,
    load: () => import('./serve'),
  },
  verify: {
    usage: `verify [--captures captures] [--contracts contracts] [--report verify-report] [--group name]
    The fidelity gate: replays every contract's capture sequences against the
    twin, writes verify-report/report.json and index.html, prints a table per
    group and the fidelity score last, and exits 1 on undeclared drift, a
    contract glob that matches nothing, or a capture two contracts claim.`,
    load: () => import('./verify'),
  },
  record: {
    usage: `record <scenario.yaml> --key sk_test_… [--base-url https://api.stripe.com] [--out captures/recorded] [--scrub-emails]
    Runs a scenario (ordered steps: method, path, params, with \${step:json.path}
    references to earlier responses) through the official SDK against Stripe
    test mode, or a twin with --base-url, and writes the normalized capture,
    with the events the scenario caused. Refuses live keys.`,
    booleans: ['scrub-emails'],
    load: () => import('./record'),
  },
  import: {
    usage: `import <src> --out captures/<name> [--scrub-emails] [--repository owner/name] [--commit sha] [--license MIT] [--path in-repo/path] [--api-version V]
    Import recorded Stripe traffic (a file, or a folder read recursively) as
    normalized captures: Ruby VCR cassettes, Polly HAR files, nock recordings and
    loose JSON objects or events, detected per file. Each file becomes
    captures/<name>/<its path under <src>, without extension>.yaml; only
    api.stripe.com traffic is kept;
    files that are none of these are skipped with a warning. --repository,
    --commit, --license and --path (the folder's path in that repository) are
    recorded as provenance; --api-version names the Stripe-Version of objects
    that do not say (fixtures); --scrub-emails replaces email addresses with
    tokens.`,
    booleans: ['scrub-emails'],
    load: () => import('./import'),
  },
  export: {
    usage: `export <capture.yaml> --to nock|har [--out file] [--base <unix seconds>] [--match-version]
    Write a capture as a nock 14 fixture (a JSON array nock.define() and
    nock-back load) or as a Polly.js HAR 1.2 recording, with the recorded ids
    back in place of tokens and timestamps counted from --base (default: the
    day it was recorded). --match-version makes the nock fixture require the
    recorded Stripe-Version. Without --out the JSON goes to stdout.`,
    booleans: ['match-version'],
    load: () => import('./export'),
  },
  schemas: {
    // `--spec <spec3.json>` is contract/schemas.ts SPEC_ARG (not imported: it loads ajv).
    usage: `schemas --spec <spec3.json> [--captures captures] [--out schemas]
    Generate one JSON Schema per Stripe object type (schemas/<object>.json) from
    Stripe's OpenAPI spec (spec3.json of stripe/openapi; not shipped with the twin), tightened by the captures: keys every captured instance carried
    become required, keys and enum values the spec lacks are listed (x-seen-keys,
    x-seen-enum). Every file is compiled with ajv before the command ends.
  schemas types --spec <spec3.json> [--out src/contract/openapi_types.d.ts]
    Write TypeScript types for the spec with openapi-typescript (npm run types:openapi).`,
    load: () => import('./schemas'),
  },
  listen: {
    usage: `listen [--forward-to http://localhost:3000/webhook] [--events a,b] [--url http://127.0.0.1:12111] [--api-key sk_test_…]
    The \`stripe listen\` experience against a running twin: prints the signing
    secret, forwards each event (of --events, default all) to --forward-to with its
    Stripe-Signature, and prints one line per delivery with the receiver's status.
    The world is the key's (default STRIPE_SECRET_KEY, else sk_test_twin); the twin
    is --url (default STRIPE_TWIN_URL, else http://127.0.0.1:12111).`,
    load: () => import('./listen'),
  },
  mcp: {
    usage: `mcp [--url http://127.0.0.1:12111] [--api-key sk_test_…|rk_test_…] [--tools stripe|skill|pome|stripe,skill] [--seed N]
    The twin's MCP server over stdio, for agents that start MCP servers as commands
    (a running twin also answers MCP over Streamable HTTP at /mcp). Each tool makes
    one Stripe API call with the key (default STRIPE_SECRET_KEY, else sk_test_twin);
    a restricted key sees only the tools its permissions allow. With --url, the tools
    run in that twin (a bridge to its /mcp/<set>); without, in a twin in this process
    (--seed N makes its ids reproducible). --tools: the tool set, or several
    comma-separated (stripe, the default: the 22 tools of Stripe's agent toolkit;
    skill: brief 001's eight stripe_* tools; pome: brief 000's twelve tools named
    after stripe-node methods, for crypto deposits).`,
    load: () => import('./mcp'),
  },
  run: {
    usage: `run <scenario.md> --agent "<command>" [--timeout 120s] [--report DIR] [--json]
    A scored scenario (docs/scenarios.md): boots a fresh twin on a free port, seeds
    it from the scenario's Markdown, runs the agent (a shell command) with the
    session's REST and MCP URLs, key, session token and the prompt (env
    STRIPE_TWIN_PROMPT and stdin), stops it at the timeout (default the
    scenario's, else 120 s), scores the final world with the scenario's checks and
    writes DIR/report.json and DIR/report.md (default scenario-reports/<name>).
    --json prints the JSON report. Exit status: 0 pass, 1 fail, 2 not runnable.`,
    booleans: ['json'],
    load: () => import('./run'),
  },
  scenarios: {
    usage: `scenarios [--copy [DIR]]
    Lists the bundled scenario catalog (file, what it exercises); --copy copies
    the Markdown files into DIR (default ./scenarios), leaving existing files.`,
    booleans: ['copy'],
    load: () => import('./scenarios'),
  },
} satisfies Record<string, Command>;

export type CommandName = keyof typeof COMMANDS;

/** The first line of a command's usage, for error messages. */
export const synopsis = (name: CommandName): string => COMMANDS[name].usage.split('\n')[0];

/**
 * A command's arguments: `--name value` and `--name=value` for flags that take
 * a value (one given no value is an error), and for its boolean flags a bare
 * `--name` (true, leaving the next word positional) or `--name=true|false`.
 * Everything else is positional.
 */
export function parseArgs(argv: readonly string[], booleans: readonly string[] = []): { args: Args; positional: string[] } {
  const args: Args = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(argv[i]);
    if (!m) {
      positional.push(argv[i]);
      continue;
    }
    const [, name, inline] = m;
    if (booleans.includes(name)) {
      if (inline === undefined || inline === 'true') args[name] = true;
      else if (inline === 'false') args[name] = false;
      else throw new Error(`--${name} takes no value (got "${inline}")`);
    } else if (inline !== undefined) args[name] = inline;
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) args[name] = argv[++i];
    else throw new Error(`--${name} needs a value`);
  }
  return { args, positional };
}

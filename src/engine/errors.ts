// Stripe's error envelope and the catalogue of errors the twin raises
// (docs/stripe-facts.md §2; "E<n>" anywhere in the code is an entry of its §2.2
// table). Every Stripe error the twin produces is built here, so exact strings
// live in one place. Strings marked (unverified) have no recorded source; they
// follow Stripe's style and are flagged in docs/behaviour.md ("Where the twin chose").

export type ErrorType = 'api_error' | 'card_error' | 'idempotency_error' | 'invalid_request_error';

export interface ErrorFields {
  type: ErrorType;
  message: string;
  code?: string;
  decline_code?: string;
  advice_code?: string;
  network_advice_code?: string;
  network_decline_code?: string;
  param?: string;
  charge?: string;
  payment_intent?: object;
  payment_method?: object;
  setup_intent?: object;
  /** Set by the catalogue only where Stripe prints it in its own place (E41); otherwise rendered from `code`. */
  doc_url?: string;
  /** Twin-only marker on 501 answers for routes it does not model. */
  fidelity?: 'unsupported';
}

/** When in the request's life the error happened; decides headers and idempotency storage. */
export type ErrorStage =
  /** Authentication or account access: no Request-Id, Stripe-Version or request_log_url. */
  | 'auth'
  /** Before the endpoint ran (routing, parameters, missing objects): nothing is stored. */
  | 'validation'
  /** While the endpoint ran: stored for idempotent replay, `Stripe-Should-Retry: false`. */
  | 'execution';

export class StripeError extends Error {
  constructor(
    readonly status: number,
    readonly fields: ErrorFields,
    readonly stage: ErrorStage = 'execution',
    readonly extraHeaders: Record<string, string> = {},
    /** `as-built`: the body keeps the fields' order instead of sorting them (E41). */
    readonly keyOrder: 'sorted' | 'as-built' = 'sorted',
  ) {
    super(fields.message);
  }
}

export function docUrl(code: string): string {
  return `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}`;
}

const invalid = (message: string, extra: Partial<ErrorFields> = {}, status = 400, stage: ErrorStage = 'validation') =>
  new StripeError(status, { type: 'invalid_request_error', message, ...extra }, stage);

/** `sk_test_` + asterisks + last 4: Stripe keeps the first 8 and last 4 characters (E2). */
/**
 * A key as Stripe echoes it (E2): the first 8 characters and the last 4, the
 * middle as `*` (at most 30, as recorded). A key too short for that (12
 * characters or fewer; Stripe's rule for them is not recorded) keeps only what
 * a longer key would show of its start, at most 8 characters and never more than
 * half of it, so no key is ever echoed whole.
 */
export function maskKey(key: string): string {
  if (key.length > 12) return `${key.slice(0, 8)}${'*'.repeat(Math.min(key.length - 12, 30))}${key.slice(-4)}`;
  const shown = Math.min(8, Math.floor(key.length / 2));
  return `${key.slice(0, shown)}${'*'.repeat(key.length - shown)}`;
}

export const errors = {
  // --- authentication (E1, E2) ---
  missingKey: () =>
    new StripeError(
      401,
      {
        type: 'invalid_request_error',
        message:
          "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
      },
      'auth',
      { 'Www-Authenticate': 'Bearer realm="Stripe"' },
    ),
  invalidKey: (key: string) =>
    new StripeError(401, { type: 'invalid_request_error', message: `Invalid API Key provided: ${maskKey(key)}` }, 'auth', {
      'Www-Authenticate': 'Bearer realm="Stripe"',
    }),
  /** Twin-specific: a twin never accepts live-mode keys. */
  liveKeyRefused: (key: string) =>
    new StripeError(
      401,
      {
        type: 'invalid_request_error',
        message: `Live-mode API keys are refused by stripe-twin: ${maskKey(key)}. The twin only simulates test mode; use a test key such as sk_test_… instead.`,
      },
      'auth',
      { 'Www-Authenticate': 'Bearer realm="Stripe"' },
    ),
  /** (unverified) Stripe's answer to a publishable key on a secret-key endpoint. */
  publishableKey: () =>
    new StripeError(
      401,
      {
        type: 'invalid_request_error',
        code: 'secret_key_required',
        message:
          'This API call cannot be made with a publishable API key. Please use a secret API key. You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys.',
      },
      'auth',
    ),

  // --- account access (docs/stripe-facts.md §1.4, docs/connect.md §2) ---
  /**
   * E41 [wire for `GET /v1/accounts/<id>`; the same answer to a Stripe-Account
   * header is likely (uncertain)]: key order `message, type, code, doc_url`, no
   * request_log_url, and (auth stage) no Request-Id or Stripe-Version header.
   */
  accountInvalid: (key: string, account: string) =>
    new StripeError(
      403,
      {
        message: `The provided key '${maskKey(key)}' does not have access to account '${account}' (or that account does not exist). Application access may have been revoked.`,
        type: 'invalid_request_error',
        code: 'account_invalid',
        doc_url: docUrl('account_invalid'),
      },
      'auth',
      {},
      'as-built',
    ),

  /**
   * Stripe-Account sent by a key whose account is no platform [gh stripe/stripe-apps#505]: reported as a 403.
   */
  notAPlatform: () =>
    invalid(
      "Only Stripe Connect platforms can work with other accounts. If you specified a client_id parameter, make sure it's correct. If you need to setup a Stripe Connect platform, you can do so at https://dashboard.stripe.com/account/applications/settings.",
      {},
      403,
    ),
  /** POST /v1/accounts sent as a connected account (Stripe-Account) [stripe-stateful-mock's text; (uncertain)]. */
  connectRequired: () =>
    invalid("You can only create new accounts if you've signed up for Connect, which you can learn how to do at https://stripe.com/docs/connect."),
  /** `/v1/accounts/:account` naming another account than Stripe-Account [stripe-stateful-mock's text; (uncertain)]. */
  accountPathMismatch: () =>
    invalid('The account specified in the path of /v1/accounts/:account does not match the account specified in the Stripe-Account header.'),

  /** A restricted key without the permission a request needs (stripe-node's StripePermissionError). */
  permissionDenied: (key: string, account: string, permission: string) =>
    new StripeError(
      403,
      {
        type: 'invalid_request_error',
        message: `The provided key '${maskKey(key)}' does not have the required permissions for this endpoint on account '${account}'. Having the '${permission}' permission would allow this request to continue.`,
      },
      'auth',
    ),

  // --- routing and versions (E5) ---
  unrecognizedUrl: (method: string, path: string) =>
    invalid(
      `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
      {},
      404,
    ),
  unsupported: (method: string, path: string) =>
    new StripeError(
      501,
      {
        type: 'api_error',
        fidelity: 'unsupported',
        message: `stripe-twin does not model ${method} ${path} yet. The route exists in Stripe's API; the twin answers 501 rather than invent a response.`,
      },
      'validation',
      { 'Stripe-Should-Retry': 'false' },
    ),
  unsupportedParam: (operation: string, param: string) =>
    new StripeError(
      501,
      {
        type: 'api_error',
        fidelity: 'unsupported',
        param,
        message: `stripe-twin does not model the parameter ${param} of ${operation} yet; it answers 501 rather than ignore it.`,
      },
      'validation',
      { 'Stripe-Should-Retry': 'false' },
    ),
  /** Twin-only: behaviour (not a route or parameter) the twin does not model yet; nothing the request did is kept. */
  unsupportedBehaviour: (what: string) =>
    new StripeError(
      501,
      { type: 'api_error', fidelity: 'unsupported', message: `stripe-twin does not model ${what} yet; it answers 501 rather than invent a result.` },
      'validation',
      { 'Stripe-Should-Retry': 'false' },
    ),
  /** Wire text: `Invalid Stripe API version: 2019-2-19` (stripe/stripe-java#682). */
  invalidVersion: (version: string) => invalid(`Invalid Stripe API version: ${version}`),

  // --- parameters (E6–E11) ---
  parameterMissing: (param: string) =>
    invalid(`Missing required param: ${param}.`, { code: 'parameter_missing', param }),
  parameterUnknown: (param: string) =>
    invalid(`Received unknown parameter: ${param}`, { code: 'parameter_unknown', param }),
  invalidInteger: (param: string, value: string) =>
    invalid(`Invalid integer: ${value}`, { code: 'parameter_invalid_integer', param }),
  invalidNumber: (param: string, value: string) => invalid(`Invalid decimal: ${value}`, { param }),
  invalidBoolean: (param: string, value: string) => invalid(`Invalid boolean: ${value}`, { param }),
  /**
   * Wire text: `Invalid capture_method: must be one of automatic or manual`
   * (stripe/stripe-java#1314); an array item keeps its parameter's name, and the
   * list leaves out `*` (a 2025 `stripe webhook_endpoints create` transcript:
   * `Invalid enabled_events[0]: must be one of account.application.authorized, …`;
   * the list's ending is (unverified)). The spec's `''` (unset) is not listed either.
   */
  invalidEnum: (param: string, values: readonly string[]) =>
    invalid(`Invalid ${lastSegment(param)}: must be one of ${oxfordList(values.filter(listed), 'or')}`, { param }),
  invalidString: (param: string) => invalid(`Invalid string: ${param} must be a string`, { param }),
  invalidHash: (param: string) => invalid('Invalid hash', { param }),
  invalidArray: (param: string) => invalid('Invalid array', { param }),
  stringTooLong: (param: string, max: number) =>
    invalid(`Invalid string: the value of ${param} must be at most ${max} characters`, { param }),
  /** E8 [wire]. */
  arrayKeys: (param: string, keys: string[]) =>
    invalid(
      `If passing an array with explicit keys (e.g. foo[0]=a&foo[1]=b) instead of as an array (e.g. foo[]=a&foo[]=b), the keys must be numeric and sequential starting from 0. You passed the keys \`${keys.join(', ')}\`, we expected to have a key with the value \`${firstMissingIndex(keys)}\`.`,
      { param },
    ),
  /**
   * Mutually exclusive parameters. Wire text in reported Stripe errors (`… parameters:
   * automatic_payment_methods, confirmation_method.`, `… customer, customer_email.`),
   * where the names come in alphabetical order; callers pass them in the order to print.
   */
  onlyOneOf: (names: readonly string[], param: string) =>
    invalid(`You may only specify one of these parameters: ${names.join(', ')}.`, { param }),
  /** E11 (unverified). */
  emptyString: (param: string) =>
    invalid(
      `You passed an empty string for '${param}'. We assume empty values are an attempt to unset a parameter; however '${param}' cannot be unset. You should remove '${param}' from your request or supply a non-empty value.`,
      { code: 'parameter_invalid_empty', param },
    ),
  /** Metadata limits (stripe/stripe-php#246 for key/value texts; 50-key text (unverified)). */
  metadataKeyTooLong: (key: string) =>
    invalid(`Invalid key: ${key} must be a string under 40 characters`, { param: 'metadata' }),
  metadataValueTooLong: (value: string) =>
    invalid(`Invalid val: ${value} must be a string under 500 characters`, { param: 'metadata' }),
  metadataTooManyKeys: () =>
    invalid('Invalid metadata: metadata cannot have more than 50 keys', { param: 'metadata' }),
  metadataKeyBrackets: (key: string) =>
    invalid(`Invalid key: ${key} cannot contain square brackets ('[' or ']')`, { param: 'metadata' }),

  // --- malformed requests (twin-specific texts: no recorded Stripe answer) ---
  malformedBody: (why: string) => invalid(`Invalid request body: ${why}`),
  bodyTooLarge: (limit: number) =>
    invalid(`Request body too large: the limit is ${limit} bytes.`, {}, 413),
  tooDeep: (param: string, depth: number) =>
    invalid(`Invalid parameter ${param}: nested more than ${depth} levels deep`, { param }),
  tooManyParams: (limit: number) => invalid(`Too many parameters: the limit is ${limit}.`),

  /**
   * `payment_method_types` on PaymentIntent and SetupIntent writes from 2026-09-30.endive: the code is
   * Stripe's (CL endive/2026-09-30/removes-the-payment-method-types-parameter-from-payment-intents-and-setup-intents);
   * the message is the twin's (unrecorded: no published answer carries it).
   */
  paymentMethodTypesNoLongerSupported: (param: string) =>
    invalid(
      `The \`${param}\` parameter is no longer supported on this API version. Use \`allowed_payment_method_types\` to limit the payment methods offered, \`excluded_payment_method_types\` to leave some out, or dynamic payment methods (https://docs.stripe.com/payments/payment-methods/dynamic-payment-methods).`,
      { code: 'payment_method_types_no_longer_supported', param },
    ),

  // --- expand[] (E31) ---
  /** Expanding a field the request's version no longer has (basil, recorded: GH craftcms/commerce-stripe#343). */
  expandGone: (segment: string) => invalid(`This property cannot be expanded because it doesn't exist: ${segment}.`),
  cannotExpand: (segment: string, hint?: string) =>
    invalid(`This property cannot be expanded (${segment}).${hint ? ` You may want to try expanding '${hint}' instead.` : ''}`),
  /**
   * expand[]=total_count from 2025-03-31.basil (CL basil/2025-03-31/deprecate-total-count-expansion:
   * code property_forbidden; the message is the twin's, unrecorded).
   */
  propertyForbidden: (property: string) =>
    invalid(`The property ${property} cannot be expanded at this API version: it was removed in 2025-03-31.basil.`, { code: 'property_forbidden', param: 'expand' }),
  expandTooDeep: (path: string, max: number) =>
    invalid(`You cannot expand more than ${max} levels of a property. Property: ${path}`, {
      code: 'property_expansion_max_depth',
    }),

  // --- billing (E38) ---
  /** Nothing to charge the customer with (recorded 2025 at clover for subscription create); `stage` says whether what ran is kept. */
  noPaymentMethod: (stage: ErrorStage) =>
    new StripeError(
      400,
      {
        type: 'invalid_request_error',
        code: 'resource_missing',
        message:
          'This customer has no attached payment source or default payment method. Please consider adding a default payment method. For more information, visit https://stripe.com/docs/billing/subscriptions/payment-methods-setting#payment-method-priority.',
      },
      stage,
      { 'Stripe-Should-Retry': 'false' },
    ),

  // --- objects (E12, E13) ---
  resourceMissing: (objectName: string, id: string, param = 'id') =>
    invalid(`No such ${objectName}: '${id}'`, { code: 'resource_missing', param }, param === 'id' ? 404 : 400),
  /**
   * A test clock that does not exist (or was deleted): Stripe names it by its
   * internal object name, as several integrations quote Stripe's answer
   * (`No such billingclock: 'clock_…'`), for a path id and for a `test_clock` filter alike.
   */
  testClockMissing: (id: string, param = 'id') =>
    invalid(`No such billingclock: '${id}'`, { code: 'resource_missing', param }, param === 'id' ? 404 : 400),
  /** E12's PaymentMethod-in-the-path variant (recorded 2025 at 2025-10-29.clover). */
  paymentMethodMissingInPath: (id: string) =>
    invalid(
      `No such PaymentMethod: '${id}'; It's possible this PaymentMethod exists on one of your connected accounts, in which case you should retry this request on that connected account. Learn more at https://stripe.com/docs/connect/authentication`,
      { code: 'resource_missing', param: 'payment_method' },
      404,
    ),

  // --- idempotency (E27, E28) ---
  idempotencyParams: (key: string) =>
    new StripeError(
      400,
      {
        type: 'idempotency_error',
        message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
      },
      'validation',
    ),
  idempotencyEndpoint: (key: string, path: string, originalPath: string) =>
    new StripeError(
      400,
      {
        type: 'idempotency_error',
        message: `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${path}' vs '${originalPath}'). Try using a key other than '${key}' if you meant to execute a different request.`,
      },
      'validation',
    ),
  /** E28: message (unverified). No Stripe-Should-Retry, so the SDK retries a 409. */
  idempotencyInFlight: (key: string) =>
    invalid(
      `There is currently another in-progress request using this Idempotency-Key ('${key}'). Please retry this request once the first one has completed.`,
      { code: 'idempotency_key_in_use' },
      409,
    ),

  // --- internal (E26) ---
  internal: () => new StripeError(500, { type: 'api_error', message: 'An unknown error occurred' }),

  // --- rate limits (E24, E25): raised before the endpoint runs, so nothing is stored ---
  /**
   * E24 [wire]: a 429 body says `invalid_request_error` with code `rate_limit`
   * (the SDKs name it RateLimitError from the status). No `Stripe-Should-Retry`
   * (inferred: Stripe's rate-limit docs say the client libraries do not retry
   * rate-limit 429s, and stripe-node retries a 429 only on `Stripe-Should-Retry: true`).
   */
  rateLimited: () =>
    invalid('Request rate limit exceeded. You can learn more about rate limits here https://stripe.com/docs/rate-limits.', { code: 'rate_limit' }, 429),
  /**
   * E25 [wire, exercism/website#2518, stripe/stripe-node#2056]. `Stripe-Should-Retry: true`
   * (inferred: the docs say the libraries do retry lock-timeout 429s, which
   * stripe-node does only on that header).
   */
  lockTimeout: () =>
    new StripeError(
      429,
      {
        type: 'invalid_request_error',
        code: 'lock_timeout',
        message:
          'This object cannot be accessed right now because another API request or Stripe process is currently accessing it. If you see this error intermittently, retry the request. If you see this error frequently and are making multiple concurrent requests to a single object, make your requests serially or at a lower rate.',
      },
      'validation',
      { 'Stripe-Should-Retry': 'true' },
    ),

  /** A generic state error raised while an endpoint runs. */
  state: (message: string, code?: string, extra: Partial<ErrorFields> = {}) =>
    new StripeError(400, { type: 'invalid_request_error', message, ...(code ? { code } : {}), ...extra }),
  /** A parameter problem detected while an endpoint runs (needs world state). */
  paramState: (message: string, param: string, code?: string) =>
    invalid(message, { param, ...(code ? { code } : {}) }),
};

const listed = (value: string) => value !== '' && value !== '*';

/** `a[b][c]` → `c`; an array item keeps the name before its index: `a[b][0]` → `b[0]`, `a[1]` → `a[1]`. */
function lastSegment(param: string): string {
  const segments = param.split('[').map((s) => s.replace(/\]$/, ''));
  let i = segments.length - 1;
  while (i > 0 && /^\d+$/.test(segments[i])) i--;
  return segments[i] + segments.slice(i + 1).map((s) => `[${s}]`).join('');
}

/** "a or b", "a, b, or c". */
export function oxfordList(items: readonly string[], conj: string): string {
  if (items.length <= 2) return items.join(` ${conj} `);
  return `${items.slice(0, -1).join(', ')}, ${conj} ${items[items.length - 1]}`;
}

function firstMissingIndex(keys: string[]): number {
  const set = new Set(keys);
  let i = 0;
  while (set.has(String(i))) i++;
  return i;
}

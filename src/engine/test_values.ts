// Stripe's documented test cards, magic PaymentMethod ids and tokens
// (docs/stripe-facts.md §4, docs.stripe.com/testing). One table: each card
// number with its brand, funding, country and behaviour, and the `pm_card_…`
// and `tok_…` names that stand for it. A control-surface trigger that forces an
// outcome desugars to the same behaviour fields, so both take one code path.

export interface Decline {
  code: 'card_declined' | 'expired_card' | 'incorrect_cvc' | 'processing_error' | 'authentication_required';
  decline_code: string;
  message: string;
  param?: string;
  advice_code?: string;
  network_decline_code?: string;
  network_advice_code?: string;
}

export interface CardBehaviour {
  /** Every charge attempt fails with this decline. */
  decline?: Decline;
  /** Attaching to a customer succeeds even though charges fail (…0341). */
  attachable?: boolean;
  /**
   * 3D Secure: `always` (required on every payment; off-session ones decline with
   * authentication_required), `on_session` (…0446: off-session payments succeed as
   * if set up), `unless_setup` (…3155: off-session succeeds after a SetupIntent).
   */
  authentication?: 'always' | 'on_session' | 'unless_setup';
  /** What happens after a successful authentication, if not a success. */
  declineAfterAuthentication?: Decline;
  /** Radar outcome. */
  risk?: { level: 'normal' | 'elevated' | 'highest'; blocked?: boolean };
  /** Checks that fail when the data is supplied. */
  failingChecks?: ('cvc_check' | 'address_line1_check' | 'address_postal_code_check')[];
  /** Address checks unavailable. */
  uncheckedAddress?: boolean;
  /** A dispute opens after the charge succeeds. */
  dispute?: { reason: string; status: 'needs_response' | 'warning_needs_response'; enhanced?: string[] };
  /** Refunds start `pending` then succeed, or succeed then fail. */
  refund?: 'pending' | 'fail';
  /** Funds skip the pending balance. */
  availableImmediately?: boolean;
  threeDSecureSupported?: boolean;
}

export interface TestCard extends CardBehaviour {
  number: string;
  brand: 'visa' | 'mastercard' | 'amex' | 'discover' | 'diners' | 'jcb' | 'unionpay';
  funding: 'credit' | 'debit' | 'prepaid';
  country: string;
  /** Co-badged network shown as display_brand (cartes_bancaires, eftpos_au). */
  coBrand?: string;
}

const SELLER_GENERIC = 'The bank did not return any further details with this decline.';

/** Decline codes with the advice and network codes recorded in real traffic (docs/stripe-facts.md §4.3). */
export const DECLINES = {
  generic_decline: {
    code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.',
    advice_code: 'try_again_later', network_decline_code: '01',
  },
  insufficient_funds: {
    code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.',
    advice_code: 'try_again_later', network_decline_code: '51', network_advice_code: '02',
  },
  lost_card: {
    code: 'card_declined', decline_code: 'lost_card', message: 'Your card was declined.',
    advice_code: 'do_not_try_again', network_decline_code: '41', network_advice_code: '01',
  },
  stolen_card: {
    code: 'card_declined', decline_code: 'stolen_card', message: 'Your card was declined.',
    advice_code: 'do_not_try_again', network_decline_code: '43', network_advice_code: '01',
  },
  card_velocity_exceeded: {
    code: 'card_declined', decline_code: 'card_velocity_exceeded',
    message: 'Your card was declined for making repeated attempts too frequently or exceeding its amount limit.',
    advice_code: 'try_again_later', network_decline_code: '61', network_advice_code: '02',
  },
  expired_card: {
    code: 'expired_card', decline_code: 'expired_card', message: 'Your card has expired.', param: 'exp_month',
    advice_code: 'confirm_card_data', network_decline_code: '54', network_advice_code: '03',
  },
  incorrect_cvc: {
    code: 'incorrect_cvc', decline_code: 'incorrect_cvc', message: "Your card's security code is incorrect.", param: 'cvc',
    advice_code: 'confirm_card_data', network_decline_code: 'N7', network_advice_code: '03',
  },
  processing_error: {
    code: 'processing_error', decline_code: 'processing_error',
    message: 'An error occurred while processing your card. Try again in a little bit.',
    advice_code: 'try_again_later', network_decline_code: '06',
  },
  /** Token-only card; advice and network codes not recorded (unverified). */
  fraudulent: { code: 'card_declined', decline_code: 'fraudulent', message: 'Your card was declined.', advice_code: 'do_not_try_again' },
  /** Radar block (outcome fields and decline code (unverified)). */
  blocked: { code: 'card_declined', decline_code: 'fraudulent', message: 'Your card was declined.' },
  /** Off-session or error_on_requires_action confirm of a card that needs authentication (docs/stripe-facts.md §3.3 T7, E42). */
  authentication_required: {
    code: 'authentication_required', decline_code: 'authentication_required',
    message: 'Your card was declined. This transaction requires authentication.',
  },
} satisfies Record<string, Decline>;

export type DeclineName = keyof typeof DECLINES;

/** seller_message on a declined charge's outcome (generic: recorded; others follow the recorded auth-required form). */
export function sellerMessage(decline: Decline): string {
  return decline.decline_code === 'generic_decline' ? SELLER_GENERIC : `The bank returned the decline code \`${decline.decline_code}\`.`;
}

type Entry = [number: string, brand: TestCard['brand'], funding: TestCard['funding'], country: string, pm: string[], tok: string[], behaviour?: CardBehaviour & { coBrand?: string }];

const D = DECLINES;
const ENTRIES: Entry[] = [
  // docs/stripe-facts.md §4.2 successful cards by brand
  ['4242424242424242', 'visa', 'credit', 'US', ['pm_card_visa'], ['tok_visa']],
  ['4000056655665556', 'visa', 'debit', 'US', ['pm_card_visa_debit'], ['tok_visa_debit']],
  ['5555555555554444', 'mastercard', 'credit', 'US', ['pm_card_mastercard'], ['tok_mastercard']],
  ['2223003122003222', 'mastercard', 'credit', 'US', [], []],
  ['5200828282828210', 'mastercard', 'debit', 'US', ['pm_card_mastercard_debit'], ['tok_mastercard_debit']],
  ['5105105105105100', 'mastercard', 'prepaid', 'US', ['pm_card_mastercard_prepaid'], ['tok_mastercard_prepaid']],
  ['378282246310005', 'amex', 'credit', 'US', ['pm_card_amex'], ['tok_amex']],
  ['371449635398431', 'amex', 'credit', 'US', [], []],
  ['6011111111111117', 'discover', 'credit', 'US', ['pm_card_discover'], ['tok_discover']],
  ['6011000990139424', 'discover', 'credit', 'US', [], []],
  ['6011981111111113', 'discover', 'debit', 'US', [], []],
  ['3056930009020004', 'diners', 'credit', 'US', ['pm_card_diners'], ['tok_diners']],
  ['36227206271667', 'diners', 'credit', 'US', [], []],
  ['3566002020360505', 'jcb', 'credit', 'US', ['pm_card_jcb'], ['tok_jcb']],
  ['6200000000000005', 'unionpay', 'credit', 'US', ['pm_card_unionpay'], ['tok_unionpay']],
  ['6200000000000047', 'unionpay', 'debit', 'US', [], []],
  ['6205500000000000004', 'unionpay', 'credit', 'US', [], []],
  ['4000002500001001', 'visa', 'credit', 'FR', ['pm_card_visa_cartesBancaires'], ['tok_visa_cartesBancaires'], { coBrand: 'cartes_bancaires' }],
  ['5555552500001001', 'mastercard', 'credit', 'FR', ['pm_card_mastercard_cartesBancaires'], ['tok_mastercard_cartesBancaires'], { coBrand: 'cartes_bancaires' }],
  ['4000050360000001', 'visa', 'debit', 'AU', ['pm_card_visa_debit_eftposAuCoBranded'], ['tok_visa_debit_eftposAuCoBranded'], { coBrand: 'eftpos_au' }],
  ['5555050360000080', 'mastercard', 'debit', 'AU', ['pm_card_mastercard_debit_eftposAuCoBranded'], ['tok_mastercard_debit_eftposAuCoBranded'], { coBrand: 'eftpos_au' }],
  ['4000051230000072', 'visa', 'debit', 'US', ['pm_card_debit_visaFsaProductCode', 'pm_card_debit_visaHsaProductCode'], []],
  ['5200828282828897', 'mastercard', 'debit', 'US', ['pm_card_mastercard_debit_mastercardFsaProductCode'], []],
  // docs/stripe-facts.md §4.3 declines
  ['4000000000000002', 'visa', 'credit', 'US', ['pm_card_visa_chargeDeclined', 'pm_card_chargeDeclined'], ['tok_visa_chargeDeclined', 'tok_chargeDeclined'], { decline: D.generic_decline }],
  ['4000000000009995', 'visa', 'credit', 'US', ['pm_card_visa_chargeDeclinedInsufficientFunds', 'pm_card_chargeDeclinedInsufficientFunds'], ['tok_visa_chargeDeclinedInsufficientFunds', 'tok_chargeDeclinedInsufficientFunds'], { decline: D.insufficient_funds }],
  ['4000000000009987', 'visa', 'credit', 'US', ['pm_card_visa_chargeDeclinedLostCard', 'pm_card_chargeDeclinedLostCard'], ['tok_visa_chargeDeclinedLostCard', 'tok_chargeDeclinedLostCard'], { decline: D.lost_card }],
  ['4000000000009979', 'visa', 'credit', 'US', ['pm_card_visa_chargeDeclinedStolenCard', 'pm_card_chargeDeclinedStolenCard'], ['tok_visa_chargeDeclinedStolenCard', 'tok_chargeDeclinedStolenCard'], { decline: D.stolen_card }],
  ['4000000000000069', 'visa', 'credit', 'US', ['pm_card_chargeDeclinedExpiredCard', 'pm_card_visa_chargeDeclinedExpiredCard'], ['tok_chargeDeclinedExpiredCard', 'tok_visa_chargeDeclinedExpiredCard'], { decline: D.expired_card }],
  ['4000000000000127', 'visa', 'credit', 'US', ['pm_card_chargeDeclinedIncorrectCvc', 'pm_card_visa_chargeDeclinedIncorrectCvc'], ['tok_chargeDeclinedIncorrectCvc', 'tok_visa_chargeDeclinedIncorrectCvc'], { decline: D.incorrect_cvc }],
  ['4000000000000119', 'visa', 'credit', 'US', ['pm_card_chargeDeclinedProcessingError', 'pm_card_visa_chargeDeclinedProcessingError'], ['tok_chargeDeclinedProcessingError', 'tok_visa_chargeDeclinedProcessingError'], { decline: D.processing_error }],
  ['4000000000006975', 'visa', 'credit', 'US', ['pm_card_visa_chargeDeclinedVelocityLimitExceeded'], ['tok_visa_chargeDeclinedVelocityLimitExceeded'], { decline: D.card_velocity_exceeded }],
  ['4000000000000341', 'visa', 'credit', 'US', ['pm_card_chargeCustomerFail', 'pm_card_visa_chargeCustomerFail'], ['tok_chargeCustomerFail', 'tok_visa_chargeCustomerFail'], { decline: D.generic_decline, attachable: true }],
  // Token-only variants whose card numbers are not documented: placeholders (they fail Luhn).
  ['4000056655669995', 'visa', 'debit', 'US', [], ['tok_visa_debit_chargeDeclinedInsufficientFunds'], { decline: D.insufficient_funds }],
  ['4000000000000000', 'visa', 'credit', 'US', [], ['tok_visa_chargeDeclinedFraudulent', 'tok_chargeDeclinedFraudulent'], { decline: D.fraudulent }],
  ['4000000000000331', 'visa', 'credit', 'US', [], ['tok_visa_chargeCustomerFailLostCard'], { decline: D.lost_card, attachable: true }],
  ['4000000000000349', 'visa', 'credit', 'US', [], ['tok_visa_chargeCustomerFailStolenCard'], { decline: D.stolen_card, attachable: true }],
  // docs/stripe-facts.md §4.4 fraud / Radar
  ['4100000000000019', 'visa', 'credit', 'US', ['pm_card_radarBlock'], ['tok_radarBlock'], { risk: { level: 'highest', blocked: true } }],
  ['4000000000004954', 'visa', 'credit', 'US', ['pm_card_riskLevelHighest'], ['tok_riskLevelHighest'], { risk: { level: 'highest', blocked: true } }],
  ['4000000000009235', 'visa', 'credit', 'US', ['pm_card_riskLevelElevated'], ['tok_riskLevelElevated'], { risk: { level: 'elevated' } }],
  ['4000000000000101', 'visa', 'credit', 'US', ['pm_card_cvcCheckFail'], ['tok_cvcCheckFail'], { failingChecks: ['cvc_check'] }],
  ['4000000000000036', 'visa', 'credit', 'US', ['pm_card_avsZipFail'], ['tok_avsZipFail'], { failingChecks: ['address_postal_code_check'] }],
  ['4000058400307872', 'visa', 'credit', 'US', ['pm_card_cvcCheckFailElevatedRisk'], ['tok_cvcCheckFailElevatedRisk'], { failingChecks: ['cvc_check'], risk: { level: 'elevated' } }],
  ['4000058400306072', 'visa', 'credit', 'US', ['pm_card_avsZipFailElevatedRisk'], ['tok_avsZipFailElevatedRisk'], { failingChecks: ['address_postal_code_check'], risk: { level: 'elevated' } }],
  ['4000000000000028', 'visa', 'credit', 'US', ['pm_card_avsLine1Fail'], ['tok_avsLine1Fail'], { failingChecks: ['address_line1_check'] }],
  ['4000000000000010', 'visa', 'credit', 'US', ['pm_card_avsFail'], ['tok_avsFail'], { failingChecks: ['address_line1_check', 'address_postal_code_check'] }],
  ['4000000000000044', 'visa', 'credit', 'US', ['pm_card_avsUnchecked'], ['tok_avsUnchecked'], { uncheckedAddress: true }],
  // docs/stripe-facts.md §4.5 disputes
  ['4000000000000259', 'visa', 'credit', 'US', ['pm_card_createDispute'], ['tok_createDispute'], { dispute: { reason: 'fraudulent', status: 'needs_response' } }],
  ['4000000000002685', 'visa', 'credit', 'US', ['pm_card_createDisputeProductNotReceived'], ['tok_createDisputeProductNotReceived'], { dispute: { reason: 'product_not_received', status: 'needs_response' } }],
  ['4000000000001976', 'visa', 'credit', 'US', ['pm_card_createDisputeInquiry'], ['tok_createDisputeInquiry'], { dispute: { reason: 'fraudulent', status: 'warning_needs_response' } }],
  ['4000000404000079', 'visa', 'credit', 'US', ['pm_card_createMultipleDisputes'], ['tok_createMultipleDisputes'], { dispute: { reason: 'fraudulent', status: 'needs_response' } }],
  ['4000000404000038', 'visa', 'credit', 'US', ['pm_card_createCe3EligibleDispute'], ['tok_createCe3EligibleDispute'], { dispute: { reason: 'fraudulent', status: 'needs_response', enhanced: ['visa_compelling_evidence_3'] } }],
  ['4000008400000779', 'visa', 'credit', 'US', ['pm_card_createComplianceDispute'], ['tok_createComplianceDispute'], { dispute: { reason: 'noncompliant', status: 'needs_response' } }],
  // Early fraud warning card: the charge succeeds; the warning object is not modeled yet.
  ['4000000000005423', 'visa', 'credit', 'US', ['pm_card_createIssuerFraudRecord'], ['tok_createIssuerFraudRecord']],
  // docs/stripe-facts.md §4.6 refunds
  ['4000000000007726', 'visa', 'credit', 'US', ['pm_card_pendingRefund'], ['tok_pendingRefund'], { refund: 'pending' }],
  ['4000000000005126', 'visa', 'credit', 'US', ['pm_card_refundFail'], ['tok_refundFail'], { refund: 'fail' }],
  // docs/stripe-facts.md §4.7 available balance
  ['4000000000000077', 'visa', 'credit', 'US', ['pm_card_bypassPending'], ['tok_bypassPending'], { availableImmediately: true }],
  ['4000003720000278', 'visa', 'credit', 'IE', ['pm_card_bypassPendingInternational'], ['tok_bypassPendingInternational'], { availableImmediately: true }],
  ['4000000000000093', 'visa', 'credit', 'US', [], ['tok_domesticPricing']],
  // docs/stripe-facts.md §4.8 3D Secure
  ['4000002500003155', 'visa', 'credit', 'FR', ['pm_card_authenticationRequiredOnSetup'], [], { authentication: 'unless_setup' }],
  ['4000002760003184', 'visa', 'credit', 'DE', ['pm_card_authenticationRequired'], [], { authentication: 'always' }],
  ['4000003800000446', 'visa', 'credit', 'IT', ['pm_card_authenticationRequiredSetupForOffSession'], [], { authentication: 'on_session' }],
  ['4000008260003178', 'visa', 'credit', 'GB', ['pm_card_authenticationRequiredChargeDeclinedInsufficientFunds'], [], { authentication: 'always', declineAfterAuthentication: D.insufficient_funds }],
  ['4000000000003220', 'visa', 'credit', 'US', ['pm_card_threeDSecure2Required'], ['tok_threeDSecure2Required'], { authentication: 'always' }],
  ['4000008400001629', 'visa', 'credit', 'US', ['pm_card_threeDSecureRequiredChargeDeclined'], ['tok_threeDSecureRequiredChargeDeclined'], { authentication: 'always', declineAfterAuthentication: D.generic_decline }],
  ['4000008400001280', 'visa', 'credit', 'US', ['pm_card_threeDSecureRequiredProcessingError'], ['tok_threeDSecureRequiredProcessingError'], { authentication: 'always', declineAfterAuthentication: D.generic_decline }],
  ['4000000000003055', 'visa', 'credit', 'US', ['pm_card_threeDSecureOptional'], ['tok_threeDSecureOptional']],
  ['4000000000003097', 'visa', 'credit', 'US', ['pm_card_threeDSecureOptionalProcessingError'], ['tok_threeDSecureOptionalProcessingError']],
  ['378282246310005', 'amex', 'credit', 'US', ['pm_card_amex_threeDSecureNotSupported'], ['tok_amex_threeDSecureNotSupported'], { threeDSecureSupported: false }],
];

/**
 * Cards by country: `400000` + ISO 3166 numeric code + `000000` + Luhn digit, as
 * `pm_card_<iso2>` / `tok_<iso2>` (docs/stripe-facts.md §4.2 [obs]; the pattern, not each row, is documented).
 */
const COUNTRIES: [iso2: string, numeric: string][] = [
  ['us', '840'], ['ar', '032'], ['br', '076'], ['ca', '124'], ['mx', '484'], ['ae', '784'], ['at', '040'],
  ['be', '056'], ['bg', '100'], ['ch', '756'], ['cy', '196'], ['cz', '203'], ['de', '276'], ['dk', '208'],
  ['ee', '233'], ['es', '724'], ['fi', '246'], ['fr', '250'], ['gb', '826'], ['gi', '292'], ['gr', '300'],
  ['hr', '191'], ['hu', '348'], ['ie', '372'], ['it', '380'], ['li', '438'], ['lt', '440'], ['lu', '442'],
  ['lv', '428'], ['mt', '470'], ['nl', '528'], ['no', '578'], ['pl', '616'], ['pt', '620'], ['ro', '642'],
  ['se', '752'], ['si', '705'], ['sk', '703'], ['au', '036'], ['cn', '156'], ['hk', '344'], ['in', '356'],
  ['jp', '392'], ['my', '458'], ['nz', '554'], ['sg', '702'], ['th', '764'], ['tw', '158'],
];

export function luhnValid(number: string): boolean {
  if (!/^\d{12,19}$/.test(number)) return false;
  let sum = 0;
  for (let i = 0; i < number.length; i++) {
    let d = number.charCodeAt(number.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

function withCheckDigit(partial: string): string {
  for (let d = 0; d <= 9; d++) if (luhnValid(partial + d)) return partial + d;
  throw new Error(`no check digit for ${partial}`);
}

const byNumber = new Map<string, TestCard>();
const byPaymentMethod = new Map<string, TestCard>();
const byToken = new Map<string, TestCard>();

function add(entry: Entry): void {
  const [number, brand, funding, country, pms, toks, behaviour = {}] = entry;
  const card: TestCard = { number, brand, funding, country, ...behaviour };
  // The same number can have a plain and a special name (…0005 amex): the first entry owns
  // the number. Token-only cards carry placeholder numbers that fail Luhn, so no raw
  // number reaches them.
  if (luhnValid(number) && !byNumber.has(number)) byNumber.set(number, card);
  for (const pm of pms) byPaymentMethod.set(pm, card);
  for (const tok of toks) byToken.set(tok, card);
}

ENTRIES.forEach(add);
for (const [iso2, numeric] of COUNTRIES) {
  const number = withCheckDigit(`400000${numeric}000000`);
  add([number, 'visa', 'credit', iso2.toUpperCase(), [`pm_card_${iso2}`], [`tok_${iso2}`]]);
}
add([withCheckDigit('400005826000000'), 'visa', 'debit', 'GB', [], ['tok_gb_debit']]);
add([withCheckDigit('400000764000001'), 'visa', 'credit', 'TH', [], ['tok_th_credit']]);
add([withCheckDigit('400005764000000'), 'visa', 'debit', 'TH', [], ['tok_th_debit']]);

/**
 * The issuer declines a test card carries (docs/stripe-facts.md §4.3), by decline code, each as that card
 * gives it (message, advice and network codes): what `payment.declined` forces and a
 * pinned `last_payment_error.decline_code` binds, so neither has a table of its own.
 */
export const CARD_DECLINES: ReadonlyMap<string, Decline> = (() => {
  const out = new Map<string, Decline>();
  for (const [, , , , , , behaviour] of ENTRIES) {
    const decline = behaviour?.decline;
    if (decline && !out.has(decline.decline_code)) out.set(decline.decline_code, decline);
  }
  return out;
})();

/**
 * Behaviour a control trigger forces on one intent's next confirmation, read as if
 * its card carried it (one code path, README "Force a branch"): `payment.declined` sets `decline` (and
 * `declineAfterAuthentication`, so a 3D Secure card declines after its challenge,
 * like …1629), `payment.requires_action` sets `authentication: 'always'`.
 */
export type ForcedBehaviour = Pick<CardBehaviour, 'decline' | 'declineAfterAuthentication' | 'authentication'>;

export const testCards = {
  byNumber: (number: string) => byNumber.get(number),
  byPaymentMethod: (id: string) => byPaymentMethod.get(id),
  byToken: (id: string) => byToken.get(id),
  paymentMethodNames: () => [...byPaymentMethod.keys()],
  tokenNames: () => [...byToken.keys()],
};

/** Names that look like Stripe test values; unknown ones must fail loudly, never succeed. */
export const looksLikeMagicPaymentMethod = (id: string) => id.startsWith('pm_card_') || id.startsWith('pm_usBankAccount') || id.startsWith('pm_sepaDebit');

/** Decline code Stripe gives a real (non-test) card number in test mode (unverified text). */
export const LIVE_CARD_IN_TEST_MODE: Decline = {
  code: 'card_declined',
  decline_code: 'test_mode_live_card',
  message:
    'Your card was declined. Your request was in test mode, but used a non test (live) card. For a list of valid test cards, visit: https://stripe.com/docs/testing.',
};

/** Brand of an arbitrary card number by its leading digits. */
export function brandOf(number: string): TestCard['brand'] | 'unknown' {
  if (/^4/.test(number)) return 'visa';
  if (/^(5[1-5]|2[2-7])/.test(number)) return 'mastercard';
  if (/^3[47]/.test(number)) return 'amex';
  if (/^(6011|65|64[4-9])/.test(number)) return 'discover';
  if (/^3(0[0-5]|[689])/.test(number)) return 'diners';
  if (/^35/.test(number)) return 'jcb';
  if (/^62/.test(number)) return 'unionpay';
  return 'unknown';
}

// --- bank debits (docs/stripe-facts.md §4.9; docs.stripe.com/testing, "ACH Direct Debit" and "SEPA Direct Debit";
// docs/bank-payments.md) ---------------------------------------------------------------------------

/** Why a bank debit fails, as the failed charge and last_payment_error report it (messages unverified). */
export interface DebitFailure {
  code: string;
  message: string;
}

export interface TestBankAccount {
  type: 'us_bank_account' | 'sepa_debit';
  /** The account number (ACH, routing 110000000) or IBAN (SEPA). */
  number: string;
  /** Its `pm_usBankAccount_…` / `pm_sepaDebit_…` name, when it has one. */
  token?: string;
  /** How the debit ends after `processing`: settles, fails, settles and is disputed, or never ends. */
  outcome: 'succeeded' | 'failed' | 'disputed' | 'processing';
  failure?: DebitFailure;
  /** "After at least three minutes" (SEPA delayed variants): settlement waits this long. */
  delayed?: boolean;
  /** Radar blocks the debit (ACH riskLevelHighest). */
  blocked?: boolean;
  /** Microdeposits cannot be sent (ACH failMicrodeposits). */
  microdepositsFail?: boolean;
}

const DEBIT_FAILURES = {
  account_closed: { code: 'account_closed', message: "The customer's bank account has been closed." },
  no_account: { code: 'no_account', message: "The customer's bank account could not be located." },
  insufficient_funds: { code: 'insufficient_funds', message: "The customer's account has insufficient funds to cover this payment." },
  debit_not_authorized: { code: 'debit_not_authorized', message: 'The customer has notified their bank that this payment was unauthorized.' },
  invalid_currency: { code: 'invalid_currency', message: 'The bank was unable to process this payment because of its currency.' },
  charge_exceeds_weekly_limit: { code: 'charge_exceeds_weekly_limit', message: 'The payment exceeds the weekly payment volume limit of this account.' },
  charge_exceeds_source_limit: { code: 'charge_exceeds_source_limit', message: 'The payment exceeds the maximum amount allowed for this account.' },
  highest_risk_level: { code: 'payment_method_provider_decline', message: 'Stripe blocked this payment as too risky.' },
} satisfies Record<string, DebitFailure>;

/** The routing number every ACH test account uses. */
export const TEST_ROUTING_NUMBER = '110000000';

const ACH: [number: string, token: string | undefined, behaviour: Pick<TestBankAccount, 'outcome' | 'failure' | 'blocked' | 'microdepositsFail'>][] = [
  ['000123456789', 'pm_usBankAccount_success', { outcome: 'succeeded' }],
  ['000111111113', 'pm_usBankAccount_accountClosed', { outcome: 'failed', failure: DEBIT_FAILURES.account_closed }],
  ['000000004954', 'pm_usBankAccount_riskLevelHighest', { outcome: 'failed', failure: DEBIT_FAILURES.highest_risk_level, blocked: true }],
  ['000111111116', 'pm_usBankAccount_noAccount', { outcome: 'failed', failure: DEBIT_FAILURES.no_account }],
  ['000222222227', 'pm_usBankAccount_insufficientFunds', { outcome: 'failed', failure: DEBIT_FAILURES.insufficient_funds }],
  ['000333333335', 'pm_usBankAccount_debitNotAuthorized', { outcome: 'failed', failure: DEBIT_FAILURES.debit_not_authorized }],
  ['000444444440', 'pm_usBankAccount_invalidCurrency', { outcome: 'failed', failure: DEBIT_FAILURES.invalid_currency }],
  ['000666666661', 'pm_usBankAccount_failMicrodeposits', { outcome: 'succeeded', microdepositsFail: true }],
  ['000555555559', 'pm_usBankAccount_dispute', { outcome: 'disputed' }],
  ['000000000009', 'pm_usBankAccount_processing', { outcome: 'processing' }],
  ['000777777771', 'pm_usBankAccount_weeklyLimitExceeded', { outcome: 'failed', failure: DEBIT_FAILURES.charge_exceeds_weekly_limit }],
];

/**
 * SEPA scenarios, each with its IBAN per country (the published set's AT, BE, DE, FR and IE rows);
 * tokens are `pm_sepaDebit_<scenario>_<country>`.
 */
const SEPA_SCENARIOS: [scenario: string, behaviour: Pick<TestBankAccount, 'outcome' | 'failure' | 'delayed'>, ibans: string[]][] = [
  ['success', { outcome: 'succeeded' }, ['AT611904300234573201', 'BE62510007547061', 'DE89370400440532013000', 'FR1420041010050500013M02606', 'IE29AIBK93115212345678']],
  ['successDelayed', { outcome: 'succeeded', delayed: true }, ['AT321904300235473204', 'BE78510007547064', 'DE08370400440532013003', 'FR3020041010050500013M02609', 'IE24AIBK93115212345671']],
  // Twin choice: the plain failure scenario names no code; it fails as insufficient funds (unverified).
  ['failed', { outcome: 'failed', failure: DEBIT_FAILURES.insufficient_funds }, ['AT861904300235473202', 'BE68539007547034', 'DE62370400440532013001', 'FR8420041010050500013M02607', 'IE02AIBK93115212345679']],
  ['failedDelayed', { outcome: 'failed', failure: DEBIT_FAILURES.insufficient_funds, delayed: true }, ['AT051904300235473205', 'BE51510007547065', 'DE78370400440532013004', 'FR7920041010050500013M02600', 'IE94AIBK93115212345672']],
  ['disputed', { outcome: 'disputed' }, ['AT591904300235473203', 'BE08510007547063', 'DE35370400440532013002', 'FR5720041010050500013M02608', 'IE51AIBK93115212345670']],
  ['exceedsWeeklyVolumeLimit', { outcome: 'failed', failure: DEBIT_FAILURES.charge_exceeds_source_limit }, ['AT981904300000343434', 'BE90510000343434', 'DE65370400440000343434', 'FR9720041010050000000343434', 'IE10AIBK93115200343434']],
  ['exceedsWeeklyTransactionLimit', { outcome: 'failed', failure: DEBIT_FAILURES.charge_exceeds_weekly_limit }, ['AT601904300000121212', 'BE52510000121212', 'DE27370400440000121212', 'FR5920041010050000000121212', 'IE69AIBK93115200121212']],
  ['insufficientFunds', { outcome: 'failed', failure: DEBIT_FAILURES.insufficient_funds }, ['AT981904300002222227', 'BE90510002222227', 'DE65370400440002222227', 'FR9720041010050000002222227', 'IE10AIBK93115202222227']],
];

const bankByNumber = new Map<string, TestBankAccount>();
const bankByToken = new Map<string, TestBankAccount>();
for (const [number, token, behaviour] of ACH) {
  const account: TestBankAccount = { type: 'us_bank_account', number, token, ...behaviour };
  bankByNumber.set(`us_bank_account:${number}`, account);
  if (token) bankByToken.set(token, account);
}
for (const [scenario, behaviour, ibans] of SEPA_SCENARIOS) {
  for (const iban of ibans) {
    const token = `pm_sepaDebit_${scenario}_${iban.slice(0, 2).toLowerCase()}`;
    const account: TestBankAccount = { type: 'sepa_debit', number: iban, token, ...behaviour };
    bankByNumber.set(`sepa_debit:${iban}`, account);
    bankByToken.set(token, account);
  }
}

/** A bank account that is not one of the test values debits successfully, as any valid account does in test mode (twin choice). */
export const testBankAccounts = {
  byNumber: (type: TestBankAccount['type'], number: string) => bankByNumber.get(`${type}:${number}`),
  byPaymentMethod: (id: string) => bankByToken.get(id),
  paymentMethodNames: () => [...bankByToken.keys()],
};

/** Microdeposit verification test values (ACH): the amounts or descriptor code that verify, exceed the attempts, or time out. */
export const MICRODEPOSITS = {
  verify: { amounts: [32, 45], descriptorCode: 'SM11AA' },
  attemptsExceeded: { amounts: [10, 11], descriptorCode: 'SM33CC' },
  timeout: { amounts: [40, 41], descriptorCode: 'SM44DD' },
} as const;

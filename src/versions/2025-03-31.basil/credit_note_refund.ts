import { VersionChange } from '../../engine/versions';
import { put } from '../helpers';

// stripe-node 18.0.0 (2025-03-31.basil): a CreditNote's `refund` (an id) became
// `refunds` ([{refund, amount_refunded, …}]). Older versions get the first back.

export const creditNoteRefund: VersionChange = {
  version: '2025-03-31.basil',
  description: 'CreditNote.refund replaced by refunds',
  object: 'credit_note',
  removes: ['refund'],
  transform: (note) => (Array.isArray(note.refunds) ? put(note, 'refund', note.refunds[0]?.refund ?? null) : note),
};

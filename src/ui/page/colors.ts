/** The page's colours: one per try outcome, shared by the timeline, legends and badges. */
import type { OutcomeName } from '../data/view.js';

export const OUTCOME_COLORS: Readonly<Record<OutcomeName, string>> = {
  succeeded: '#3f9f6b',
  raised: '#d64545',
  timeout: '#e08a1e',
  crash: '#8e44ad',
  bad_return: '#c0398b',
  partial: '#d4b106',
};

export const ACCENT = '#3867d6';
export const MUTED = '#8a94a6';

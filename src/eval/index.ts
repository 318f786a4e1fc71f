/** Placeholder: filled in by the eval capability. */
export {}

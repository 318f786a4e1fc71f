/** Placeholder: filled in by the serve capability. */
export {}

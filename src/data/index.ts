/** Placeholder: filled in by the data capability. */
export {}

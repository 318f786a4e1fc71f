/** Placeholder: filled in by the train capability. */
export {}

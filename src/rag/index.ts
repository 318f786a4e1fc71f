/** Placeholder: filled in by the rag capability. */
export {}

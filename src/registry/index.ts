/** Placeholder: filled in by the registry capability. */
export {}

/** Placeholder: filled in by the llm capability. */
export {}

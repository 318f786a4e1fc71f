/** Placeholder: filled in by the monitor capability. */
export {}

/** Placeholder: filled in by the track capability. */
export {}

// LanceDB's native logger reads LANCEDB_LOG once, when the module loads; its default level prints
// WARN lines (e.g. "No existing dataset … will be created") on every first write. Keel keeps
// stderr for its own messages, so default to errors only unless the user chose a level.
process.env.LANCEDB_LOG ??= 'error'

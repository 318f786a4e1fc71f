/** Version of keel-ml written into every artifact and run record. Keep in step with package.json. */
export const LIBRARY_VERSION = '0.1.0'

/**
 * React bindings (`resocket/react`): reserved. The hooks arrive in a later release; the
 * entry exists so that the export map is stable.
 */
export const REACT_BINDINGS_AVAILABLE = false as const;
